package awssim

import "slices"

// policyUsageLocked counts the entities a managed policy is attached to and
// those it bounds.
func (s *Sim) policyUsageLocked(arn string) (attached, boundaries int) {
	for _, u := range s.state.Users {
		if slices.Contains(u.AttachedPolicies, arn) {
			attached++
		}
		if u.PermissionBoundary == arn {
			boundaries++
		}
	}
	for _, r := range s.state.Roles {
		if slices.Contains(r.AttachedPolicies, arn) {
			attached++
		}
		if r.PermissionBoundary == arn {
			boundaries++
		}
	}
	for _, g := range s.state.Groups {
		if slices.Contains(g.AttachedPolicies, arn) {
			attached++
		}
	}
	return attached, boundaries
}

// withManagedPolicy authorizes action on the policy, then runs fn on it
// under the lock.
func (s *Sim) withManagedPolicy(c *Call, arn, action string, fn func(p *ManagedPolicy) (any, error)) (any, error) {
	if err := s.authorize(c, action, arn, nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.managedPolicyLocked(arn)
	if !ok {
		return nil, noSuchPolicy(arn)
	}
	return fn(p)
}

func (s *Sim) iamGetPolicy(c *Call) (any, error) {
	arn, err := required(c, "PolicyArn")
	if err != nil {
		return nil, err
	}
	return s.withManagedPolicy(c, arn, "iam:GetPolicy", func(p *ManagedPolicy) (any, error) {
		return struct {
			Policy xmlPolicy `xml:"Policy"`
		}{s.policyXMLLocked(p)}, nil
	})
}

func (s *Sim) iamGetPolicyVersion(c *Call) (any, error) {
	params, err := requiredParams(c, "PolicyArn", "VersionId")
	if err != nil {
		return nil, err
	}
	arn, vid := params[0], params[1]
	return s.withManagedPolicy(c, arn, "iam:GetPolicyVersion", func(p *ManagedPolicy) (any, error) {
		for _, v := range p.Versions {
			if v.VersionID == vid {
				return struct {
					PolicyVersion xmlPolicyVersion `xml:"PolicyVersion"`
				}{xmlPolicyVersion{
					Document: encodeDoc(v.Document), VersionID: v.VersionID,
					IsDefaultVersion: v.VersionID == p.DefaultVersionID, CreateDate: ISOTime(v.CreatedAt),
				}}, nil
			}
		}
		return nil, noSuchPolicyVersion(arn, vid)
	})
}
