package iampolicy

import (
	"os"
	"reflect"
	"testing"
)

// The reference SSH-over-SSM policy
// (docs/check-catalogue.md#the-reference-ssh-policy),
// kept verbatim in testdata.
func sshPolicy(t testing.TB) *Policy {
	t.Helper()
	b, err := os.ReadFile("testdata/ssh-reference-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSSHReferencePolicy(t *testing.T) {
	p := sshPolicy(t)
	id := []NamedPolicy{{ID: "ssh-access", Type: "user", Policy: p}}
	tests := []struct {
		name      string
		req       Request
		want      Decision
		wantStmt  []int
		wantMissg []string
	}{
		{
			name: "StartSession on the SSH document with the access check",
			req: Request{Action: "ssm:StartSession", Resource: "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartSSHSession",
				Context: ctxOf("ssm:SessionDocumentAccessCheck", "true")},
			want: Allowed, wantStmt: []int{0},
		},
		{
			name: "StartSession on the SSH document without the context key (IfExists)",
			req:  Request{Action: "ssm:StartSession", Resource: "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartSSHSession"},
			want: Allowed, wantStmt: []int{0}, wantMissg: []string{"ssm:SessionDocumentAccessCheck"},
		},
		{
			name: "StartSession with the access check false",
			req: Request{Action: "ssm:StartSession", Resource: "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartSSHSession",
				Context: ctxOf("ssm:SessionDocumentAccessCheck", "false")},
			want: ImplicitDeny,
		},
		{
			name: "StartSession on the listed instance",
			req:  Request{Action: "ssm:StartSession", Resource: "arn:aws:ec2:region:987654321098:instance/i-02573cafcfEXAMPLE", Context: ctxOf("ssm:SessionDocumentAccessCheck", "true")},
			want: Allowed, wantStmt: []int{0},
		},
		{
			name: "StartSession on an unlisted instance",
			req:  Request{Action: "ssm:StartSession", Resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0", Context: ctxOf("ssm:SessionDocumentAccessCheck", "true")},
			want: ImplicitDeny,
		},
		{
			name: "StartSession on another document",
			req:  Request{Action: "ssm:StartSession", Resource: "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartPortForwardingSession"},
			want: ImplicitDeny,
		},
		{
			name: "TerminateSession on own session",
			req:  Request{Action: "ssm:TerminateSession", Resource: "arn:aws:ssm:us-east-1:123456789012:session/alice-0123", Context: ctxOf("aws:username", "alice")},
			want: Allowed, wantStmt: []int{2},
		},
		{
			name: "TerminateSession on someone else's session",
			req:  Request{Action: "ssm:TerminateSession", Resource: "arn:aws:ssm:us-east-1:123456789012:session/alice-0123", Context: ctxOf("aws:username", "bob")},
			want: ImplicitDeny,
		},
		{
			name: "TerminateSession without aws:username reports it missing",
			req:  Request{Action: "ssm:TerminateSession", Resource: "arn:aws:ssm:us-east-1:123456789012:session/alice-0123"},
			want: ImplicitDeny, wantMissg: []string{"aws:username"},
		},
		{
			name: "read permissions on *",
			req:  Request{Action: "ec2:DescribeInstances", Resource: "*"},
			want: Allowed, wantStmt: []int{1},
		},
		{
			name: "read permission, action case-insensitive, empty resource",
			req:  Request{Action: "SSM:getconnectionstatus"},
			want: Allowed, wantStmt: []int{1},
		},
		{
			name: "unlisted action",
			req:  Request{Action: "ssm:SendCommand", Resource: "*"},
			want: ImplicitDeny,
		},
		{
			name: "kms on the literal resource",
			req:  Request{Action: "kms:GenerateDataKey", Resource: "key-name"},
			want: Allowed, wantStmt: []int{3},
		},
		{
			name: "kms on a real key ARN is not covered",
			req:  Request{Action: "kms:GenerateDataKey", Resource: "arn:aws:kms:us-east-1:123456789012:key/1234abcd"},
			want: ImplicitDeny,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(id, nil, tt.req)
			if res.Decision != tt.want {
				t.Fatalf("decision %s, want %s (result %+v)", res.Decision, tt.want, res)
			}
			var got []int
			for _, m := range res.Matched {
				got = append(got, m.StatementIndex)
				if m.PolicyID != "ssh-access" || m.PolicyType != "user" || m.Effect != "Allow" {
					t.Errorf("match %+v lacks its policy identity", m)
				}
			}
			if !reflect.DeepEqual(got, tt.wantStmt) {
				t.Errorf("matched statements %v, want %v", got, tt.wantStmt)
			}
			if !reflect.DeepEqual(res.MissingContextValues, tt.wantMissg) {
				t.Errorf("missing context values %q, want %q", res.MissingContextValues, tt.wantMissg)
			}
			if !res.BoundaryAllowed {
				t.Error("BoundaryAllowed must be true without a boundary")
			}
		})
	}
}

func TestSSHReferencePolicyPositions(t *testing.T) {
	p := sshPolicy(t)
	want := [][2]Position{
		{{4, 5}, {8, 79}},
		{{9, 5}, {12, 21}},
		{{13, 5}, {14, 63}},
		{{15, 5}, {15, 82}},
	}
	if len(p.Statements) != len(want) {
		t.Fatalf("%d statements", len(p.Statements))
	}
	for i, w := range want {
		if st := p.Statements[i]; st.Start != w[0] || st.End != w[1] {
			t.Errorf("statement %d at %v-%v, want %v-%v", i, st.Start, st.End, w[0], w[1])
		}
	}
	// The fixture's "key-name" resource is something AWS would refuse.
	found := false
	for _, w := range p.Warnings {
		if w == `statement 4: Resource "key-name" is neither "*" nor an ARN; AWS rejects such documents` {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %q lack the key-name one", p.Warnings)
	}

	res := Evaluate([]NamedPolicy{{ID: "ssh", Type: "user", Policy: p}}, nil, Request{
		Action: "ssm:TerminateSession", Resource: "arn:aws:ssm:us-east-1:123456789012:session/alice-0123", Context: ctxOf("aws:username", "alice"),
	})
	wantMatch := []Match{{PolicyID: "ssh", PolicyType: "user", StatementIndex: 2, Effect: "Allow", Start: Position{13, 5}, End: Position{14, 63}}}
	if !reflect.DeepEqual(res.Matched, wantMatch) {
		t.Errorf("matched %+v, want %+v", res.Matched, wantMatch)
	}
}
