package iampolicy

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const minimalPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

// The tables are package-level so FuzzParseEvaluate can seed from them.
var parseGoodCases = []struct {
	name string
	doc  string
	want []Statement // only the compared fields are set
}{
	{
		name: "plain, string forms",
		doc:  minimalPolicy,
		want: []Statement{{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"*"}}},
	},
	{
		name: "URL-encoded (IAM API style)",
		doc:  url.QueryEscape(minimalPolicy),
		want: []Statement{{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"*"}}},
	},
	{
		name: "URL-encoded with %20 spaces (moto style)",
		doc:  strings.ReplaceAll(url.QueryEscape(`{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}`), "+", "%20"),
		want: []Statement{{Effect: "Deny", Action: []string{"*"}, Resource: []string{"*"}}},
	},
	{
		name: "plain JSON containing %7B in a value is not decoded",
		doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/%7Bx%7D+y"}}`,
		want: []Statement{{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/%7Bx%7D+y"}}},
	},
	{
		name: "statement as object, array forms, NotAction/NotResource",
		doc: `{"Version":"2012-10-17","Statement":{"Sid":"S1","Effect":"Deny",
				"NotAction":["iam:*","sts:GetCallerIdentity"],"NotResource":["arn:aws:iam::*:role/x"]}}`,
		want: []Statement{{Sid: "S1", Effect: "Deny", NotAction: []string{"iam:*", "sts:GetCallerIdentity"}, NotResource: []string{"arn:aws:iam::*:role/x"}}},
	},
	{
		name: "condition values: string, array, number, bool; document order kept",
		doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{
				"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"],"ec2:InstanceType":"t3.micro"},
				"NumericLessThan":{"aws:MultiFactorAuthAge":3600},
				"Bool":{"aws:SecureTransport":true}}}]}`,
		want: []Statement{{Effect: "Allow", Action: []string{"ec2:*"}, Resource: []string{"*"}, Conditions: []Condition{
			{Operator: "StringEquals", Key: "aws:RequestedRegion", Values: []string{"us-east-1", "eu-west-1"}},
			{Operator: "StringEquals", Key: "ec2:InstanceType", Values: []string{"t3.micro"}},
			{Operator: "NumericLessThan", Key: "aws:MultiFactorAuthAge", Values: []string{"3600"}},
			{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}},
		}}},
	},
	{
		name: "principal forms parsed",
		doc: `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
				{"Effect":"Deny","NotPrincipal":"*","Action":"sts:AssumeRole"}]}`,
		want: []Statement{
			{Effect: "Allow", Action: []string{"sts:AssumeRole"}, Principal: map[string][]string{"Service": {"ec2.amazonaws.com"}}},
			{Effect: "Deny", Action: []string{"sts:AssumeRole"}, NotPrincipal: map[string][]string{"*": {"*"}}, Index: 1},
		},
	},
	{
		name: "escaped strings and BOM",
		doc:  "\ufeff" + `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get\u004fbject","Resource":"arn:aws:s3:::b\/k"}]}`,
		want: []Statement{{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/k"}}},
	},
}

func TestParseGood(t *testing.T) {
	tests := parseGoodCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(p.Statements) != len(tt.want) {
				t.Fatalf("got %d statements, want %d", len(p.Statements), len(tt.want))
			}
			for i, got := range p.Statements {
				got.Start, got.End = Position{}, Position{}
				if !reflect.DeepEqual(got, tt.want[i]) {
					t.Errorf("statement %d:\n got %+v\nwant %+v", i, got, tt.want[i])
				}
			}
		})
	}
}

var parseBadCases = []struct {
	name, doc, wantErr string
}{
	{"empty", "", "invalid JSON"},
	{"bad JSON", `{"Version":"2012-10-17",`, "invalid JSON"},
	{"bad JSON position", "{\n  \"Version\" \"2012-10-17\"}", "line 2, column 13"},
	{"trailing garbage", minimalPolicy + "x", "after the end of the document"},
	{"not an object", `["x"]`, "must be a JSON object"},
	{"missing Statement", `{"Version":"2012-10-17"}`, "Statement is missing"},
	{"empty Statement", `{"Version":"2012-10-17","Statement":[]}`, "Statement must not be empty"},
	{"Statement string", `{"Version":"2012-10-17","Statement":"x"}`, "Statement must be an object or an array"},
	{"statement not object", `{"Version":"2012-10-17","Statement":[1]}`, "statement 1: must be an object"},
	{"missing Effect", `{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}`, "statement 1: Effect is missing"},
	{"bad Effect", `{"Version":"2012-10-17","Statement":[` + `{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`,
		"parse policy: statement 2: Effect must be Allow or Deny"},
	{"Action number", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":3,"Resource":"*"}]}`, "Action must be a string or an array"},
	{"Action entry number", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*",3],"Resource":"*"}]}`, "Action entries must be strings"},
	{"Action without service", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, "must be \"*\" or service:action"},
	{"Action empty array", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "Action must not be an empty array"},
	{"Action and NotAction", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:*","Resource":"*"}]}`, "cannot both be present"},
	{"no Action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`, "Action or NotAction is required"},
	{"Resource and NotResource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}]}`, "Resource and NotResource"},
	{"empty Resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":""}]}`, "must not be empty"},
	{"bad Version", `{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "Version must be"},
	{"Condition not object", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[]}]}`, "Condition must be an object"},
	{"Condition block not object", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"x"}}]}`, "must map to an object"},
	{"Condition value null", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":null}}}]}`, "values must be strings, numbers or booleans"},
	{"Principal string", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"s3:*"}]}`, "Principal must be"},
	{"bad URL encoding", `%7B%ZZ`, "URL-encoded document"},
	{"deep nesting", strings.Repeat("[", 10000), "nested deeper"},
	{"control char in string", "{\"Version\":\"a\x01\"}", "control character"},
	{"bad escape", `{"Version":"\x"}`, "invalid string"},
	{"bad number", `{"Version":-}`, "invalid number"},
}

func TestParseBad(t *testing.T) {
	tests := parseBadCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc)
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error containing %q", p, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "parse policy: ") {
				t.Errorf("error %q lacks the parse policy prefix", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
		})
	}
}

func warnStmt(extra string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"` + extra + `}]}`
}

var parseWarningCases = []struct {
	name, doc, want string
}{
	{"unknown operator", warnStmt(`,"Condition":{"StringEqualz":{"k":"v"}}`), `unknown condition operator "StringEqualz"`},
	{"NullIfExists is not an operator", warnStmt(`,"Condition":{"NullIfExists":{"k":"true"}}`), `unknown condition operator`},
	{"missing Version", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "Version is missing"},
	{"2008 Version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "does not substitute"},
	{"unknown element", warnStmt(`,"Effekt":"Deny"`), `unknown element "Effekt"`},
	{"unknown top-level element", `{"Version":"2012-10-17","Foo":1,"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, `unknown top-level element "Foo"`},
	{"duplicate key", warnStmt(`,"Effect":"Deny"`), `duplicate key "Effect"`},
	{"non-ARN resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"key-name"}]}`, `"key-name" is neither`},
	{"no Resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*"}]}`, "no Resource"},
	{"bad numeric value", warnStmt(`,"Condition":{"NumericLessThan":{"k":"soon"}}`), "is not a number"},
	{"bad date value", warnStmt(`,"Condition":{"DateLessThan":{"k":"tomorrow"}}`), "is not an ISO 8601 date"},
	{"bad bool value", warnStmt(`,"Condition":{"Bool":{"k":"yes"}}`), "is not true or false"},
	{"bad ip value", warnStmt(`,"Condition":{"IpAddress":{"k":"10.0.0.0/33"}}`), "is not an IP address"},
	{"bad binary value", warnStmt(`,"Condition":{"BinaryEquals":{"k":"!!"}}`), "is not base64"},
	{"empty values", warnStmt(`,"Condition":{"StringEquals":{"k":[]}}`), "has no values"},
	{"duplicate Sid", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, "statement 2: Sid \"A\" is already used by statement 1"},
}

func TestParseWarnings(t *testing.T) {
	tests := parseWarningCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, w := range p.Warnings {
				if strings.Contains(w, tt.want) {
					return
				}
			}
			t.Errorf("no warning contains %q; got %q", tt.want, p.Warnings)
		})
	}
	if p := MustParse(minimalPolicy); len(p.Warnings) != 0 {
		t.Errorf("clean policy has warnings: %q", p.Warnings)
	}
}

func TestParsePositions(t *testing.T) {
	doc := "{\n" +
		"  \"Version\": \"2012-10-17\",\n" +
		"  \"Statement\": [\n" +
		"    {\"Sid\": \"é\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n" +
		"    {\n" +
		"      \"Effect\": \"Deny\",\n" +
		"      \"Action\": \"s3:DeleteBucket\",\n" +
		"      \"Resource\": \"*\"\n" +
		"    }\n" +
		"  ]\n" +
		"}\n"
	for _, d := range []string{doc, url.QueryEscape(doc)} {
		p, err := Parse(d)
		if err != nil {
			t.Fatal(err)
		}
		want := [][2]Position{
			{{4, 5}, {4, 70}}, // the column counts "é" as one character
			{{5, 5}, {9, 5}},
		}
		for i, w := range want {
			st := p.Statements[i]
			if st.Index != i || st.Start != w[0] || st.End != w[1] {
				t.Errorf("statement %d: index %d start %v end %v, want %v %v", i, st.Index, st.Start, st.End, w[0], w[1])
			}
		}
	}
	// A statement error carries the position of the offending value.
	_, err := Parse("{\"Version\":\"2012-10-17\",\"Statement\":[\n{\"Effect\":\"Alow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Statement != 0 || pe.Pos != (Position{2, 11}) {
		t.Errorf("got %#v, want statement 0 at 2:11", err)
	}
}
