package awssim

import (
	"sort"
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
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
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
		typ := "user-managed"
		if isAWSManagedArn(arn) {
			typ = "aws-managed"
		}
		out = append(out, s.named(mp.Name, typ, mp.defaultDocument()))
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
	typ := "user-managed"
	if isAWSManagedArn(arn) {
		typ = "aws-managed"
	}
	return []iampolicy.NamedPolicy{s.named(mp.Name, typ, mp.defaultDocument())}
}

// userPoliciesLocked: the user's inline and attached policies, then each
// group's, and the user's permissions boundary.
func (s *Sim) userPoliciesLocked(u *User) policySet {
	var ps policySet
	ps.identity = s.inlineLocked(ps.identity, "user", u.InlinePolicies)
	ps.identity = s.attachedLocked(ps.identity, u.AttachedPolicies)
	for _, gn := range u.Groups {
		g, ok := s.state.Groups[gn]
		if !ok {
			continue
		}
		ps.identity = s.inlineLocked(ps.identity, "group", g.InlinePolicies)
		ps.identity = s.attachedLocked(ps.identity, g.AttachedPolicies)
	}
	ps.boundary = s.boundaryLocked(u.PermissionBoundary)
	return ps
}

func (s *Sim) rolePoliciesLocked(r *Role) policySet {
	var ps policySet
	ps.identity = s.inlineLocked(ps.identity, "role", r.InlinePolicies)
	ps.identity = s.attachedLocked(ps.identity, r.AttachedPolicies)
	ps.boundary = s.boundaryLocked(r.PermissionBoundary)
	return ps
}

func (s *Sim) groupPoliciesLocked(g *Group) policySet {
	var ps policySet
	ps.identity = s.inlineLocked(ps.identity, "group", g.InlinePolicies)
	ps.identity = s.attachedLocked(ps.identity, g.AttachedPolicies)
	return ps
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
