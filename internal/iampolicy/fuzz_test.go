package iampolicy

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
)

// fuzzRequests are evaluated against every document that parses; they mix
// the SSH scenarios with odd inputs (empty, wildcards, non-ASCII).
var fuzzRequests = []Request{
	{Action: "ssm:StartSession", Resource: "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartSSHSession",
		Context: ctxOf("ssm:SessionDocumentAccessCheck", "true", "|", "aws:username", "alice")},
	{Action: "ssm:TerminateSession", Resource: "arn:aws:ssm:us-east-1:123456789012:session/alice-0123",
		Context: ctxOf("aws:username", "alice", "|", "aws:SourceIp", "10.0.0.1", "|", "aws:CurrentTime", "2026-01-01T00:00:00Z",
			"|", "aws:TagKeys", "a", "b", "|", "n", "5", "|", "k", "v", "|", "aws:MultiFactorAuthPresent", "true")},
	{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
	{Action: "", Resource: ""},
	{Action: "*", Resource: "*", Context: Context{"": {""}, "*": {"*", "?"}}},
	{Action: "é:?", Resource: "\x00*\xff", Context: ctxOf("k", "\xff", "|", "aws:PrincipalTag/team", "${*}")},
}

func FuzzParseEvaluate(f *testing.F) {
	if b, err := os.ReadFile("testdata/ssh-reference-policy.json"); err == nil {
		f.Add(string(b))
		f.Add(url.QueryEscape(string(b)))
	}
	f.Add(minimalPolicy)
	for _, c := range parseGoodCases {
		f.Add(c.doc)
	}
	for _, c := range parseBadCases {
		f.Add(c.doc)
	}
	for _, c := range parseWarningCases {
		f.Add(c.doc)
	}
	for _, c := range evaluateCases {
		for _, d := range c.identity {
			f.Add(d)
		}
	}
	// One document per condition case, so every operator spelling is seeded.
	for _, c := range conditionCases {
		cond, _ := json.Marshal(map[string]map[string][]string{c.op: {c.key: c.values}})
		f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + string(cond) + `}}`)
	}

	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned both a policy and an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "parse policy: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if len(p.Statements) == 0 {
			t.Fatal("Parse accepted a policy without statements")
		}
		for i, st := range p.Statements {
			if st.Index != i {
				t.Fatalf("statement %d has Index %d", i, st.Index)
			}
			if st.Effect != "Allow" && st.Effect != "Deny" {
				t.Fatalf("statement %d has Effect %q", i, st.Effect)
			}
			if st.Start.Line < 1 || st.Start.Column < 1 || st.End.Line < st.Start.Line ||
				(st.End.Line == st.Start.Line && st.End.Column <= st.Start.Column) {
				t.Fatalf("statement %d has positions %v-%v", i, st.Start, st.End)
			}
		}
		np := []NamedPolicy{{ID: "fuzz", Type: "user", Policy: p}}
		for _, req := range fuzzRequests {
			for _, bd := range [][]NamedPolicy{nil, np} {
				res := Evaluate(np, bd, req)
				switch res.Decision {
				case Allowed:
					if len(res.Matched) == 0 || !res.BoundaryAllowed {
						t.Fatalf("allowed without matches or boundary: %+v", res)
					}
				case ExplicitDeny:
					if len(res.Matched) == 0 {
						t.Fatalf("explicit deny without matches: %+v", res)
					}
				case ImplicitDeny:
					if len(res.Matched) != 0 {
						t.Fatalf("implicit deny with matches: %+v", res)
					}
				default:
					t.Fatalf("decision %q", res.Decision)
				}
				// The same policy as identity and boundary cannot disagree.
				if bd != nil && res.Decision != Evaluate(np, nil, req).Decision {
					t.Fatalf("self-boundary changed the decision for %+v", req)
				}
			}
		}
	})
}
