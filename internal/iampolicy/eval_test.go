package iampolicy

import (
	"reflect"
	"sync"
	"testing"
)

func pol(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

const (
	allowSSM      = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowSSM","Effect":"Allow","Action":"ssm:*","Resource":"*"}]}`
	denyTerminate = `{"Version":"2012-10-17","Statement":[{"Sid":"NoTerminate","Effect":"Deny","Action":"ssm:TerminateSession","Resource":"*"}]}`
	allowEC2      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
)

// evaluateCases is package-level so FuzzParseEvaluate can seed from it.
var evaluateCases = []struct {
	name         string
	identity     []string
	boundaries   []string
	req          Request
	want         Decision
	wantMatched  []string // "policyID/index/effect"
	wantBoundary bool
}{
	{"no policies", nil, nil, Request{Action: "ssm:StartSession", Resource: "*"}, ImplicitDeny, nil, true},
	{"allowed", []string{allowSSM}, nil, Request{Action: "ssm:StartSession", Resource: "*"}, Allowed, []string{"p0/0/Allow"}, true},
	{"allow in one policy, deny in another", []string{allowSSM, denyTerminate}, nil, Request{Action: "ssm:TerminateSession", Resource: "*"}, ExplicitDeny, []string{"p1/0/Deny"}, true},
	{"deny elsewhere does not apply", []string{allowSSM, denyTerminate}, nil, Request{Action: "ssm:StartSession", Resource: "*"}, Allowed, []string{"p0/0/Allow"}, true},
	{"identity allows, boundary does not", []string{allowSSM}, []string{allowEC2}, Request{Action: "ssm:StartSession", Resource: "*"}, ImplicitDeny, nil, false},
	{"identity and boundary allow", []string{allowSSM, allowEC2}, []string{allowEC2}, Request{Action: "ec2:DescribeInstances", Resource: "*"}, Allowed, []string{"p1/0/Allow"}, true},
	{"boundary allows, identity does not", []string{allowEC2}, []string{allowSSM}, Request{Action: "ssm:StartSession", Resource: "*"}, ImplicitDeny, nil, true},
	{"deny in boundary", []string{allowSSM}, []string{allowSSM, denyTerminate}, Request{Action: "ssm:TerminateSession", Resource: "*"}, ExplicitDeny, []string{"b1/0/Deny"}, false},
	{"deny in boundary and identity", []string{denyTerminate}, []string{denyTerminate}, Request{Action: "ssm:TerminateSession", Resource: "*"}, ExplicitDeny, []string{"p0/0/Deny", "b0/0/Deny"}, false},
	{"deny in boundary without identity allow", nil, []string{denyTerminate}, Request{Action: "ssm:TerminateSession", Resource: "*"}, ExplicitDeny, []string{"b0/0/Deny"}, false},
	{"several allows all reported", []string{allowSSM, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"ssm:Start*","Resource":"arn:aws:ec2:*:*:instance/*"}]}`},
		nil, Request{Action: "ssm:StartSession", Resource: "arn:aws:ec2:us-east-1:1:instance/i-1"}, Allowed, []string{"p0/0/Allow", "p1/1/Allow"}, true},
	{"NotAction allow", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*"}, Allowed, []string{"p0/0/Allow"}, true},
	{"NotAction excludes", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}`},
		nil, Request{Action: "IAM:CreateUser", Resource: "*"}, ImplicitDeny, nil, true},
	{"NotAction deny", []string{allowSSM, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"ssm:Describe*","Resource":"*"}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*"}, ExplicitDeny, []string{"p1/0/Deny"}, true},
	{"NotResource allow", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}}`},
		nil, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::public/x"}, Allowed, []string{"p0/0/Allow"}, true},
	{"NotResource excludes", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}}`},
		nil, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::secret/x"}, ImplicitDeny, nil, true},
	{"NotResource with unresolved variable excludes nothing", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}}`},
		nil, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/x"}, Allowed, []string{"p0/0/Allow"}, true},
	{"condition fails", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*", Context: ctxOf("aws:RequestedRegion", "us-east-1")}, ImplicitDeny, nil, true},
	{"conditions ANDed across blocks", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]},"Bool":{"aws:SecureTransport":"true"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*", Context: ctxOf("aws:RequestedRegion", "us-east-1", "|", "aws:SecureTransport", "false")}, ImplicitDeny, nil, true},
	{"conditions ANDed across keys, values ORed", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"],"aws:PrincipalTag/team":"ops"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*", Context: ctxOf("aws:RequestedRegion", "us-east-1", "|", "aws:PrincipalTag/Team", "ops")}, Allowed, []string{"p0/0/Allow"}, true},
	{"deny with MFA condition (BoolIfExists false)", []string{allowSSM, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*"}, ExplicitDeny, []string{"p1/0/Deny"}, true},
	{"deny with MFA condition, MFA present", []string{allowSSM, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*", Context: ctxOf("aws:MultiFactorAuthPresent", "true")}, Allowed, []string{"p0/0/Allow"}, true},
	{"unknown operator never matches an Allow", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*", Context: ctxOf("k", "v")}, ImplicitDeny, nil, true},
	{"unknown operator never matches a Deny", []string{allowSSM, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"ssm:*","Resource":"*","Condition":{"Foo":{"k":"v"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "*", Context: ctxOf("k", "v")}, Allowed, []string{"p0/0/Allow"}, true},
	{"variable in resource", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`},
		nil, Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::home/alice/f", Context: ctxOf("aws:username", "alice")}, Allowed, []string{"p0/0/Allow"}, true},
	{"variable with default in resource", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::team/${aws:PrincipalTag/team, 'shared'}/*"}}`},
		nil, Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::team/shared/f"}, Allowed, []string{"p0/0/Allow"}, true},
	{"principal tag variable", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"ssm:resourceTag/team":"${aws:PrincipalTag/team}"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "arn:aws:ec2:us-east-1:1:instance/i-1", Context: ctxOf("ssm:resourceTag/team", "blue", "|", "aws:PrincipalTag/team", "blue")}, Allowed, []string{"p0/0/Allow"}, true},
	{"principal tag variable mismatch", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"ssm:resourceTag/team":"${aws:PrincipalTag/team}"}}}}`},
		nil, Request{Action: "ssm:StartSession", Resource: "arn:aws:ec2:us-east-1:1:instance/i-1", Context: ctxOf("ssm:resourceTag/team", "red", "|", "aws:PrincipalTag/team", "blue")}, ImplicitDeny, nil, true},
	{"2008 version does not substitute", []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`},
		nil, Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::home/alice/f", Context: ctxOf("aws:username", "alice")}, ImplicitDeny, nil, true},
	{"2008 version takes variables literally", []string{`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`},
		nil, Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::home/${aws:username}/f"}, Allowed, []string{"p0/0/Allow"}, true},
	{"statement without Resource applies everywhere", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`},
		nil, Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::1:role/r"}, Allowed, []string{"p0/0/Allow"}, true},
}

func TestEvaluate(t *testing.T) {
	tests := evaluateCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var id, bd []NamedPolicy
			for i, d := range tt.identity {
				id = append(id, NamedPolicy{ID: "p" + string(rune('0'+i)), Type: "user", Policy: pol(t, d)})
			}
			for i, d := range tt.boundaries {
				bd = append(bd, NamedPolicy{ID: "b" + string(rune('0'+i)), Type: "user-managed", Policy: pol(t, d)})
			}
			res := Evaluate(id, bd, tt.req)
			if res.Decision != tt.want {
				t.Errorf("decision %s, want %s", res.Decision, tt.want)
			}
			var got []string
			for _, m := range res.Matched {
				got = append(got, m.PolicyID+"/"+string(rune('0'+m.StatementIndex))+"/"+m.Effect)
			}
			if !reflect.DeepEqual(got, tt.wantMatched) {
				t.Errorf("matched %q, want %q", got, tt.wantMatched)
			}
			if res.BoundaryAllowed != tt.wantBoundary {
				t.Errorf("BoundaryAllowed %v, want %v", res.BoundaryAllowed, tt.wantBoundary)
			}
		})
	}
}

func TestEvaluateBoundaryDetails(t *testing.T) {
	id := []NamedPolicy{{ID: "inline", Type: "role", Policy: pol(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}}
	bd := []NamedPolicy{{ID: "arn:aws:iam::123456789012:policy/Boundary", Type: "user-managed", Policy: pol(t,
		`{"Version":"2012-10-17","Statement":[{"Sid":"Only","Effect":"Allow","Action":"ssm:*","Resource":"*"}]}`)}}
	res := Evaluate(id, bd, Request{Action: "ssm:StartSession", Resource: "*"})
	want := []Match{{PolicyID: "arn:aws:iam::123456789012:policy/Boundary", PolicyType: "user-managed", Sid: "Only", Effect: "Allow", Start: Position{1, 38}, End: Position{1, 100}}}
	if res.Decision != Allowed || !res.BoundaryAllowed || !reflect.DeepEqual(res.BoundaryMatched, want) {
		t.Errorf("got %+v; boundary matched want %+v", res, want)
	}
	// nil policies are skipped; a boundary list of nils is no boundary.
	res = Evaluate(append(id, NamedPolicy{ID: "nil"}), []NamedPolicy{{ID: "nil"}}, Request{Action: "s3:GetObject", Resource: "*"})
	if res.Decision != Allowed || !res.BoundaryAllowed {
		t.Errorf("nil policies: %+v", res)
	}
}

func TestEvaluateMissingContextValues(t *testing.T) {
	p := pol(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":"*","Condition":{
			"StringEquals":{"ssm:resourceTag/Team":"${aws:PrincipalTag/Team}","aws:RequestedRegion":"us-east-1"},
			"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
		{"Effect":"Deny","Action":"ssm:StartSession","Resource":"*","Condition":{"StringNotEqualsIfExists":{"SSM:RESOURCETAG/TEAM":"x"}}},
		{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"x"}}},
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"ec2:InstanceType":"x"}}}
	]}`)
	res := Evaluate([]NamedPolicy{{ID: "p", Type: "user", Policy: p}}, nil, Request{
		Action: "ssm:StartSession", Resource: "arn:aws:ssm:us-east-1:1:document/AWS-StartSSHSession",
		Context: ctxOf("aws:RequestedRegion", "us-east-1"),
	})
	// s3:prefix (action differs) and ec2:InstanceType (resource differs) are
	// not reported; the tag key is reported once, as first spelled.
	want := []string{"aws:MultiFactorAuthPresent", "aws:PrincipalTag/Team", "ssm:resourceTag/Team"}
	if !reflect.DeepEqual(res.MissingContextValues, want) {
		t.Errorf("missing %q, want %q", res.MissingContextValues, want)
	}
	if res.Decision != ExplicitDeny {
		t.Errorf("decision %s: the IfExists deny applies to an absent key", res.Decision)
	}
}

// Evaluate is called concurrently by the simulated account; run with -race.
func TestEvaluateConcurrent(t *testing.T) {
	p := sshPolicy(t)
	id := []NamedPolicy{{ID: "ssh", Type: "user", Policy: p}}
	req := Request{Action: "ssm:TerminateSession", Resource: "arn:aws:ssm:us-east-1:1:session/alice-1", Context: ctxOf("aws:username", "alice")}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if r := Evaluate(id, id, req); r.Decision != Allowed {
					t.Errorf("decision %s", r.Decision)
					return
				}
			}
		}()
	}
	wg.Wait()
}
