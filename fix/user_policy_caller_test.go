package fix

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

type callerSTS struct{ arn string }

func (c callerSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String(c.arn), UserId: aws.String("AROAEXAMPLE:s")}, nil
}

// noPreferencesSSM is an account without Session Manager preferences;
// any other call fails the test with a nil-interface panic.
type noPreferencesSSM struct{ ssmAPI }

func (noPreferencesSSM) GetDocument(context.Context, *ssm.GetDocumentInput, ...func(*ssm.Options)) (*ssm.GetDocumentOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "InvalidDocument"}
}

// TestUserPolicyFollowsTheCaller: the printed policy is in the caller's
// partition, and an assumed role gets the role form of the own-sessions
// statement, as the facts layer parses the caller (awsfacts.ParseCaller).
func TestUserPolicyFollowsTheCaller(t *testing.T) {
	cases := []struct {
		arn, region, partition string
		role                   bool
	}{
		{"arn:aws:iam::123456789012:user/alice", "us-east-1", "aws", false},
		{"arn:aws-us-gov:sts::123456789012:assumed-role/Ops/bob", "us-gov-west-1", "aws-us-gov", true},
		{"arn:aws-cn:iam::123456789012:user/team/carol", "cn-north-1", "aws-cn", false},
	}
	for _, c := range cases {
		a := &AWS{Region: c.region, STS: callerSTS{c.arn}, SSM: noPreferencesSSM{}}
		p, err := PlanUserPolicy(context.Background(), a, UserPolicyOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.arn, err)
		}
		doc := strings.Join(p.Notes, "\n")
		if !strings.Contains(doc, `"arn:`+c.partition+`:ec2:`+c.region+`:123456789012:instance/*"`) ||
			c.partition != "aws" && strings.Contains(doc, "arn:aws:") {
			t.Errorf("%s: policy not in partition %s:\n%s", c.arn, c.partition, doc)
		}
		if got := strings.Contains(doc, "${aws:userid}"); got != c.role {
			t.Errorf("%s: role form of OwnSessions = %v, want %v:\n%s", c.arn, got, c.role, doc)
		}
	}
}
