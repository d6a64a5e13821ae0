package awssim

import (
	"strconv"
	"sync"

	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// policySet is everything IAM evaluates for one principal.
type policySet struct {
	identity, boundary []iampolicy.NamedPolicy
}

// parsedPolicies caches parsed documents by their text. Parsed policies are
// immutable and Evaluate only reads them, so one parse serves every call
// and every simulator in the process.
var parsedPolicies sync.Map // string -> parsedDoc

type parsedDoc struct {
	pol *iampolicy.Policy
	err error
}

func parsePolicyCached(doc string) (*iampolicy.Policy, error) {
	if v, ok := parsedPolicies.Load(doc); ok {
		d := v.(parsedDoc)
		return d.pol, d.err
	}
	pol, err := iampolicy.Parse(doc)
	parsedPolicies.Store(doc, parsedDoc{pol, err})
	return pol, err
}

// policyReader assembles principals' policies from a state. logf, when
// set, reports the policies it has to ignore. The Sim's IAM evaluation and
// the SSM registration model (which runs over a bare *State) share it.
type policyReader struct {
	st   *State
	logf func(format string, args ...any)
}

// policiesLocked is the reader of the Sim's state; call it with s.mu held.
func (s *Sim) policiesLocked() policyReader { return policyReader{st: s.state, logf: s.logf} }

func (r policyReader) log(format string, args ...any) {
	if r.logf != nil {
		r.logf(format, args...)
	}
}

// named parses doc for evaluation. A document that does not parse (only a
// hand-written scenario can hold one; the APIs reject them) grants nothing,
// which is also what AWS would make of it.
func (r policyReader) named(id, typ, doc string) iampolicy.NamedPolicy {
	pol, err := parsePolicyCached(doc)
	if err != nil {
		r.log("awssim: policy %s (%s) ignored: %v", id, typ, err)
		return iampolicy.NamedPolicy{ID: id, Type: typ}
	}
	return iampolicy.NamedPolicy{ID: id, Type: typ, Policy: pol}
}

// inline appends inline policies in name order, so that results and
// MatchedStatements are stable.
func (r policyReader) inline(out []iampolicy.NamedPolicy, typ string, docs map[string]string) []iampolicy.NamedPolicy {
	for _, n := range sortedKeys(docs) {
		out = append(out, r.named(n, typ, docs[n]))
	}
	return out
}

// attached appends managed policies. SourcePolicyId of a managed policy is
// its name; unknown ARNs (a scenario typo) are skipped.
func (r policyReader) attached(out []iampolicy.NamedPolicy, arns []string) []iampolicy.NamedPolicy {
	for _, arn := range arns {
		mp, ok := r.st.managedPolicy(arn)
		if !ok {
			r.log("awssim: attached policy %s does not exist; ignored", arn)
			continue
		}
		out = append(out, r.named(mp.Name, managedType(arn), mp.defaultDocument()))
	}
	return out
}

// boundary is the permissions boundary to evaluate. One that does not exist
// or cannot be read allows nothing.
func (r policyReader) boundary(arn string) []iampolicy.NamedPolicy {
	if arn == "" {
		return nil
	}
	mp, ok := r.st.managedPolicy(arn)
	if !ok {
		return []iampolicy.NamedPolicy{{ID: arn, Type: "none", Policy: &iampolicy.Policy{Version: iampolicy.Version2012}}}
	}
	np := r.named(mp.Name, managedType(arn), mp.defaultDocument())
	if np.Policy == nil {
		np.Policy = &iampolicy.Policy{Version: iampolicy.Version2012}
	}
	return []iampolicy.NamedPolicy{np}
}

// managedType is SimulatePrincipalPolicy's SourcePolicyType for a managed
// policy.
func managedType(arn string) string {
	if isAWSManagedArn(arn) {
		return "aws-managed"
	}
	return "user-managed"
}

// identity appends a role's, user's or group's inline policies, then its
// attached ones.
func (r policyReader) identity(out []iampolicy.NamedPolicy, k iamKind, e policyHolder) []iampolicy.NamedPolicy {
	out = r.inline(out, k.word, *e.inlinePolicies())
	return r.attached(out, *e.attachedPolicies())
}

// user: the user's inline and attached policies, then each group's, and
// the user's permissions boundary.
func (r policyReader) user(u *User) policySet {
	ps := policySet{identity: r.identity(nil, userKind, u)}
	for _, gn := range u.Groups {
		if g, ok := r.st.Groups[gn]; ok {
			ps.identity = r.identity(ps.identity, groupKind, g)
		}
	}
	ps.boundary = r.boundary(u.PermissionBoundary)
	return ps
}

func (r policyReader) role(ro *Role) policySet {
	return policySet{identity: r.identity(nil, roleKind, ro), boundary: r.boundary(ro.PermissionBoundary)}
}

func (r policyReader) group(g *Group) policySet {
	return policySet{identity: r.identity(nil, groupKind, g)}
}

// roleAllows tells whether the role's own policies allow action on
// resource with no request context; false when the role does not exist.
func (r policyReader) roleAllows(roleName, action, resource string) bool {
	ro, ok := r.st.Roles[roleName]
	if !ok {
		return false
	}
	ps := r.role(ro)
	res := iampolicy.Evaluate(ps.identity, ps.boundary, iampolicy.Request{Action: action, Resource: resource, Context: iampolicy.Context{}})
	return res.Decision == iampolicy.Allowed
}

func (s *Sim) userPoliciesLocked(u *User) policySet   { return s.policiesLocked().user(u) }
func (s *Sim) rolePoliciesLocked(r *Role) policySet   { return s.policiesLocked().role(r) }
func (s *Sim) groupPoliciesLocked(g *Group) policySet { return s.policiesLocked().group(g) }

// principalContextLocked is the request context AWS supplies for a caller:
// the global keys about the principal and the time. Request-specific keys
// (region, source IP, service keys) are added by authorize.
func (s *Sim) principalContextLocked(p *Principal) iampolicy.Context {
	ctx := iampolicy.Context{}
	now := s.now().UTC()
	ctx.Set("aws:CurrentTime", now.Format("2006-01-02T15:04:05Z"))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Set("aws:SecureTransport", "false")
	ctx.Set("aws:PrincipalAccount", p.AccountID)
	ctx.Set("aws:userid", p.UserID)
	var tags []Tag
	switch p.Kind {
	case "user":
		ctx.Set("aws:username", p.UserName)
		ctx.Set("aws:PrincipalArn", p.ARN)
		ctx.Set("aws:PrincipalType", "User")
		if u, ok := s.state.Users[p.UserName]; ok {
			tags = u.Tags
		}
	case "assumed-role":
		// aws:PrincipalArn of a role session is the role, not the session.
		ctx.Set("aws:PrincipalArn", p.IAMArn())
		ctx.Set("aws:PrincipalType", "AssumedRole")
		if r, ok := s.state.Roles[p.RoleName]; ok {
			ctx.Set("aws:PrincipalArn", iamArn(p.AccountID, "role", r.Path, r.Name))
			tags = r.Tags
		}
	case "root":
		ctx.Set("aws:PrincipalArn", p.ARN)
		ctx.Set("aws:PrincipalType", "Account")
	}
	for _, t := range tags {
		ctx.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	return ctx
}
