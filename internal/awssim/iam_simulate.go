package awssim

import (
	"strconv"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

type xmlPosition struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

type xmlStatement struct {
	SourcePolicyID   string      `xml:"SourcePolicyId"`
	SourcePolicyType string      `xml:"SourcePolicyType"`
	StartPosition    xmlPosition `xml:"StartPosition"`
	EndPosition      xmlPosition `xml:"EndPosition"`
}

type xmlBoundaryDetail struct {
	Allowed bool `xml:"AllowedByPermissionsBoundary"`
}

type xmlResourceResult struct {
	EvalResourceName     string                `xml:"EvalResourceName"`
	EvalResourceDecision string                `xml:"EvalResourceDecision"`
	MatchedStatements    members[xmlStatement] `xml:"MatchedStatements"`
	MissingContextValues members[string]       `xml:"MissingContextValues"`
	Boundary             *xmlBoundaryDetail    `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
}

type xmlEvalResult struct {
	EvalActionName          string                      `xml:"EvalActionName"`
	EvalResourceName        string                      `xml:"EvalResourceName"`
	EvalDecision            string                      `xml:"EvalDecision"`
	MatchedStatements       members[xmlStatement]       `xml:"MatchedStatements"`
	MissingContextValues    members[string]             `xml:"MissingContextValues"`
	Boundary                *xmlBoundaryDetail          `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
	ResourceSpecificResults *members[xmlResourceResult] `xml:"ResourceSpecificResults,omitempty"`
}

// simulateInput is SimulatePrincipalPolicy's request, parsed.
type simulateInput struct {
	source     string
	actions    []string
	resources  []string // nil: the default "*"
	ctx        iampolicy.Context
	extra      []iampolicy.NamedPolicy // PolicyInputList
	boundaries []iampolicy.NamedPolicy // PermissionsBoundaryPolicyInputList
}

// Context key types the API accepts (ContextKeyType).
var contextKeyTypes = map[string]bool{
	"string": true, "stringList": true, "numeric": true, "numericList": true,
	"boolean": true, "booleanList": true, "ip": true, "ipList": true,
	"binary": true, "binaryList": true, "date": true, "dateList": true,
}

func parseSimulateInput(c *Call) (*simulateInput, error) {
	in := &simulateInput{ctx: iampolicy.Context{}}
	var err error
	if in.source, err = required(c, "PolicySourceArn"); err != nil {
		return nil, err
	}
	in.actions = c.FormList("ActionNames")
	if len(in.actions) == 0 {
		return nil, missingParam("ActionNames")
	}
	in.resources = c.FormList("ResourceArns")
	for i := 1; ; i++ {
		p := "ContextEntries.member." + strconv.Itoa(i)
		name := c.Form.Get(p + ".ContextKeyName")
		if name == "" {
			if _, ok := c.Form[p+".ContextKeyType"]; ok {
				return nil, invalidInput("Context key name is missing for context entry %d.", i)
			}
			break
		}
		if t := c.Form.Get(p + ".ContextKeyType"); t != "" && !contextKeyTypes[t] {
			return nil, invalidInput("Invalid context key type %s for context key %s.", t, name)
		}
		in.ctx.Set(name, c.FormList(p+".ContextKeyValues")...)
	}
	inputs := func(list string) ([]iampolicy.NamedPolicy, error) {
		var out []iampolicy.NamedPolicy
		for i, doc := range c.FormList(list) {
			pol, perr := parsePolicyCached(doc)
			if perr != nil {
				return nil, malformedPolicy(perr)
			}
			out = append(out, iampolicy.NamedPolicy{ID: list + "." + strconv.Itoa(i+1), Type: "IAM Policy", Policy: pol})
		}
		return out, nil
	}
	if in.extra, err = inputs("PolicyInputList"); err != nil {
		return nil, err
	}
	if in.boundaries, err = inputs("PermissionsBoundaryPolicyInputList"); err != nil {
		return nil, err
	}
	return in, nil
}

// iamSimulatePrincipalPolicy evaluates the principal's policies (plus any
// PolicyInputList) for each action on each resource, with only the
// context entries given: AWS fills in no keys itself, so a missing
// ${aws:username} shows up in MissingContextValues. A boundary passed in
// PermissionsBoundaryPolicyInputList replaces the entity's own.
//
// Shape: one EvaluationResult per action. With explicit ResourceArns each
// resource gets a ResourceSpecificResult and the action's decision
// aggregates them (an explicit deny anywhere wins, then any allow); with
// several resources EvalResourceName is "*".
func (s *Sim) iamSimulatePrincipalPolicy(c *Call) (any, error) {
	in, err := parseSimulateInput(c)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(in.source, "arn:aws:sts::") {
		return nil, invalidInput("Invalid ARN: %s. PolicySourceArn must be the ARN of a user, group or role.", in.source)
	}
	if err := s.authorize(c, "iam:SimulatePrincipalPolicy", in.source, nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	ps, perr := s.policiesOfArnLocked(in.source)
	s.mu.Unlock()
	if perr != nil {
		return nil, perr
	}
	identity := append(ps.identity, in.extra...)
	boundary := ps.boundary
	if len(in.boundaries) > 0 {
		boundary = in.boundaries
	}
	hasBoundary := len(boundary) > 0

	resources := in.resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	results := make([]xmlEvalResult, 0, len(in.actions))
	for _, action := range in.actions {
		er := xmlEvalResult{EvalActionName: action, EvalResourceName: resources[0]}
		if len(resources) > 1 {
			er.EvalResourceName = "*"
		}
		var perRes []xmlResourceResult
		// The top-level decision is the most restrictive across resources:
		// allowed only when every resource is allowed.
		allAllow, anyExplicit, boundaryOK := true, false, true
		for _, res := range resources {
			r := iampolicy.Evaluate(identity, boundary, iampolicy.Request{Action: action, Resource: res, Context: in.ctx})
			allAllow = allAllow && r.Decision == iampolicy.Allowed
			anyExplicit = anyExplicit || r.Decision == iampolicy.ExplicitDeny
			boundaryOK = boundaryOK && r.BoundaryAllowed
			rr := xmlResourceResult{EvalResourceName: res, EvalResourceDecision: string(r.Decision)}
			rr.MatchedStatements.Items = xmlMatches(r.Matched)
			rr.MissingContextValues.Items = r.MissingContextValues
			if hasBoundary {
				rr.Boundary = &xmlBoundaryDetail{Allowed: r.BoundaryAllowed}
			}
			perRes = append(perRes, rr)
			er.MatchedStatements.Items = append(er.MatchedStatements.Items, rr.MatchedStatements.Items...)
			er.MissingContextValues.Items = appendUnique(er.MissingContextValues.Items, r.MissingContextValues)
		}
		switch {
		case anyExplicit:
			er.EvalDecision = string(iampolicy.ExplicitDeny)
		case allAllow:
			er.EvalDecision = string(iampolicy.Allowed)
		default:
			er.EvalDecision = string(iampolicy.ImplicitDeny)
		}
		if hasBoundary {
			er.Boundary = &xmlBoundaryDetail{Allowed: boundaryOK}
		}
		if len(in.resources) > 0 {
			er.ResourceSpecificResults = &members[xmlResourceResult]{Items: perRes}
		}
		results = append(results, er)
	}
	start, end, trunc, marker, err := iamPage(c, len(results))
	if err != nil {
		return nil, err
	}
	out := struct {
		EvaluationResults members[xmlEvalResult] `xml:"EvaluationResults"`
		IsTruncated       bool                   `xml:"IsTruncated"`
		Marker            string                 `xml:"Marker,omitempty"`
	}{IsTruncated: trunc, Marker: marker}
	out.EvaluationResults.Items = results[start:end]
	return out, nil
}

func xmlMatches(ms []iampolicy.Match) []xmlStatement {
	out := make([]xmlStatement, 0, len(ms))
	for _, m := range ms {
		out = append(out, xmlStatement{
			SourcePolicyID: m.PolicyID, SourcePolicyType: m.PolicyType,
			StartPosition: xmlPosition{m.Start.Line, m.Start.Column},
			EndPosition:   xmlPosition{m.End.Line, m.End.Column},
		})
	}
	return out
}

func appendUnique(dst, add []string) []string {
	for _, a := range add {
		dup := false
		for _, d := range dst {
			if strings.EqualFold(d, a) {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, a)
		}
	}
	return dst
}
