package awsfacts

import "testing"

// TestParseCaller: each form of STS identity ARN maps to the principal
// SimulatePrincipalPolicy takes and the name sessions are prefixed with,
// in the caller's own partition.
func TestParseCaller(t *testing.T) {
	cases := []struct {
		arn                           string
		kind, name, principal, prefix string
		partition                     string
	}{
		{"arn:aws:iam::123456789012:user/alice", "user", "alice", "arn:aws:iam::123456789012:user/alice", "alice", "aws"},
		{"arn:aws:iam::123456789012:user/team/ops/bob", "user", "bob", "arn:aws:iam::123456789012:user/team/ops/bob", "bob", "aws"},
		{"arn:aws:sts::123456789012:user/carol", "user", "carol", "arn:aws:iam::123456789012:user/carol", "carol", "aws"},
		{"arn:aws-us-gov:sts::123456789012:assumed-role/Admin/dave@example.com", "assumed-role", "Admin", "arn:aws-us-gov:iam::123456789012:role/Admin", "dave@example.com", "aws-us-gov"},
		{"arn:aws-cn:sts::123456789012:federated-user/erin", "federated-user", "erin", "arn:aws-cn:sts::123456789012:federated-user/erin", "erin", "aws-cn"},
		{"arn:aws:iam::123456789012:root", "root", "root", "arn:aws:iam::123456789012:root", "root", "aws"},
		{"not-an-arn", "", "", "", "", "aws"},
	}
	for _, c := range cases {
		got := ParseCaller("123456789012", c.arn, "AIDAEXAMPLE")
		if got.Kind != c.kind || got.Name != c.name || got.PrincipalArn != c.principal || got.SessionPrefix() != c.prefix || got.Partition != c.partition {
			t.Errorf("%s: %+v (prefix %q)", c.arn, got, got.SessionPrefix())
		}
		if got.Account != "123456789012" || got.Arn != c.arn || got.UserID != "AIDAEXAMPLE" {
			t.Errorf("%s: identity not kept: %+v", c.arn, got)
		}
	}
}
