package checks

import (
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// TestARNsPerPartition: every ARN the checks build, and every statement
// they suggest, is in the caller's partition (from its STS ARN), for the
// commercial, GovCloud and China partitions; AWS managed policies are
// recognised in each.
func TestARNsPerPartition(t *testing.T) {
	for _, tc := range []struct{ partition, region string }{
		{"aws", "us-east-1"}, {"aws-us-gov", "us-gov-west-1"}, {"aws-cn", "cn-north-1"},
	} {
		c := awsfacts.ParseCaller("123456789012", "arn:"+tc.partition+":iam::123456789012:user/alice", "AIDAALICE")
		if c.Partition != tc.partition || c.PrincipalArn != "arn:"+tc.partition+":iam::123456789012:user/alice" {
			t.Fatalf("%s: caller %+v", tc.partition, c)
		}
		ec2 := &Target{InstanceID: "i-0123456789abcdef0"}
		hybrid := &Target{InstanceID: "mi-0123456789abcdef0", Hybrid: true}
		want := map[string]string{
			instanceArn(c, tc.region, ec2):                            "arn:" + tc.partition + ":ec2:" + tc.region + ":123456789012:instance/i-0123456789abcdef0",
			instanceArn(c, tc.region, hybrid):                         "arn:" + tc.partition + ":ssm:" + tc.region + ":123456789012:managed-instance/mi-0123456789abcdef0",
			documentArn(c, tc.region, "AWS-StartSSHSession"):          "arn:" + tc.partition + ":ssm:" + tc.region + "::document/AWS-StartSSHSession",
			documentArn(c, tc.region, "Team-PortForward"):             "arn:" + tc.partition + ":ssm:" + tc.region + ":123456789012:document/Team-PortForward",
			startDocReq(c, tc.region, "AWS-StartSSHSession").Resource: "arn:" + tc.partition + ":ssm:" + tc.region + "::document/AWS-StartSSHSession",
		}
		for got, w := range want {
			if got != w {
				t.Errorf("%s: built %q, want %q", tc.partition, got, w)
			}
		}
		stmt := startSessionStatement(c, tc.region, "AWS-StartSSHSession")
		if strings.Count(stmt, "arn:"+tc.partition+":") != 2 || tc.partition != "aws" && strings.Contains(stmt, "arn:aws:") {
			t.Errorf("%s: suggested statement %s", tc.partition, stmt)
		}
		legacy := "arn:" + tc.partition + ":iam::aws:policy/" + legacyRolePolicyName
		if !awsManagedPolicy(legacy, legacyRolePolicyName) || awsManagedPolicy("arn:"+tc.partition+":iam::123456789012:policy/"+legacyRolePolicyName, legacyRolePolicyName) {
			t.Errorf("%s: managed policy recognition", tc.partition)
		}
	}
}
