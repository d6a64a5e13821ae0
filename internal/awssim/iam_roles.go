package awssim

import (
	"crypto/rand"
	"slices"
	"strconv"
)

var _ = func() bool {
	registrations = append(registrations, func(s *Sim) {
		s.handle("iam", "GetRole", s.iamGetRole)
		s.handle("iam", "CreateRole", s.iamCreateRole)
		s.handle("iam", "AttachRolePolicy", s.iamAttachRolePolicy)
		s.handle("iam", "ListAttachedRolePolicies", s.iamListAttachedRolePolicies)
		s.handle("iam", "ListRolePolicies", s.iamListRolePolicies)
		s.handle("iam", "GetRolePolicy", s.iamGetRolePolicy)
		s.handle("iam", "PutRolePolicy", s.iamPutRolePolicy)
	})
	return true
}()

// required returns a mandatory form parameter.
func required(c *Call, name string) (string, error) {
	v := c.Form.Get(name)
	if v == "" {
		return "", missingParam(name)
	}
	return v, nil
}

// newIAMID makes a unique id such as AROA + 17 characters, the shape IAM
// uses (AIDA users, AROA roles, AGPA groups, AIPA profiles, ANPA policies).
func newIAMID(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [17]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b[:])
}

func (s *Sim) iamGetRole(c *Call) (any, error) {
	name, err := required(c, "RoleName")
	if err != nil {
		return nil, err
	}
	if err := s.authorize(c, "iam:GetRole", s.roleArn(name), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.state.Roles[name]
	if !ok {
		return nil, noSuchRole(name)
	}
	return struct {
		Role xmlRole `xml:"Role"`
	}{s.roleXMLLocked(r)}, nil
}

func (s *Sim) iamCreateRole(c *Call) (any, error) {
	name, err := required(c, "RoleName")
	if err != nil {
		return nil, err
	}
	trust, err := required(c, "AssumeRolePolicyDocument")
	if err != nil {
		return nil, err
	}
	path := normPath(c.Form.Get("Path"))
	boundary := c.Form.Get("PermissionsBoundary")
	var extra map[string][]string
	if boundary != "" {
		extra = map[string][]string{"iam:PermissionsBoundary": {boundary}}
	}
	if err := s.authorize(c, "iam:CreateRole", iamArn(s.account(), "role", path, name), extra); err != nil {
		return nil, err
	}
	if _, perr := parsePolicyCached(trust); perr != nil {
		return nil, malformedPolicy(perr)
	}
	maxDur := 3600
	if v := c.Form.Get("MaxSessionDuration"); v != "" {
		d, cerr := strconv.Atoi(v)
		if cerr != nil || d < 3600 || d > 43200 {
			return nil, ErrStatus(400, "ValidationError", "1 validation error detected: Value '%s' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", v)
		}
		maxDur = d
	}
	var tags []Tag
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i)
		k, ok := c.Form[p+".Key"]
		if !ok {
			break
		}
		tags = append(tags, Tag{Key: k[0], Value: c.Form.Get(p + ".Value")})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.state.Roles[name]; ok {
		return nil, ErrStatus(409, "EntityAlreadyExists", "Role with name %s already exists.", name)
	}
	if boundary != "" {
		if _, ok := s.managedPolicyLocked(boundary); !ok {
			return nil, notAttachable(boundary)
		}
	}
	r := &Role{
		Name: name, ID: newIAMID("AROA"), Path: path, AssumeRolePolicy: decodeDocText(trust),
		PermissionBoundary: boundary, Tags: tags, CreatedAt: s.now().UTC(), MaxSessionDuration: maxDur,
		Description:    c.Form.Get("Description"),
		InlinePolicies: map[string]string{},
	}
	s.state.Roles[name] = r
	return struct {
		Role xmlRole `xml:"Role"`
	}{s.roleXMLLocked(r)}, nil
}

func (s *Sim) iamAttachRolePolicy(c *Call) (any, error) {
	name, err := required(c, "RoleName")
	if err != nil {
		return nil, err
	}
	arn, err := required(c, "PolicyArn")
	if err != nil {
		return nil, err
	}
	extra := map[string][]string{"iam:PolicyARN": {arn}}
	if err := s.authorize(c, "iam:AttachRolePolicy", s.roleArn(name), extra); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.state.Roles[name]
	if !ok {
		return nil, noSuchRole(name)
	}
	if _, ok := s.managedPolicyLocked(arn); !ok {
		return nil, notAttachable(arn)
	}
	if !slices.Contains(r.AttachedPolicies, arn) {
		r.AttachedPolicies = append(r.AttachedPolicies, arn)
	}
	return nil, nil
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

func (s *Sim) iamListAttachedRolePolicies(c *Call) (any, error) {
	name, err := required(c, "RoleName")
	if err != nil {
		return nil, err
	}
	if err := s.authorize(c, "iam:ListAttachedRolePolicies", s.roleArn(name), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	r, ok := s.state.Roles[name]
	var all []xmlAttachedPolicy
	if ok {
		all = s.attachedXMLLocked(r.AttachedPolicies)
	}
	s.mu.Unlock()
	if !ok {
		return nil, noSuchRole(name)
	}
	return pageAttached(c, all)
}

func (s *Sim) iamListRolePolicies(c *Call) (any, error) {
	name, err := required(c, "RoleName")
	if err != nil {
		return nil, err
	}
	if err := s.authorize(c, "iam:ListRolePolicies", s.roleArn(name), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	r, ok := s.state.Roles[name]
	var names []string
	if ok {
		names = sortedKeys(r.InlinePolicies)
	}
	s.mu.Unlock()
	if !ok {
		return nil, noSuchRole(name)
	}
	return pageNames(c, names)
}

func (s *Sim) iamGetRolePolicy(c *Call) (any, error) {
	name, err := required(c, "RoleName")
	if err != nil {
		return nil, err
	}
	pname, err := required(c, "PolicyName")
	if err != nil {
		return nil, err
	}
	if err := s.authorize(c, "iam:GetRolePolicy", s.roleArn(name), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.state.Roles[name]
	if !ok {
		return nil, noSuchRole(name)
	}
	doc, ok := r.InlinePolicies[pname]
	if !ok {
		return nil, noSuchInlinePolicy("role", pname)
	}
	return struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{name, pname, encodeDoc(doc)}, nil
}

func (s *Sim) iamPutRolePolicy(c *Call) (any, error) {
	name, err := required(c, "RoleName")
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
	if err := s.authorize(c, "iam:PutRolePolicy", s.roleArn(name), nil); err != nil {
		return nil, err
	}
	if _, perr := parsePolicyCached(doc); perr != nil {
		return nil, malformedPolicy(perr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.state.Roles[name]
	if !ok {
		return nil, noSuchRole(name)
	}
	if r.InlinePolicies == nil {
		r.InlinePolicies = map[string]string{}
	}
	r.InlinePolicies[pname] = decodeDocText(doc)
	return nil, nil
}
