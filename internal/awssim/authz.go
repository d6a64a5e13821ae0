package awssim

import (
	"fmt"
	"net"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// authorize decides whether c's principal may perform action on resource,
// with extra request context (condition keys such as
// ssm:SessionDocumentAccessCheck, ec2:osuser, aws:ResourceTag/KEY). It
// returns nil when allowed and the protocol's AccessDenied *APIError
// otherwise. Call it without s.mu held.
//
// The principal's policies are read from the current state, so a policy
// change made by an earlier call applies to the very next one, as AWS's
// eventual consistency would eventually do.
func (s *Sim) authorize(c *Call, action, resource string, extra map[string][]string) error {
	p := c.Principal
	if p == nil {
		return s.denied(c, action, resource, iampolicy.Result{Decision: iampolicy.ImplicitDeny}, true)
	}
	// Root is not subject to identity policies, and GetCallerIdentity
	// needs no permission at all (AWS documents both).
	if p.Kind == "root" || strings.EqualFold(action, "sts:GetCallerIdentity") {
		return nil
	}
	s.mu.Lock()
	ps, ok := s.policiesOfPrincipalLocked(p)
	ctx := s.principalContextLocked(p)
	s.mu.Unlock()
	if !ok {
		return s.denied(c, action, resource, iampolicy.Result{Decision: iampolicy.ImplicitDeny}, true)
	}
	ctx.Set("aws:RequestedRegion", c.Region)
	if c.HTTP != nil {
		if host, _, err := net.SplitHostPort(c.HTTP.RemoteAddr); err == nil {
			ctx.Set("aws:SourceIp", host)
		}
	}
	for k, v := range extra {
		ctx.Set(k, v...)
	}
	req := iampolicy.Request{Action: action, Resource: resource, Context: ctx}
	res := iampolicy.Evaluate(ps.identity, ps.boundary, req)
	if res.Decision == iampolicy.Allowed {
		return nil
	}
	// Which layer refused is part of AWS's message: ask the identity
	// policies alone.
	idOnly := iampolicy.Evaluate(ps.identity, nil, req)
	return s.denied(c, action, resource, res, idOnly.Decision == res.Decision)
}

// policiesOfPrincipalLocked: a user's or a role session's policies; ok is
// false when the user or role no longer exists.
func (s *Sim) policiesOfPrincipalLocked(p *Principal) (policySet, bool) {
	switch p.Kind {
	case "user":
		u, ok := s.state.Users[p.UserName]
		if !ok {
			return policySet{}, false
		}
		return s.userPoliciesLocked(u), true
	case "assumed-role":
		r, ok := s.state.Roles[p.RoleName]
		if !ok {
			return policySet{}, false
		}
		return s.rolePoliciesLocked(r), true
	}
	return policySet{}, false
}

// denied builds the service's AccessDenied error. identityLayer tells
// whether the identity policies (rather than the permissions boundary)
// refused.
func (s *Sim) denied(c *Call, action, resource string, res iampolicy.Result, identityLayer bool) error {
	caller := "anonymous"
	if c.Principal != nil {
		caller = c.Principal.ARN
	}
	var why string
	switch {
	case res.Decision == iampolicy.ExplicitDeny && identityLayer:
		why = "with an explicit deny in an identity-based policy"
	case res.Decision == iampolicy.ExplicitDeny:
		why = "with an explicit deny in a permissions boundary"
	case identityLayer:
		why = "because no identity-based policy allows the " + action + " action"
	default:
		why = "because no permissions boundary allows the " + action + " action"
	}
	on := " on resource: " + resource
	switch c.Service {
	case "iam":
		on = " on resource: " + iamResourceWording(resource)
	case "ec2":
		if resource == "*" || resource == "" {
			on = "" // EC2 omits the resource for actions without one
		}
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s%s %s", caller, action, on, why)
	return accessDeniedError(c.Service, msg)
}

// accessDeniedError wraps msg in the error each service really returns.
func accessDeniedError(service, msg string) *APIError {
	switch service {
	case "iam", "sts":
		return ErrStatus(403, "AccessDenied", "%s", msg)
	case "ec2":
		return ErrStatus(403, "UnauthorizedOperation", "You are not authorized to perform this operation. %s", msg)
	case "ec2-instance-connect":
		return ErrStatus(403, "AccessDeniedException", "%s", msg)
	default: // ssm, kms and other JSON services
		return ErrStatus(400, "AccessDeniedException", "%s", msg)
	}
}

// Evaluate decides action on resource for the principal named by
// principalArn (an IAM user, role or group ARN, or an STS assumed-role
// ARN) with the principal's own policies and permissions boundary. ctx is
// used as given, without the global keys authorize adds, as
// SimulatePrincipalPolicy does; it may be nil. Call it without s.mu held.
func (s *Sim) Evaluate(principalArn, action, resource string, ctx iampolicy.Context) (iampolicy.Result, error) {
	s.mu.Lock()
	ps, err := s.policiesOfArnLocked(principalArn)
	s.mu.Unlock()
	if err != nil {
		return iampolicy.Result{}, err
	}
	if ctx == nil {
		ctx = iampolicy.Context{}
	}
	return iampolicy.Evaluate(ps.identity, ps.boundary, iampolicy.Request{Action: action, Resource: resource, Context: ctx}), nil
}

// policiesOfArnLocked resolves a principal ARN to its policies, with IAM's
// NoSuchEntity error when it names nothing.
func (s *Sim) policiesOfArnLocked(arn string) (policySet, error) {
	if rest, ok := strings.CutPrefix(arn, "arn:aws:sts::"); ok {
		// arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
		if _, res, ok := strings.Cut(rest, ":"); ok {
			if tail, ok := strings.CutPrefix(res, "assumed-role/"); ok {
				role, _, _ := strings.Cut(tail, "/")
				if r, ok := s.state.Roles[role]; ok {
					return s.rolePoliciesLocked(r), nil
				}
				return policySet{}, noSuchRole(role)
			}
		}
		return policySet{}, ErrStatus(400, "InvalidInput", "Invalid ARN: %s", arn)
	}
	e, ok := parseIAMArn(arn)
	if !ok || e.Account != s.state.AccountID {
		return policySet{}, ErrStatus(400, "InvalidInput", "Invalid ARN: %s", arn)
	}
	switch e.Kind {
	case "user":
		if u, ok := s.state.Users[e.Name]; ok {
			return s.userPoliciesLocked(u), nil
		}
		return policySet{}, noSuchUser(e.Name)
	case "role":
		if r, ok := s.state.Roles[e.Name]; ok {
			return s.rolePoliciesLocked(r), nil
		}
		return policySet{}, noSuchRole(e.Name)
	case "group":
		if g, ok := s.state.Groups[e.Name]; ok {
			return s.groupPoliciesLocked(g), nil
		}
		return policySet{}, noSuchGroup(e.Name)
	}
	return policySet{}, ErrStatus(400, "InvalidInput", "Invalid ARN: %s", arn)
}

// RoleAllows tells whether the role's own policies (inline, attached,
// within its permissions boundary) allow action on resource with no
// request context; false when the role does not exist. The SSM model uses
// it to decide whether an instance's role lets the agent register and open
// channels. Call it without s.mu held.
func (s *Sim) RoleAllows(roleName, action, resource string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roleAllowsLocked(roleName, action, resource)
}

// roleAllowsLocked is RoleAllows for callers already holding s.mu.
func (s *Sim) roleAllowsLocked(roleName, action, resource string) bool {
	return s.policiesLocked().roleAllows(roleName, action, resource)
}
