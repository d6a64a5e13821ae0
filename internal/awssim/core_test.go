package awssim

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestCoreSigningAndEnvelope drives the core (auth, signature check, query
// envelope, error shape) with the real SDK through a throwaway handler.
func TestCoreSigningAndEnvelope(t *testing.T) {
	st := &State{}
	st.Normalize()
	st.Users["alice"] = &User{Name: "alice", ID: "AIDAALICE"}
	st.AccessKeys["AKIAALICE"] = &AccessKey{ID: "AKIAALICE", Secret: "secret", UserName: "alice", Status: "Active"}
	s, err := New(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type out struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}
	s.handle("sts", "GetCallerIdentity", func(c *Call) (any, error) {
		return out{Arn: c.Principal.ARN, UserID: c.Principal.UserID, Account: c.Principal.AccountID}, nil
	})
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client := func(secret string) *sts.Client {
		return sts.New(sts.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(s.URL()),
			Credentials:  credentials.NewStaticCredentialsProvider("AKIAALICE", secret, ""),
		})
	}
	got, err := client("secret").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Arn) != "arn:aws:iam::123456789012:user/alice" || aws.ToString(got.Account) != "123456789012" {
		t.Fatalf("got %v %v", aws.ToString(got.Arn), aws.ToString(got.Account))
	}
	_, err = client("wrong").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: got %v", err)
	}
	if s.Calls("sts.GetCallerIdentity") != 2 {
		t.Fatalf("calls = %d", s.Calls("sts.GetCallerIdentity"))
	}
}
