package motoserver

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// TestMotoAccountsAreIsolated proves the per-test isolation the package
// promises: the header selects the account STS reports, and IAM state made
// in one account is absent from another.
func TestMotoAccountsAreIsolated(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	a, b := NewAccountID(), NewAccountID()
	if a == b || len(a) != 12 || len(b) != 12 {
		t.Fatalf("account ids %q %q: want two distinct 12-digit ids", a, b)
	}
	id, err := sts.NewFromConfig(s.Config(a)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("get caller identity: %v", err)
	}
	if aws.ToString(id.Account) != a {
		t.Fatalf("GetCallerIdentity account = %q, want the header's %q", aws.ToString(id.Account), a)
	}
	if _, err := iam.NewFromConfig(s.Config(a)).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("create user: %v", err)
	}
	inA, err := iam.NewFromConfig(s.Config(a)).ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatalf("list users in %s: %v", a, err)
	}
	inB, err := iam.NewFromConfig(s.Config(b)).ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatalf("list users in %s: %v", b, err)
	}
	if len(inA.Users) != 1 || aws.ToString(inA.Users[0].UserName) != "alice" || !strings.Contains(aws.ToString(inA.Users[0].Arn), a) {
		t.Fatalf("account %s users = %+v, want alice only", a, inA.Users)
	}
	if len(inB.Users) != 0 {
		t.Fatalf("account %s sees %d users made in %s", b, len(inB.Users), a)
	}
}

// TestMotoManagedPoliciesLoaded checks the environment Start sets: without
// MOTO_IAM_LOAD_MANAGED_POLICIES the AWS managed policies are NoSuchEntity.
func TestMotoManagedPoliciesLoaded(t *testing.T) {
	s := Start(t)
	arn := "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
	out, err := iam.NewFromConfig(s.Config(NewAccountID())).GetPolicy(context.Background(), &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("get policy %s: %v", arn, err)
	}
	if aws.ToString(out.Policy.PolicyName) != "AmazonSSMManagedInstanceCore" || aws.ToString(out.Policy.DefaultVersionId) == "" {
		t.Fatalf("policy = %+v", out.Policy)
	}
}
