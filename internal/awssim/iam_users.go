package awssim

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
	var out xmlUser
	err := s.withEntity(c, userKind, name, "iam:GetUser", nil, func(e policyHolder) error {
		out = s.userXMLLocked(e.(*User))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct {
		User xmlUser `xml:"User"`
	}{out}, nil
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

func (s *Sim) iamListGroupsForUser(c *Call) (any, error) {
	name, err := required(c, "UserName")
	if err != nil {
		return nil, err
	}
	var groups []xmlGroup
	err = s.withEntity(c, userKind, name, "iam:ListGroupsForUser", nil, func(e policyHolder) error {
		for _, gn := range e.(*User).Groups {
			if g, ok := s.state.Groups[gn]; ok {
				groups = append(groups, s.groupXMLLocked(g))
			}
		}
		return nil
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
