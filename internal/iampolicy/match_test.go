package iampolicy

import (
	"strings"
	"testing"
)

func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "ssm:StartSession", true},
		{"ssm:StartSession", "ssm:StartSession", true},
		{"ssm:startsession", "SSM:StartSession", true},
		{"SSM:Start*", "ssm:startsession", true},
		{"ssm:*", "ssm:StartSession", true},
		{"ssm:*", "ssmmessages:OpenDataChannel", false},
		{"ssm*", "ssmmessages:OpenDataChannel", true},
		{"ssm:*Session", "ssm:TerminateSession", true},
		{"ssm:*Session", "ssm:TerminateSessions", false},
		{"ssm:Get?onnectionStatus", "ssm:GetConnectionStatus", true},
		{"ssm:Get?onnectionStatus", "ssm:GetonnectionStatus", false},
		{"ec2:Describe*", "ec2:DescribeInstances", true},
		{"ec2:Describe*", "ec2:RunInstances", false},
		{"s3:Get*Tagging", "s3:GetObjectTagging", true},
		{"s3:*Object*", "s3:PutObjectAcl", true},
		{"iam:PassRole", "iam:PassRoles", false},
		{"", "", true},
		{"", "s3:Get", false},
		{"a:\u00c9*", "a:\u00e9t\u00e9", true}, // non-ASCII folds too
	}
	for _, tt := range tests {
		if got := MatchAction(tt.pattern, tt.action); got != tt.want {
			t.Errorf("MatchAction(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestMatchResource(t *testing.T) {
	tests := []struct {
		pattern, resource string
		want              bool
	}{
		{"*", "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", true},
		{"*", "", true},
		{"arn:aws:ssm:*:*:document/AWS-StartSSHSession", "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartSSHSession", true},
		{"arn:aws:ssm:*:*:document/AWS-StartSSHSession", "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession", true}, // "*" also matches an empty field
		{"arn:aws:ssm:*:*:document/AWS-StartSSHSession", "arn:aws:ssm:us-east-1:123:document/aws-startsshsession", false},
		{"arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:eu-west-1:1:instance/i-1", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", true}, // spans '/'
		{"arn:aws:s3:::*", "arn:aws:s3:::bucket/key", true},
		{"arn:aws:*", "arn:aws:ssm:us-east-1:1:session/x", true}, // spans ':'
		{"arn:aws:ssm:us-east-1:1:session/alice-*", "arn:aws:ssm:us-east-1:1:session/alice-0123", true},
		{"arn:aws:ssm:us-east-1:1:session/alice-*", "arn:aws:ssm:us-east-1:1:session/Alice-0123", false}, // case-sensitive
		{"arn:aws:ssm:us-east-?:1:*", "arn:aws:ssm:us-east-1:1:x", true},
		{"arn:aws:ssm:us-east-?:1:*", "arn:aws:ssm:us-east-10:1:x", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"a**", "a", true},
		{"*a*a*a*a*a*a*b", strings.Repeat("a", 200), false}, // no exponential blow-up
		{"?", "é", true},                                    // '?' is one character, not one byte
		{"??", "é", false},
		{"x\x00y", "x\x00y", true}, // NUL in a document is an ordinary character
	}
	for _, tt := range tests {
		if got := MatchResource(tt.pattern, tt.resource); got != tt.want {
			t.Errorf("MatchResource(%q, %q) = %v, want %v", tt.pattern, tt.resource, got, tt.want)
		}
	}
}

func TestGlobEscapes(t *testing.T) {
	tests := []struct {
		pattern, s string
		fold, want bool
	}{
		{"a\x00*", "a*", false, true},
		{"a\x00*", "ab", false, false},
		{"a\x00?", "a?", false, true},
		{"a\x00?", "ab", false, false},
		{"\x00\x00", "\x00", false, true},
		{"a\x00", "a\x00", false, true}, // trailing lone escape is literal
		{"\xff", "\xfe", true, false},   // invalid UTF-8 never folds together
		{"\xff", "\xff", true, true},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s, tt.fold); got != tt.want {
			t.Errorf("glob(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
		}
	}
}

func TestArnMatch(t *testing.T) {
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:role/Admin", true},
		{"arn:aws:iam::*:role/Admin", "arn:aws:iam::123456789012:role/Admin", true},
		{"arn:aws:iam::123456789012:role/*", "arn:aws:iam::123456789012:role/path/Admin", true},
		{"arn:aws:iam::123456789012:*", "arn:aws:iam::123456789012:role/Admin", true},
		{"arn:aws:sns:*:123456789012:topic", "arn:aws:sns:us-east-1:123456789012:topic", true},
		// a '*' in one field does not reach into the next one
		{"arn:aws:sns:*:topic", "arn:aws:sns:us-east-1:123456789012:topic", false},
		{"arn:aws:sns:us-*:123456789012:topic", "arn:aws:sns:us-east-1:999:topic", false},
		// resource part keeps its own colons
		{"arn:aws:logs:us-east-1:1:log-group:/aws/*:*", "arn:aws:logs:us-east-1:1:log-group:/aws/x:log-stream", true},
		{"*", "arn:aws:iam::1:role/x", true},
		{"arn:aws:iam::1:role/x", "not-an-arn", false},
	}
	for _, tt := range tests {
		if got := arnMatch(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("arnMatch(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}
