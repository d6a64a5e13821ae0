package awssim

type profileResult struct {
	InstanceProfile xmlInstanceProfile `xml:"InstanceProfile"`
}

func (s *Sim) iamGetInstanceProfile(c *Call) (any, error) {
	name, err := required(c, "InstanceProfileName")
	if err != nil {
		return nil, err
	}
	if err := s.authorize(c, "iam:GetInstanceProfile", s.profileArn(name), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.state.InstanceProfile[name]
	if !ok {
		return nil, noSuchProfile(name)
	}
	return profileResult{s.profileXMLLocked(p)}, nil
}

func (s *Sim) iamCreateInstanceProfile(c *Call) (any, error) {
	name, err := required(c, "InstanceProfileName")
	if err != nil {
		return nil, err
	}
	path := normPath(c.Form.Get("Path"))
	if err := s.authorize(c, "iam:CreateInstanceProfile", iamArn(s.account(), "instance-profile", path, name), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.state.InstanceProfile[name]; ok {
		return nil, ErrStatus(409, "EntityAlreadyExists", "Instance Profile %s already exists.", name)
	}
	p := &InstanceProfile{Name: name, ID: newIAMID("AIPA"), Path: path, CreatedAt: s.now().UTC()}
	s.state.InstanceProfile[name] = p
	return profileResult{s.profileXMLLocked(p)}, nil
}

// iamAddRoleToInstanceProfile enforces IAM's quota of one role per
// profile, the reason a fix must extend an existing role rather than add a
// second one.
func (s *Sim) iamAddRoleToInstanceProfile(c *Call) (any, error) {
	params, err := requiredParams(c, "InstanceProfileName", "RoleName")
	if err != nil {
		return nil, err
	}
	name, role := params[0], params[1]
	if err := s.authorize(c, "iam:AddRoleToInstanceProfile", s.profileArn(name), nil); err != nil {
		return nil, err
	}
	// Putting a role in a profile hands it to EC2, so AWS also checks
	// iam:PassRole on the role.
	if err := s.authorize(c, "iam:PassRole", s.roleArn(role), map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.state.InstanceProfile[name]
	if !ok {
		return nil, noSuchProfile(name)
	}
	if _, ok := s.state.Roles[role]; !ok {
		return nil, noSuchRole(role)
	}
	if len(p.Roles) >= 1 {
		return nil, ErrStatus(409, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	}
	p.Roles = append(p.Roles, role)
	return nil, nil
}
