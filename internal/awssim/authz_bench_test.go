package awssim

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// BenchmarkAuthzEvaluate measures one in-process decision for a user with
// an inline policy and a group (the cost authorize adds to every call).
func BenchmarkAuthzEvaluate(b *testing.B) {
	s, err := New(iamFixture(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := iampolicy.Context{}
	ctx.Set("ssm:SessionDocumentAccessCheck", "true")
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Evaluate(sshUserArn, "ssm:StartSession", "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartSSHSession", ctx)
		if err != nil || res.Decision != iampolicy.Allowed {
			b.Fatalf("%v %v", err, res.Decision)
		}
	}
}

// BenchmarkAuthzGetRoleRoundTrip measures a full authorized IAM call
// through the SDK (signing, verification, authorization, XML).
func BenchmarkAuthzGetRoleRoundTrip(b *testing.B) {
	s := startSim(b, iamFixture(b), Options{})
	c := iamAs(s, "sshuser")
	s.WithState(func(st *State) {
		st.Users["sshuser"].InlinePolicies["read"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")}); err != nil {
			b.Fatal(err)
		}
	}
}
