package awssim

var _ = func() bool {
	registrations = append(registrations, func(s *Sim) {
		s.handle("iam", "GetUser", s.iamGetUser)
		s.handle("iam", "ListAttachedUserPolicies", s.iamListAttachedUserPolicies)
		s.handle("iam", "ListUserPolicies", s.iamListUserPolicies)
		s.handle("iam", "GetUserPolicy", s.iamGetUserPolicy)
		s.handle("iam", "PutUserPolicy", s.iamPutUserPolicy)
		s.handle("iam", "ListGroupsForUser", s.iamListGroupsForUser)
	})
	return true
}()

// iamGetUser without UserName describes the caller, which only works for
// IAM users: a role session gets IAM's ValidationError.
func (s *Sim) iamGetUser(c *Call) (any, error) {
	name := c.Form.Get("UserName")
	if name == "" {
		switch c.Principal.Kind {
		case "user":
			name = c.Principal.UserName
		case "root":
			return s.rootUser(c)
		default:
			return nil, ErrStatus(400, "ValidationError", "Must specify userName when calling with non-User credentials")
		}
	}
	if err := s.authorize(c, "iam:GetUser", s.userArn(name), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.state.Users[name]
	if !ok {
		return nil, noSuchUser(name)
	}
	return struct {
		User xmlUser `xml:"User"`
	}{s.userXMLLocked(u)}, nil
}

// rootUser is GetUser for the account root: its ARN and account id.
func (s *Sim) rootUser(c *Call) (any, error) {
	type rootXML struct {
		UserID     string `xml:"UserId"`
		Arn        string `xml:"Arn"`
		CreateDate string `xml:"CreateDate"`
	}
	return struct {
		User rootXML `xml:"User"`
	}{rootXML{UserID: c.Principal.AccountID, Arn: c.Principal.ARN, CreateDate: ISOTime(s.now())}}, nil
}

// userForList authorizes action on the user and returns a copy of what a
// list operation needs, under the lock.
func (s *Sim) userForList(c *Call, action string, read func(u *User)) error {
	name, err := required(c, "UserName")
	if err != nil {
		return err
	}
	if err := s.authorize(c, action, s.userArn(name), nil); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.state.Users[name]
	if !ok {
		return noSuchUser(name)
	}
	read(u)
	return nil
}

func (s *Sim) iamListAttachedUserPolicies(c *Call) (any, error) {
	var all []xmlAttachedPolicy
	if err := s.userForList(c, "iam:ListAttachedUserPolicies", func(u *User) { all = s.attachedXMLLocked(u.AttachedPolicies) }); err != nil {
		return nil, err
	}
	return pageAttached(c, all)
}

func (s *Sim) iamListUserPolicies(c *Call) (any, error) {
	var names []string
	if err := s.userForList(c, "iam:ListUserPolicies", func(u *User) { names = sortedKeys(u.InlinePolicies) }); err != nil {
		return nil, err
	}
	return pageNames(c, names)
}

func (s *Sim) iamListGroupsForUser(c *Call) (any, error) {
	var groups []xmlGroup
	err := s.userForList(c, "iam:ListGroupsForUser", func(u *User) {
		for _, gn := range u.Groups {
			if g, ok := s.state.Groups[gn]; ok {
				groups = append(groups, s.groupXMLLocked(g))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	start, end, trunc, marker, err := iamPage(c, len(groups))
	if err != nil {
		return nil, err
	}
	out := struct {
		Groups      members[xmlGroup] `xml:"Groups"`
		IsTruncated bool              `xml:"IsTruncated"`
		Marker      string            `xml:"Marker,omitempty"`
	}{IsTruncated: trunc, Marker: marker}
	out.Groups.Items = groups[start:end]
	return out, nil
}

func (s *Sim) iamGetUserPolicy(c *Call) (any, error) {
	pname, err := required(c, "PolicyName")
	if err != nil {
		return nil, err
	}
	var doc, user string
	var found bool
	err = s.userForList(c, "iam:GetUserPolicy", func(u *User) {
		user = u.Name
		doc, found = u.InlinePolicies[pname]
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noSuchInlinePolicy("user", pname)
	}
	return struct {
		UserName       string `xml:"UserName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{user, pname, encodeDoc(doc)}, nil
}

func (s *Sim) iamPutUserPolicy(c *Call) (any, error) {
	name, err := required(c, "UserName")
	if err != nil {
		return nil, err
	}
	pname, err := required(c, "PolicyName")
	if err != nil {
		return nil, err
	}
	doc, err := required(c, "PolicyDocument")
	if err != nil {
		return nil, err
	}
	if err := s.authorize(c, "iam:PutUserPolicy", s.userArn(name), nil); err != nil {
		return nil, err
	}
	if _, perr := parsePolicyCached(doc); perr != nil {
		return nil, malformedPolicy(perr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.state.Users[name]
	if !ok {
		return nil, noSuchUser(name)
	}
	if u.InlinePolicies == nil {
		u.InlinePolicies = map[string]string{}
	}
	u.InlinePolicies[pname] = decodeDocText(doc)
	return nil, nil
}
