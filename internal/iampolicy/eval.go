package iampolicy

import (
	"sort"
	"strings"
)

// Decision is the outcome of an evaluation, spelled as
// SimulatePrincipalPolicy's EvalDecision.
type Decision string

const (
	Allowed      Decision = "allowed"
	ExplicitDeny Decision = "explicitDeny"
	ImplicitDeny Decision = "implicitDeny"
)

// NamedPolicy is a policy with the identity SimulatePrincipalPolicy gives it.
type NamedPolicy struct {
	ID     string // SourcePolicyId: inline policy name, or managed policy ARN/name
	Type   string // SourcePolicyType: "user", "group", "role", "aws-managed", "user-managed", "resource", "none"
	Policy *Policy
}

// Request is one action on one resource. An empty Resource stands for "*",
// as in SimulatePrincipalPolicy.
type Request struct {
	Action   string
	Resource string
	Context  Context
}

// Match identifies a statement that took part in a decision.
type Match struct {
	PolicyID, PolicyType string
	StatementIndex       int
	Sid                  string
	Effect               string
	Start, End           Position
}

// Result is the outcome of Evaluate.
type Result struct {
	Decision Decision
	// Matched lists the statements that decided: the matching identity Allow
	// statements for allowed, every matching Deny (identity or boundary) for
	// explicitDeny, nothing for implicitDeny.
	Matched []Match
	// MissingContextValues lists keys, as spelled in the policies, that
	// statements whose Action and Resource matched refer to in conditions
	// (or in condition values as variables) but the context lacks. It also
	// names policy variables whose absence kept a statement's Resource from
	// matching, e.g. ${aws:username}, since that is the usual reason a
	// TerminateSession simulation fails.
	MissingContextValues []string
	// BoundaryAllowed tells whether the permissions boundaries allowed the
	// request: some boundary Allow matched and no boundary Deny did. True
	// when there is no boundary.
	BoundaryAllowed bool
	// BoundaryMatched lists the boundary Allow statements that matched,
	// whatever the decision (SimulatePrincipalPolicy's
	// PermissionsBoundaryDecisionDetail, with the statements).
	BoundaryMatched []Match
}

// Evaluate decides req with AWS's logic for identity policies and
// permissions boundaries: an explicit Deny in any of them wins; otherwise
// the request is allowed only if an identity Allow matches and, when
// boundaries are given, a boundary Allow matches too; otherwise it is
// implicitly denied. Policies with a nil Policy are skipped; a boundary list
// holding only such entries counts as no boundary. Evaluate only reads its
// arguments, so it is safe for concurrent use.
func Evaluate(identity []NamedPolicy, boundaries []NamedPolicy, req Request) Result {
	e := evaluator{req: req, resource: req.Resource}
	if e.resource == "" {
		e.resource = "*"
	}
	idAllow, idDeny := e.scan(identity)
	bAllow, bDeny := e.scan(boundaries)

	hasBoundary := false
	for _, b := range boundaries {
		if b.Policy != nil {
			hasBoundary = true
			break
		}
	}
	res := Result{
		BoundaryAllowed:      !hasBoundary || (len(bAllow) > 0 && len(bDeny) == 0),
		BoundaryMatched:      bAllow,
		MissingContextValues: e.missingKeys(),
	}
	switch {
	case len(idDeny)+len(bDeny) > 0:
		res.Decision = ExplicitDeny
		res.Matched = append(idDeny, bDeny...)
	case len(idAllow) > 0 && res.BoundaryAllowed:
		res.Decision = Allowed
		res.Matched = idAllow
	default:
		res.Decision = ImplicitDeny
	}
	return res
}

type evaluator struct {
	req      Request
	resource string
	missing  []string // as spelled in policies, deduplicated case-insensitively
}

func (e *evaluator) addMissing(key string) {
	for _, k := range e.missing {
		if strings.EqualFold(k, key) {
			return
		}
	}
	e.missing = append(e.missing, key)
}

func (e *evaluator) missingKeys() []string {
	sort.Slice(e.missing, func(i, j int) bool {
		return strings.ToLower(e.missing[i]) < strings.ToLower(e.missing[j])
	})
	return e.missing
}

// scan returns the Allow and Deny statements of policies that apply to the
// request, and records missing context keys along the way.
func (e *evaluator) scan(policies []NamedPolicy) (allows, denies []Match) {
	for _, np := range policies {
		if np.Policy == nil {
			continue
		}
		vars := np.Policy.Version == Version2012
		for i := range np.Policy.Statements {
			st := &np.Policy.Statements[i]
			if !e.applies(st, vars) {
				continue
			}
			m := Match{
				PolicyID: np.ID, PolicyType: np.Type,
				StatementIndex: st.Index, Sid: st.Sid, Effect: st.Effect,
				Start: st.Start, End: st.End,
			}
			switch st.Effect {
			case "Allow":
				allows = append(allows, m)
			case "Deny":
				denies = append(denies, m)
			}
		}
	}
	return allows, denies
}

// applies reports whether st matches the request: action, resource and all
// conditions.
func (e *evaluator) applies(st *Statement, vars bool) bool {
	if !e.actionMatches(st) || !e.resourceMatches(st, vars) {
		return false
	}
	// Every condition is visited, even after one fails, so that all missing
	// keys are reported.
	ok := true
	for _, c := range st.Conditions {
		if _, present := e.req.Context.Get(c.Key); !present {
			e.addMissing(c.Key)
		}
		if !evalCondition(c, e.req.Context, vars, e.addMissing) {
			ok = false
		}
	}
	return ok
}

func (e *evaluator) actionMatches(st *Statement) bool {
	if len(st.NotAction) > 0 {
		for _, a := range st.NotAction {
			if MatchAction(a, e.req.Action) {
				return false
			}
		}
		return true
	}
	for _, a := range st.Action {
		if MatchAction(a, e.req.Action) {
			return true
		}
	}
	return false
}

func (e *evaluator) resourceMatches(st *Statement, vars bool) bool {
	list, negate := st.Resource, false
	if len(st.NotResource) > 0 {
		list, negate = st.NotResource, true
	} else if len(st.Resource) == 0 {
		return true // no Resource element: see the Parse warning
	}
	var unresolved []string
	onMissing := func(k string) { unresolved = append(unresolved, k) }
	matched := false
	for _, r := range list {
		pat, ok := expand(r, e.req.Context, vars, true, onMissing)
		if ok && glob(pat, e.resource, false) {
			matched = true
			break
		}
	}
	if !matched && !negate {
		for _, k := range unresolved {
			e.addMissing(k)
		}
	}
	return matched != negate
}
