package awssim

import (
	"crypto/rand"
	"slices"
	"strconv"
)

// required returns a mandatory form parameter.
func required(c *Call, name string) (string, error) {
	v := c.Form.Get(name)
	if v == "" {
		return "", missingParam(name)
	}
	return v, nil
}

// requiredParams returns mandatory form parameters in the order named,
// reporting the first one missing.
func requiredParams(c *Call, names ...string) ([]string, error) {
	vals := make([]string, len(names))
	for i, n := range names {
		v, err := required(c, n)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
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
	var out xmlRole
	err = s.withEntity(c, roleKind, name, "iam:GetRole", nil, func(e policyHolder) error {
		out = s.roleXMLLocked(e.(*Role))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Role xmlRole `xml:"Role"`
	}{out}, nil
}

func (s *Sim) iamCreateRole(c *Call) (any, error) {
	params, err := requiredParams(c, "RoleName", "AssumeRolePolicyDocument")
	if err != nil {
		return nil, err
	}
	name, trust := params[0], params[1]
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
	params, err := requiredParams(c, "RoleName", "PolicyArn")
	if err != nil {
		return nil, err
	}
	name, arn := params[0], params[1]
	extra := map[string][]string{"iam:PolicyARN": {arn}}
	err = s.withEntity(c, roleKind, name, "iam:AttachRolePolicy", extra, func(e policyHolder) error {
		if _, ok := s.managedPolicyLocked(arn); !ok {
			return notAttachable(arn)
		}
		if attached := e.attachedPolicies(); !slices.Contains(*attached, arn) {
			*attached = append(*attached, arn)
		}
		return nil
	})
	return nil, err
}
