package awssim

var _ = func() bool {
	registrations = append(registrations, func(s *Sim) {
		s.handle("iam", "ListAttachedGroupPolicies", s.iamListAttachedGroupPolicies)
		s.handle("iam", "ListGroupPolicies", s.iamListGroupPolicies)
		s.handle("iam", "GetGroupPolicy", s.iamGetGroupPolicy)
	})
	return true
}()

// groupRead authorizes action on the group named by GroupName and runs
// read on it under the lock.
func (s *Sim) groupRead(c *Call, action string, read func(g *Group)) error {
	name, err := required(c, "GroupName")
	if err != nil {
		return err
	}
	if err := s.authorize(c, action, s.groupArn(name), nil); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.state.Groups[name]
	if !ok {
		return noSuchGroup(name)
	}
	read(g)
	return nil
}

func (s *Sim) iamListAttachedGroupPolicies(c *Call) (any, error) {
	var all []xmlAttachedPolicy
	if err := s.groupRead(c, "iam:ListAttachedGroupPolicies", func(g *Group) { all = s.attachedXMLLocked(g.AttachedPolicies) }); err != nil {
		return nil, err
	}
	return pageAttached(c, all)
}

func (s *Sim) iamListGroupPolicies(c *Call) (any, error) {
	var names []string
	if err := s.groupRead(c, "iam:ListGroupPolicies", func(g *Group) { names = sortedKeys(g.InlinePolicies) }); err != nil {
		return nil, err
	}
	return pageNames(c, names)
}

func (s *Sim) iamGetGroupPolicy(c *Call) (any, error) {
	pname, err := required(c, "PolicyName")
	if err != nil {
		return nil, err
	}
	var doc, group string
	var found bool
	err = s.groupRead(c, "iam:GetGroupPolicy", func(g *Group) {
		group = g.Name
		doc, found = g.InlinePolicies[pname]
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noSuchInlinePolicy("group", pname)
	}
	return struct {
		GroupName      string `xml:"GroupName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{group, pname, encodeDoc(doc)}, nil
}
