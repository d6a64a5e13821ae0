package awssim

import (
	"net/url"
	"strconv"
	"strings"
)

// XML shapes of IAM responses (children of <OpResult>). Lists are
// <Name><member>...</member></Name>, always present even when empty, as
// IAM sends them.

type members[T any] struct {
	Items []T `xml:"member"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xmlBoundary struct {
	Type string `xml:"PermissionsBoundaryType"`
	Arn  string `xml:"PermissionsBoundaryArn"`
}

type xmlRole struct {
	Path                     string           `xml:"Path"`
	RoleName                 string           `xml:"RoleName"`
	RoleID                   string           `xml:"RoleId"`
	Arn                      string           `xml:"Arn"`
	CreateDate               string           `xml:"CreateDate"`
	AssumeRolePolicyDocument string           `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string           `xml:"Description,omitempty"`
	MaxSessionDuration       int              `xml:"MaxSessionDuration,omitempty"`
	PermissionsBoundary      *xmlBoundary     `xml:"PermissionsBoundary,omitempty"`
	Tags                     *members[xmlTag] `xml:"Tags,omitempty"`
}

type xmlUser struct {
	Path                string           `xml:"Path"`
	UserName            string           `xml:"UserName"`
	UserID              string           `xml:"UserId"`
	Arn                 string           `xml:"Arn"`
	CreateDate          string           `xml:"CreateDate"`
	PermissionsBoundary *xmlBoundary     `xml:"PermissionsBoundary,omitempty"`
	Tags                *members[xmlTag] `xml:"Tags,omitempty"`
}

type xmlGroup struct {
	Path       string `xml:"Path"`
	GroupName  string `xml:"GroupName"`
	GroupID    string `xml:"GroupId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

type xmlInstanceProfile struct {
	Path                string           `xml:"Path"`
	InstanceProfileName string           `xml:"InstanceProfileName"`
	InstanceProfileID   string           `xml:"InstanceProfileId"`
	Arn                 string           `xml:"Arn"`
	CreateDate          string           `xml:"CreateDate"`
	Roles               members[xmlRole] `xml:"Roles"`
}

type xmlAttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type xmlPolicy struct {
	PolicyName                    string `xml:"PolicyName"`
	PolicyID                      string `xml:"PolicyId"`
	Arn                           string `xml:"Arn"`
	Path                          string `xml:"Path"`
	DefaultVersionID              string `xml:"DefaultVersionId"`
	AttachmentCount               int    `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int    `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool   `xml:"IsAttachable"`
	Description                   string `xml:"Description,omitempty"`
	CreateDate                    string `xml:"CreateDate"`
	UpdateDate                    string `xml:"UpdateDate"`
}

type xmlPolicyVersion struct {
	Document         string `xml:"Document"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

// encodeDoc URL-encodes a policy document as IAM returns every document.
// QueryEscape writes spaces as '+', which is what AWS sends too.
func encodeDoc(doc string) string { return url.QueryEscape(doc) }

// decodeDocText stores documents plain, whichever way the caller sent
// them, so that responses encode them exactly once.
func decodeDocText(doc string) string {
	if strings.HasPrefix(strings.TrimSpace(doc), "%") {
		if plain, err := url.QueryUnescape(doc); err == nil {
			return plain
		}
	}
	return doc
}

func xmlTags(tags []Tag) *members[xmlTag] {
	if len(tags) == 0 {
		return nil
	}
	m := &members[xmlTag]{}
	for _, t := range tags {
		m.Items = append(m.Items, xmlTag{t.Key, t.Value})
	}
	return m
}

func boundaryXML(arn string) *xmlBoundary {
	if arn == "" {
		return nil
	}
	return &xmlBoundary{Type: "PermissionsBoundaryPolicy", Arn: arn}
}

func (s *Sim) roleXMLLocked(r *Role) xmlRole {
	return xmlRole{
		Path:                     normPath(r.Path),
		RoleName:                 r.Name,
		RoleID:                   r.ID,
		Arn:                      iamArn(s.state.AccountID, "role", r.Path, r.Name),
		CreateDate:               ISOTime(r.CreatedAt),
		AssumeRolePolicyDocument: encodeDoc(r.AssumeRolePolicy),
		Description:              r.Description,
		MaxSessionDuration:       r.MaxSessionDuration,
		PermissionsBoundary:      boundaryXML(r.PermissionBoundary),
		Tags:                     xmlTags(r.Tags),
	}
}

func (s *Sim) userXMLLocked(u *User) xmlUser {
	return xmlUser{
		Path:                normPath(u.Path),
		UserName:            u.Name,
		UserID:              u.ID,
		Arn:                 iamArn(s.state.AccountID, "user", u.Path, u.Name),
		CreateDate:          ISOTime(u.CreatedAt),
		PermissionsBoundary: boundaryXML(u.PermissionBoundary),
		Tags:                xmlTags(u.Tags),
	}
}

func (s *Sim) groupXMLLocked(g *Group) xmlGroup {
	return xmlGroup{
		Path:       normPath(g.Path),
		GroupName:  g.Name,
		GroupID:    g.ID,
		Arn:        iamArn(s.state.AccountID, "group", g.Path, g.Name),
		CreateDate: ISOTime(g.CreatedAt),
	}
}

// profileXMLLocked includes each role in full; roles that no longer exist
// are left out, as IAM does once a role is deleted.
func (s *Sim) profileXMLLocked(p *InstanceProfile) xmlInstanceProfile {
	out := xmlInstanceProfile{
		Path:                normPath(p.Path),
		InstanceProfileName: p.Name,
		InstanceProfileID:   p.ID,
		Arn:                 iamArn(s.state.AccountID, "instance-profile", p.Path, p.Name),
		CreateDate:          ISOTime(p.CreatedAt),
	}
	for _, rn := range p.Roles {
		if r, ok := s.state.Roles[rn]; ok {
			out.Roles.Items = append(out.Roles.Items, s.roleXMLLocked(r))
		}
	}
	return out
}

// attachedXMLLocked lists attached policies by ARN in attachment order.
func (s *Sim) attachedXMLLocked(arns []string) []xmlAttachedPolicy {
	out := make([]xmlAttachedPolicy, 0, len(arns))
	for _, arn := range arns {
		name := arn[strings.LastIndexByte(arn, '/')+1:]
		out = append(out, xmlAttachedPolicy{PolicyName: name, PolicyArn: arn})
	}
	return out
}

// iamPage cuts n items by the request's Marker and MaxItems (default 100,
// 1..1000 as IAM allows). It returns the range, IsTruncated and the next
// Marker.
func iamPage(c *Call, n int) (start, end int, truncated bool, marker string, err error) {
	max := 100
	if v := c.Form.Get("MaxItems"); v != "" {
		m, cerr := strconv.Atoi(v)
		if cerr != nil || m < 1 || m > 1000 {
			return 0, 0, false, "", ErrStatus(400, "ValidationError", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v)
		}
		max = m
	}
	start, end, next, perr := Page("iam."+c.Op, n, max, c.Form.Get("Marker"))
	if perr != nil {
		return 0, 0, false, "", invalidInput("Invalid Marker.")
	}
	return start, end, next != "", next, nil
}
