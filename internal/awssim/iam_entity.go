package awssim

import "encoding/xml"

// IAM repeats one set of operations for each kind of identity that holds
// policies (List{Role,User,Group}Policies, Get...Policy, ...). iamKind lets
// each of them be written once, over whichever kind the request names.

// policyHolder is an IAM role, user or group: a path and its policies.
type policyHolder interface {
	iamPath() string
	attachedPolicies() *[]string
	inlinePolicies() *map[string]string
}

func (r *Role) iamPath() string                     { return r.Path }
func (r *Role) attachedPolicies() *[]string         { return &r.AttachedPolicies }
func (r *Role) inlinePolicies() *map[string]string  { return &r.InlinePolicies }
func (u *User) iamPath() string                     { return u.Path }
func (u *User) attachedPolicies() *[]string         { return &u.AttachedPolicies }
func (u *User) inlinePolicies() *map[string]string  { return &u.InlinePolicies }
func (g *Group) iamPath() string                    { return g.Path }
func (g *Group) attachedPolicies() *[]string        { return &g.AttachedPolicies }
func (g *Group) inlinePolicies() *map[string]string { return &g.InlinePolicies }

type iamKind struct {
	word    string // the ARN's resource type, also IAM's word for it in messages
	title   string // as it stands in action and parameter names
	find    func(st *State, name string) (policyHolder, bool)
	missing func(name string) *APIError
}

// param is the request parameter naming the entity: RoleName, ...
func (k iamKind) param() string { return k.title + "Name" }

var (
	roleKind = iamKind{"role", "Role", func(st *State, n string) (policyHolder, bool) {
		r, ok := st.Roles[n]
		return r, ok
	}, noSuchRole}
	userKind = iamKind{"user", "User", func(st *State, n string) (policyHolder, bool) {
		u, ok := st.Users[n]
		return u, ok
	}, noSuchUser}
	groupKind = iamKind{"group", "Group", func(st *State, n string) (policyHolder, bool) {
		g, ok := st.Groups[n]
		return g, ok
	}, noSuchGroup}
)

// entityArn uses the stored path when the entity exists: authorization
// happens before the lookup, on the ARN AWS would build, so a missing
// entity gets the default path.
func (s *Sim) entityArn(k iamKind, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "/"
	if e, ok := k.find(s.state, name); ok {
		path = e.iamPath()
	}
	return iamArn(s.state.AccountID, k.word, path, name)
}

// withEntity authorizes action on the named entity, then runs fn on it
// under the lock. The caller reads the name so that it controls the order
// in which missing parameters are reported.
func (s *Sim) withEntity(c *Call, k iamKind, name, action string, extra map[string][]string, fn func(e policyHolder) error) error {
	if err := s.authorize(c, action, s.entityArn(k, name), extra); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := k.find(s.state, name)
	if !ok {
		return k.missing(name)
	}
	return fn(e)
}

func (s *Sim) iamListAttachedPolicies(k iamKind) opHandler {
	return func(c *Call) (any, error) {
		name, err := required(c, k.param())
		if err != nil {
			return nil, err
		}
		var all []xmlAttachedPolicy
		err = s.withEntity(c, k, name, "iam:ListAttached"+k.title+"Policies", nil, func(e policyHolder) error {
			all = s.attachedXMLLocked(*e.attachedPolicies())
			return nil
		})
		if err != nil {
			return nil, err
		}
		return pageAttached(c, all)
	}
}

func (s *Sim) iamListInlinePolicies(k iamKind) opHandler {
	return func(c *Call) (any, error) {
		name, err := required(c, k.param())
		if err != nil {
			return nil, err
		}
		var names []string
		err = s.withEntity(c, k, name, "iam:List"+k.title+"Policies", nil, func(e policyHolder) error {
			names = sortedKeys(*e.inlinePolicies())
			return nil
		})
		if err != nil {
			return nil, err
		}
		return pageNames(c, names)
	}
}

type attachedPage struct {
	AttachedPolicies members[xmlAttachedPolicy] `xml:"AttachedPolicies"`
	IsTruncated      bool                       `xml:"IsTruncated"`
	Marker           string                     `xml:"Marker,omitempty"`
}

// pageAttached filters by PathPrefix and cuts a page of attached policies.
func pageAttached(c *Call, all []xmlAttachedPolicy) (any, error) {
	if prefix := c.Form.Get("PathPrefix"); prefix != "" {
		var kept []xmlAttachedPolicy
		for _, p := range all {
			if e, ok := parseIAMArn(p.PolicyArn); ok && len(e.Path) >= len(prefix) && e.Path[:len(prefix)] == prefix {
				kept = append(kept, p)
			}
		}
		all = kept
	}
	start, end, trunc, marker, err := iamPage(c, len(all))
	if err != nil {
		return nil, err
	}
	out := attachedPage{IsTruncated: trunc, Marker: marker}
	out.AttachedPolicies.Items = all[start:end]
	return out, nil
}

type namesPage struct {
	PolicyNames members[string] `xml:"PolicyNames"`
	IsTruncated bool            `xml:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty"`
}

func pageNames(c *Call, names []string) (any, error) {
	start, end, trunc, marker, err := iamPage(c, len(names))
	if err != nil {
		return nil, err
	}
	out := namesPage{IsTruncated: trunc, Marker: marker}
	out.PolicyNames.Items = names[start:end]
	return out, nil
}

// xmlNamedText is an element whose name is chosen at run time.
type xmlNamedText struct {
	XMLName xml.Name
	Text    string `xml:",chardata"`
}

// inlinePolicyResult is Get{Role,User,Group}Policy's result, which opens
// with the entity's name under RoleName, UserName or GroupName.
type inlinePolicyResult struct {
	Entity         xmlNamedText
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Sim) iamGetInlinePolicy(k iamKind) opHandler {
	return func(c *Call) (any, error) {
		params, err := requiredParams(c, k.param(), "PolicyName")
		if err != nil {
			return nil, err
		}
		name, pname := params[0], params[1]
		var doc string
		err = s.withEntity(c, k, name, "iam:Get"+k.title+"Policy", nil, func(e policyHolder) error {
			d, ok := (*e.inlinePolicies())[pname]
			if !ok {
				return noSuchInlinePolicy(k.word, pname)
			}
			doc = d
			return nil
		})
		if err != nil {
			return nil, err
		}
		return inlinePolicyResult{
			Entity:     xmlNamedText{XMLName: xml.Name{Local: k.param()}, Text: name},
			PolicyName: pname, PolicyDocument: encodeDoc(doc),
		}, nil
	}
}

// iamPutInlinePolicy checks the document after authorization, so a denied
// caller gets AccessDenied whatever it sent, and before taking the lock.
func (s *Sim) iamPutInlinePolicy(k iamKind) opHandler {
	return func(c *Call) (any, error) {
		params, err := requiredParams(c, k.param(), "PolicyName", "PolicyDocument")
		if err != nil {
			return nil, err
		}
		name, pname, doc := params[0], params[1], params[2]
		if err := s.authorize(c, "iam:Put"+k.title+"Policy", s.entityArn(k, name), nil); err != nil {
			return nil, err
		}
		if _, perr := parsePolicyCached(doc); perr != nil {
			return nil, malformedPolicy(perr)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		e, ok := k.find(s.state, name)
		if !ok {
			return nil, k.missing(name)
		}
		inline := e.inlinePolicies()
		if *inline == nil {
			*inline = map[string]string{}
		}
		(*inline)[pname] = decodeDocText(doc)
		return nil, nil
	}
}
