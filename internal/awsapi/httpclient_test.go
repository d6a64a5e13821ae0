package awsapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestDetachedBodyClientSurvivesFastLargeResponses reproduces the race the
// client exists for: a server that answers at once with a large body. With
// the SDK's plain client some calls fail with "use of closed network
// connection"; with ours none may.
func TestDetachedBodyClientSurvivesFastLargeResponses(t *testing.T) {
	big := strings.Repeat("<Padding>abcdefghijklmnopqrstuvwxyz0123456789</Padding>\n", 400)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
			big + `<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDA</UserId><Account>123456789012</Account>` +
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	}))
	defer srv.Close()
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   NewHTTPClient(),
	})
	for i := 0; i < 300; i++ {
		out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if aws.ToString(out.Arn) != "arn:aws:iam::123456789012:user/alice" {
			t.Fatalf("call %d: arn %q", i, aws.ToString(out.Arn))
		}
	}
}
