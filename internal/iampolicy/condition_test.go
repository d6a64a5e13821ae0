package iampolicy

import (
	"testing"
)

// ctxOf builds a context from key, values... groups separated by "|":
// ctxOf("a", "1", "2", "|", "b", "x").
func ctxOf(kv ...string) Context {
	c := Context{}
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			c.Set(cur[0], cur[1:]...)
		}
		cur = nil
	}
	for _, s := range kv {
		if s == "|" {
			flush()
			continue
		}
		cur = append(cur, s)
	}
	flush()
	return c
}

// conditionCases is package-level so FuzzParseEvaluate can seed from it.
var conditionCases = []struct {
	name   string
	op     string
	key    string
	values []string
	ctx    Context
	want   bool
}{
	// String operators.
	{"StringEquals match", "StringEquals", "aws:username", []string{"bob", "alice"}, ctxOf("aws:username", "alice"), true},
	{"StringEquals case-sensitive value", "StringEquals", "aws:username", []string{"Alice"}, ctxOf("aws:username", "alice"), false},
	{"StringEquals key case-insensitive", "StringEquals", "AWS:UserName", []string{"alice"}, ctxOf("aws:username", "alice"), true},
	{"StringEquals absent", "StringEquals", "aws:username", []string{"alice"}, ctxOf(), false},
	{"StringEquals literal star", "StringEquals", "k", []string{"a*"}, ctxOf("k", "abc"), false},
	{"StringEquals with variable", "StringEquals", "s3:prefix", []string{"home/${aws:username}"}, ctxOf("s3:prefix", "home/alice", "|", "aws:username", "alice"), true},
	{"StringEquals variable missing", "StringEquals", "s3:prefix", []string{"home/${aws:username}"}, ctxOf("s3:prefix", "home/"), false},
	{"StringEquals multi-valued request, any matches", "StringEquals", "k", []string{"b"}, ctxOf("k", "a", "b"), true},
	{"StringNotEquals match", "StringNotEquals", "k", []string{"a"}, ctxOf("k", "b"), true},
	{"StringNotEquals equal", "StringNotEquals", "k", []string{"a", "b"}, ctxOf("k", "b"), false},
	{"StringNotEquals absent is true", "StringNotEquals", "k", []string{"a"}, ctxOf(), true},
	{"StringNotEquals multi-valued request, one equal", "StringNotEquals", "k", []string{"a"}, ctxOf("k", "a", "b"), false},
	{"StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "k", []string{"ALICE"}, ctxOf("k", "alice"), true},
	{"StringNotEqualsIgnoreCase equal", "StringNotEqualsIgnoreCase", "k", []string{"ALICE"}, ctxOf("k", "alice"), false},
	{"StringNotEqualsIgnoreCase differs", "StringNotEqualsIgnoreCase", "k", []string{"bob"}, ctxOf("k", "alice"), true},
	{"StringLike star", "StringLike", "s3:prefix", []string{"home/*"}, ctxOf("s3:prefix", "home/a/b"), true},
	{"StringLike question", "StringLike", "k", []string{"t?"}, ctxOf("k", "t3"), true},
	{"StringLike no match", "StringLike", "k", []string{"t?"}, ctxOf("k", "t33"), false},
	{"StringLike case-sensitive", "StringLike", "k", []string{"A*"}, ctxOf("k", "abc"), false},
	{"StringLike variable", "StringLike", "k", []string{"${aws:username}/*"}, ctxOf("k", "alice/x", "|", "aws:username", "alice"), true},
	{"StringLike variable value is literal", "StringLike", "k", []string{"${aws:PrincipalTag/p}"}, ctxOf("k", "anything", "|", "aws:PrincipalTag/p", "*"), false},
	{"StringLike ${*} is literal", "StringLike", "k", []string{"a${*}"}, ctxOf("k", "a*"), true},
	{"StringLike ${*} is not a wildcard", "StringLike", "k", []string{"a${*}"}, ctxOf("k", "ab"), false},
	{"StringNotLike", "StringNotLike", "k", []string{"a*"}, ctxOf("k", "ba"), true},
	{"StringNotLike matches", "StringNotLike", "k", []string{"a*"}, ctxOf("k", "ab"), false},
	{"StringNotLike absent", "StringNotLike", "k", []string{"a*"}, ctxOf(), true},

	// Numeric.
	{"NumericEquals", "NumericEquals", "n", []string{"10"}, ctxOf("n", "10.0"), true},
	{"NumericNotEquals", "NumericNotEquals", "n", []string{"10"}, ctxOf("n", "11"), true},
	{"NumericNotEquals equal", "NumericNotEquals", "n", []string{"10"}, ctxOf("n", "10"), false},
	{"NumericNotEquals absent", "NumericNotEquals", "n", []string{"10"}, ctxOf(), true},
	{"NumericLessThan", "NumericLessThan", "aws:MultiFactorAuthAge", []string{"3600"}, ctxOf("aws:MultiFactorAuthAge", "100"), true},
	{"NumericLessThan equal", "NumericLessThan", "n", []string{"5"}, ctxOf("n", "5"), false},
	{"NumericLessThanEquals", "NumericLessThanEquals", "n", []string{"5"}, ctxOf("n", "5"), true},
	{"NumericGreaterThan", "NumericGreaterThan", "n", []string{"5"}, ctxOf("n", "5.5"), true},
	{"NumericGreaterThan no", "NumericGreaterThan", "n", []string{"5"}, ctxOf("n", "-1"), false},
	{"NumericGreaterThanEquals", "NumericGreaterThanEquals", "n", []string{"5"}, ctxOf("n", "5"), true},
	{"Numeric bad request value", "NumericEquals", "n", []string{"5"}, ctxOf("n", "five"), false},
	{"Numeric bad policy value", "NumericEquals", "n", []string{"five"}, ctxOf("n", "5"), false},
	{"Numeric NaN never equal", "NumericEquals", "n", []string{"NaN"}, ctxOf("n", "NaN"), false},
	{"Numeric absent", "NumericLessThan", "n", []string{"5"}, ctxOf(), false},

	// Date.
	{"DateEquals ISO vs epoch", "DateEquals", "aws:CurrentTime", []string{"2024-01-02T03:04:05Z"}, ctxOf("aws:CurrentTime", "1704164645"), true},
	{"DateEquals offset", "DateEquals", "t", []string{"2024-01-02T05:04:05+02:00"}, ctxOf("t", "2024-01-02T03:04:05Z"), true},
	{"DateNotEquals", "DateNotEquals", "t", []string{"2024-01-02"}, ctxOf("t", "2024-01-03"), true},
	{"DateLessThan", "DateLessThan", "aws:CurrentTime", []string{"2030-01-01T00:00:00Z"}, ctxOf("aws:CurrentTime", "2026-05-01T12:00:00.123Z"), true},
	{"DateLessThan after", "DateLessThan", "t", []string{"2020-01-01T00:00:00Z"}, ctxOf("t", "2026-05-01T12:00:00Z"), false},
	{"DateLessThanEquals", "DateLessThanEquals", "t", []string{"2020-01-01T00:00:00Z"}, ctxOf("t", "1577836800"), true},
	{"DateGreaterThan", "DateGreaterThan", "t", []string{"2020-01-01"}, ctxOf("t", "2020-01-01T00:00:01Z"), true},
	{"DateGreaterThanEquals", "DateGreaterThanEquals", "t", []string{"1577836800.5"}, ctxOf("t", "2020-01-01T00:00:00.5Z"), true},
	{"Date basic format", "DateEquals", "t", []string{"20200101T000000Z"}, ctxOf("t", "2020-01-01T00:00:00Z"), true},
	{"Date eight digits is a date", "DateEquals", "t", []string{"20200101"}, ctxOf("t", "2020-01-01"), true},
	{"Date bad value", "DateLessThan", "t", []string{"2020-01-01"}, ctxOf("t", "yesterday"), false},

	// Bool.
	{"Bool true", "Bool", "aws:SecureTransport", []string{"true"}, ctxOf("aws:SecureTransport", "true"), true},
	{"Bool case-insensitive", "Bool", "aws:SecureTransport", []string{"True"}, ctxOf("aws:SecureTransport", "TRUE"), true},
	{"Bool false vs true", "Bool", "aws:SecureTransport", []string{"false"}, ctxOf("aws:SecureTransport", "true"), false},
	{"Bool absent", "Bool", "aws:SecureTransport", []string{"false"}, ctxOf(), false},
	{"BoolIfExists absent", "BoolIfExists", "ssm:SessionDocumentAccessCheck", []string{"true"}, ctxOf(), true},
	{"BoolIfExists present false", "BoolIfExists", "ssm:SessionDocumentAccessCheck", []string{"true"}, ctxOf("ssm:SessionDocumentAccessCheck", "false"), false},
	{"Bool junk request", "Bool", "b", []string{"true"}, ctxOf("b", "yes"), false},

	// Binary.
	{"BinaryEquals", "BinaryEquals", "k", []string{"QmluYXJ5VmFsdWU="}, ctxOf("k", "QmluYXJ5VmFsdWU="), true},
	{"BinaryEquals padding-insensitive", "BinaryEquals", "k", []string{"QmluYXJ5VmFsdWU="}, ctxOf("k", "QmluYXJ5VmFsdWU"), true},
	{"BinaryEquals differs", "BinaryEquals", "k", []string{"QmluYXJ5VmFsdWU="}, ctxOf("k", "T3RoZXI="), false},

	// IP.
	{"IpAddress v4 CIDR", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctxOf("aws:SourceIp", "203.0.113.9"), true},
	{"IpAddress v4 outside", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctxOf("aws:SourceIp", "203.0.114.9"), false},
	{"IpAddress single address", "IpAddress", "aws:SourceIp", []string{"203.0.113.9"}, ctxOf("aws:SourceIp", "203.0.113.9"), true},
	{"IpAddress unmasked CIDR", "IpAddress", "aws:SourceIp", []string{"10.1.2.3/8"}, ctxOf("aws:SourceIp", "10.200.0.1"), true},
	{"IpAddress v6", "IpAddress", "aws:SourceIp", []string{"2001:DB8:1234:5678::/64"}, ctxOf("aws:SourceIp", "2001:db8:1234:5678::1"), true},
	{"IpAddress v6 outside", "IpAddress", "aws:SourceIp", []string{"2001:DB8:1234:5678::/64"}, ctxOf("aws:SourceIp", "2001:db8:1234:5679::1"), false},
	{"IpAddress v4-mapped request", "IpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, ctxOf("aws:SourceIp", "::ffff:10.1.1.1"), true},
	{"IpAddress v4-mapped policy", "IpAddress", "aws:SourceIp", []string{"::ffff:10.0.0.0/104"}, ctxOf("aws:SourceIp", "10.1.1.1"), true},
	{"IpAddress v4 vs v6 family", "IpAddress", "aws:SourceIp", []string{"0.0.0.0/0"}, ctxOf("aws:SourceIp", "2001:db8::1"), false},
	{"IpAddress any of values", "IpAddress", "aws:SourceIp", []string{"192.0.2.0/24", "198.51.100.0/24"}, ctxOf("aws:SourceIp", "198.51.100.7"), true},
	{"IpAddress zone ignored", "IpAddress", "aws:SourceIp", []string{"fe80::/10"}, ctxOf("aws:SourceIp", "fe80::1%eth0"), true},
	{"IpAddress junk request", "IpAddress", "aws:SourceIp", []string{"0.0.0.0/0"}, ctxOf("aws:SourceIp", "localhost"), false},
	{"NotIpAddress outside", "NotIpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctxOf("aws:SourceIp", "198.51.100.1"), true},
	{"NotIpAddress inside", "NotIpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctxOf("aws:SourceIp", "203.0.113.1"), false},
	{"NotIpAddress absent", "NotIpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctxOf(), true},

	// ARN.
	{"ArnEquals", "ArnEquals", "aws:SourceArn", []string{"arn:aws:sns:us-east-1:123456789012:topic"}, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic"), true},
	{"ArnEquals wildcard per field", "ArnEquals", "aws:SourceArn", []string{"arn:aws:sns:*:123456789012:topic"}, ctxOf("aws:SourceArn", "arn:aws:sns:eu-west-1:123456789012:topic"), true},
	{"ArnLike", "ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/ops-*"}, ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/ops-admin"), true},
	{"ArnLike wrong account", "ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::111111111111:role/*"}, ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/x"), false},
	{"ArnLike short pattern", "ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::*"}, ctxOf("aws:PrincipalArn", "arn:aws:iam::1:role/x"), false},
	{"ArnLike variable", "ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:user/${aws:username}"}, ctxOf("aws:PrincipalArn", "arn:aws:iam::1:user/alice", "|", "aws:username", "alice"), true},
	{"ArnNotEquals", "ArnNotEquals", "aws:SourceArn", []string{"arn:aws:sns:*:1:t"}, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:2:t"), true},
	{"ArnNotLike matches", "ArnNotLike", "aws:SourceArn", []string{"arn:aws:sns:*:1:t"}, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:1:t"), false},
	{"ArnNotLike absent", "ArnNotLike", "aws:SourceArn", []string{"arn:aws:sns:*:1:t"}, ctxOf(), true},

	// Null.
	{"Null true, absent", "Null", "aws:TokenIssueTime", []string{"true"}, ctxOf(), true},
	{"Null true, present", "Null", "aws:TokenIssueTime", []string{"true"}, ctxOf("aws:TokenIssueTime", "x"), false},
	{"Null false, present", "Null", "aws:TokenIssueTime", []string{"false"}, ctxOf("aws:TokenIssueTime", "x"), true},
	{"Null false, absent", "Null", "aws:TokenIssueTime", []string{"false"}, ctxOf(), false},
	{"Null key without values is absent", "Null", "k", []string{"true"}, Context{"k": {}}, true},
	{"Null junk", "Null", "k", []string{"maybe"}, ctxOf(), false},

	// IfExists.
	{"StringEqualsIfExists absent", "StringEqualsIfExists", "ec2:InstanceType", []string{"t3.micro"}, ctxOf(), true},
	{"StringEqualsIfExists present mismatch", "StringEqualsIfExists", "ec2:InstanceType", []string{"t3.micro"}, ctxOf("ec2:InstanceType", "m5.large"), false},
	{"StringNotLikeIfExists present", "StringNotLikeIfExists", "k", []string{"a*"}, ctxOf("k", "ab"), false},
	{"NumericLessThanIfExists absent", "NumericLessThanIfExists", "n", []string{"1"}, ctxOf(), true},
	{"DateLessThanIfExists present", "DateLessThanIfExists", "t", []string{"2030-01-01"}, ctxOf("t", "2020-01-01"), true},
	{"IpAddressIfExists absent", "IpAddressIfExists", "aws:SourceIp", []string{"10.0.0.0/8"}, ctxOf(), true},
	{"ArnLikeIfExists absent", "ArnLikeIfExists", "aws:SourceArn", []string{"arn:*:*:*:*:*"}, ctxOf(), true},
	{"operator names are case-insensitive", "stringequalsifexists", "k", []string{"v"}, ctxOf("k", "v"), true},

	// Set operators.
	{"ForAnyValue one matches", "ForAnyValue:StringEquals", "aws:TagKeys", []string{"env", "team"}, ctxOf("aws:TagKeys", "cost", "team"), true},
	{"ForAnyValue none match", "ForAnyValue:StringEquals", "aws:TagKeys", []string{"env"}, ctxOf("aws:TagKeys", "cost", "team"), false},
	{"ForAnyValue absent is false", "ForAnyValue:StringEquals", "aws:TagKeys", []string{"env"}, ctxOf(), false},
	{"ForAllValues all match", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env", "team"}, ctxOf("aws:TagKeys", "env", "team"), true},
	{"ForAllValues one stray", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env", "team"}, ctxOf("aws:TagKeys", "env", "cost"), false},
	{"ForAllValues absent is true", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env"}, ctxOf(), true},
	{"ForAllValues empty is true", "ForAllValues:StringEquals", "aws:TagKeys", []string{"env"}, Context{"aws:tagkeys": {}}, true},
	{"ForAllValues:StringLike", "ForAllValues:StringLike", "aws:TagKeys", []string{"team-*"}, ctxOf("aws:TagKeys", "team-a", "team-b"), true},
	{"ForAnyValue:StringNotEquals one differs", "ForAnyValue:StringNotEquals", "k", []string{"a"}, ctxOf("k", "a", "b"), true},
	{"ForAnyValue:StringNotEquals all equal", "ForAnyValue:StringNotEquals", "k", []string{"a"}, ctxOf("k", "a", "a"), false},
	{"ForAllValues:StringNotEquals", "ForAllValues:StringNotEquals", "k", []string{"a"}, ctxOf("k", "b", "c"), true},
	{"ForAllValues:StringNotEquals one equal", "ForAllValues:StringNotEquals", "k", []string{"a"}, ctxOf("k", "b", "a"), false},
	{"ForAnyValue:StringLikeIfExists absent", "ForAnyValue:StringLikeIfExists", "k", []string{"a*"}, ctxOf(), true},
	{"ForAnyValue:StringLikeIfExists present", "ForAnyValue:StringLikeIfExists", "k", []string{"a*"}, ctxOf("k", "b", "ax"), true},
	{"ForAnyValue:NumericGreaterThan", "ForAnyValue:NumericGreaterThan", "n", []string{"10"}, ctxOf("n", "1", "11"), true},
	{"set prefix case-insensitive", "forallvalues:stringequals", "k", []string{"a"}, ctxOf("k", "a"), true},

	// Unknown operators never match.
	{"unknown operator", "StringEqualz", "k", []string{"v"}, ctxOf("k", "v"), false},
	{"unknown set prefix", "ForSomeValues:StringEquals", "k", []string{"v"}, ctxOf("k", "v"), false},
	{"NullIfExists unknown", "NullIfExists", "k", []string{"true"}, ctxOf(), false},
	{"ForAnyValue:Null unknown", "ForAnyValue:Null", "k", []string{"true"}, ctxOf(), false},
	{"bare IfExists unknown", "IfExists", "k", []string{"v"}, ctxOf(), false},
}

func TestEvalCondition(t *testing.T) {
	tests := conditionCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Condition{Operator: tt.op, Key: tt.key, Values: tt.values}
			if got := evalCondition(c, tt.ctx, true, nil); got != tt.want {
				t.Errorf("%s %s %q with %v = %v, want %v", tt.op, tt.key, tt.values, tt.ctx, got, tt.want)
			}
		})
	}
}

func TestParseOperator(t *testing.T) {
	for _, b := range baseOps {
		for _, name := range []string{b.name, b.name + "IfExists", "ForAnyValue:" + b.name, "ForAllValues:" + b.name + "IfExists"} {
			_, ok := parseOperator(name)
			wantOK := b.op.family != famNull || name == b.name
			if ok != wantOK {
				t.Errorf("parseOperator(%q) ok = %v, want %v", name, ok, wantOK)
			}
		}
	}
}
