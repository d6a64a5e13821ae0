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

// named parses doc for evaluation. A document that does not parse (only a
// hand-written scenario can hold one; the APIs reject them) grants nothing,
// which is also what AWS would make of it.
func (s *Sim) named(id, typ, doc string) iampolicy.NamedPolicy {
	pol, err := parsePolicyCached(doc)
	if err != nil {
		s.logf("awssim: policy %s (%s) ignored: %v", id, typ, err)
		return iampolicy.NamedPolicy{ID: id, Type: typ}
	}
	return iampolicy.NamedPolicy{ID: id, Type: typ, Policy: pol}
}

// inlineLocked appends inline policies in name order, so that results and
// MatchedStatements are stable.
func (s *Sim) inlineLocked(out []iampolicy.NamedPolicy, typ string, docs map[string]string) []iampolicy.NamedPolicy {
	for _, n := range sortedKeys(docs) {
		out = append(out, s.named(n, typ, docs[n]))
	}
	return out
}

// attachedLocked appends managed policies. SourcePolicyId of a managed
// policy is its name; unknown ARNs (a scenario typo) are skipped.
func (s *Sim) attachedLocked(out []iampolicy.NamedPolicy, arns []string) []iampolicy.NamedPolicy {
	for _, arn := range arns {
		mp, ok := s.managedPolicyLocked(arn)
		if !ok {
			s.logf("awssim: attached policy %s does not exist; ignored", arn)
			continue
		}
		out = append(out, s.named(mp.Name, managedType(arn), mp.defaultDocument()))
	}
	return out
}

func (s *Sim) boundaryLocked(arn string) []iampolicy.NamedPolicy {
	if arn == "" {
		return nil
	}
	mp, ok := s.managedPolicyLocked(arn)
	if !ok {
		// A boundary that does not exist allows nothing.
		return []iampolicy.NamedPolicy{{ID: arn, Type: "none", Policy: &iampolicy.Policy{Version: iampolicy.Version2012}}}
	}
	return []iampolicy.NamedPolicy{s.named(mp.Name, managedType(arn), mp.defaultDocument())}
}

// managedType is SimulatePrincipalPolicy's SourcePolicyType for a managed
// policy.
func managedType(arn string) string {
	if isAWSManagedArn(arn) {
		return "aws-managed"
	}
	return "user-managed"
}

// identityLocked appends a role's, user's or group's inline policies,
// then its attached ones.
func (s *Sim) identityLocked(out []iampolicy.NamedPolicy, k iamKind, e policyHolder) []iampolicy.NamedPolicy {
	out = s.inlineLocked(out, k.word, *e.inlinePolicies())
	return s.attachedLocked(out, *e.attachedPolicies())
}

// userPoliciesLocked: the user's inline and attached policies, then each
// group's, and the user's permissions boundary.
func (s *Sim) userPoliciesLocked(u *User) policySet {
	ps := policySet{identity: s.identityLocked(nil, userKind, u)}
	for _, gn := range u.Groups {
		if g, ok := s.state.Groups[gn]; ok {
			ps.identity = s.identityLocked(ps.identity, groupKind, g)
		}
	}
	ps.boundary = s.boundaryLocked(u.PermissionBoundary)
	return ps
}

func (s *Sim) rolePoliciesLocked(r *Role) policySet {
	return policySet{identity: s.identityLocked(nil, roleKind, r), boundary: s.boundaryLocked(r.PermissionBoundary)}
}

func (s *Sim) groupPoliciesLocked(g *Group) policySet {
	return policySet{identity: s.identityLocked(nil, groupKind, g)}
}

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
