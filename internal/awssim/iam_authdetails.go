package awssim

import (
	"slices"
	"sort"
)

// GetAccountAuthorizationDetails: every user, group, role and managed
// policy of the account with their policies, in one paged listing. The
// wire shape is IAM's (query protocol, XML): UserDetailList,
// GroupDetailList, RoleDetailList and Policies, each a list of members;
// every policy document URL-encoded, the roles' trust policies too.
//
// Paging: MaxItems (1..1000, default 100) counts entries of all four lists
// together, in the order users, groups, roles, policies; Marker resumes.
// Filter.member.N (User, Role, Group, LocalManagedPolicy,
// AWSManagedPolicy) keeps only those kinds; no filter means all of them.
// AWS managed policies are listed only when something uses them (attached
// to an entity, or a permissions boundary), as IAM lists them; moto lists
// every AWS managed policy it loaded (docs/test-doubles.md).

var authDetailsFilters = []string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}

type xmlPolicyDetail struct {
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type xmlUserDetail struct {
	Path                    string                     `xml:"Path"`
	UserName                string                     `xml:"UserName"`
	UserID                  string                     `xml:"UserId"`
	Arn                     string                     `xml:"Arn"`
	CreateDate              string                     `xml:"CreateDate"`
	UserPolicyList          members[xmlPolicyDetail]   `xml:"UserPolicyList"`
	GroupList               members[string]            `xml:"GroupList"`
	AttachedManagedPolicies members[xmlAttachedPolicy] `xml:"AttachedManagedPolicies"`
	PermissionsBoundary     *xmlBoundary               `xml:"PermissionsBoundary,omitempty"`
	Tags                    members[xmlTag]            `xml:"Tags"`
}

type xmlGroupDetail struct {
	Path                    string                     `xml:"Path"`
	GroupName               string                     `xml:"GroupName"`
	GroupID                 string                     `xml:"GroupId"`
	Arn                     string                     `xml:"Arn"`
	CreateDate              string                     `xml:"CreateDate"`
	GroupPolicyList         members[xmlPolicyDetail]   `xml:"GroupPolicyList"`
	AttachedManagedPolicies members[xmlAttachedPolicy] `xml:"AttachedManagedPolicies"`
}

type xmlRoleDetail struct {
	Path                     string                      `xml:"Path"`
	RoleName                 string                      `xml:"RoleName"`
	RoleID                   string                      `xml:"RoleId"`
	Arn                      string                      `xml:"Arn"`
	CreateDate               string                      `xml:"CreateDate"`
	AssumeRolePolicyDocument string                      `xml:"AssumeRolePolicyDocument"`
	InstanceProfileList      members[xmlInstanceProfile] `xml:"InstanceProfileList"`
	RolePolicyList           members[xmlPolicyDetail]    `xml:"RolePolicyList"`
	AttachedManagedPolicies  members[xmlAttachedPolicy]  `xml:"AttachedManagedPolicies"`
	PermissionsBoundary      *xmlBoundary                `xml:"PermissionsBoundary,omitempty"`
	Tags                     members[xmlTag]             `xml:"Tags"`
}

// xmlManagedPolicyDetail is GetPolicy's Policy with its versions.
type xmlManagedPolicyDetail struct {
	xmlPolicy
	PolicyVersionList members[xmlPolicyVersion] `xml:"PolicyVersionList"`
}

type authDetailsResult struct {
	UserDetailList  members[xmlUserDetail]          `xml:"UserDetailList"`
	GroupDetailList members[xmlGroupDetail]         `xml:"GroupDetailList"`
	RoleDetailList  members[xmlRoleDetail]          `xml:"RoleDetailList"`
	Policies        members[xmlManagedPolicyDetail] `xml:"Policies"`
	IsTruncated     bool                            `xml:"IsTruncated"`
	Marker          string                          `xml:"Marker,omitempty"`
}

func (s *Sim) iamGetAccountAuthorizationDetails(c *Call) (any, error) {
	want := map[string]bool{}
	for _, f := range c.FormList("Filter") {
		if !slices.Contains(authDetailsFilters, f) {
			return nil, ErrStatus(400, "ValidationError",
				"1 validation error detected: Value '[%s]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]]", f)
		}
		want[f] = true
	}
	all := len(want) == 0
	if err := s.authorize(c, "iam:GetAccountAuthorizationDetails", "*", nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// One sequence of entries, cut into a page: users, groups, roles,
	// policies, each sorted by name (ARN for policies).
	var entries []func(*authDetailsResult)
	if all || want["User"] {
		for _, name := range sortedKeys(s.state.Users) {
			u := s.state.Users[name]
			entries = append(entries, func(r *authDetailsResult) {
				r.UserDetailList.Items = append(r.UserDetailList.Items, s.userDetailLocked(u))
			})
		}
	}
	if all || want["Group"] {
		for _, name := range sortedKeys(s.state.Groups) {
			g := s.state.Groups[name]
			entries = append(entries, func(r *authDetailsResult) {
				r.GroupDetailList.Items = append(r.GroupDetailList.Items, s.groupDetailLocked(g))
			})
		}
	}
	if all || want["Role"] {
		for _, name := range sortedKeys(s.state.Roles) {
			ro := s.state.Roles[name]
			entries = append(entries, func(r *authDetailsResult) {
				r.RoleDetailList.Items = append(r.RoleDetailList.Items, s.roleDetailLocked(ro))
			})
		}
	}
	for _, arn := range s.authDetailsPoliciesLocked(all || want["LocalManagedPolicy"], all || want["AWSManagedPolicy"]) {
		p, _ := s.managedPolicyLocked(arn)
		entries = append(entries, func(r *authDetailsResult) {
			r.Policies.Items = append(r.Policies.Items, s.managedPolicyDetailLocked(p))
		})
	}
	start, end, trunc, marker, err := iamPage(c, len(entries))
	if err != nil {
		return nil, err
	}
	out := &authDetailsResult{IsTruncated: trunc, Marker: marker}
	for _, add := range entries[start:end] {
		add(out)
	}
	return out, nil
}

// authDetailsPoliciesLocked lists the managed policies to include: the
// account's own (local) and the AWS managed ones something uses.
func (s *Sim) authDetailsPoliciesLocked(local, awsManagedToo bool) []string {
	var out []string
	if local {
		for arn := range s.state.Policies {
			if !isAWSManagedArn(arn) {
				out = append(out, arn)
			}
		}
	}
	if awsManagedToo {
		used := map[string]bool{}
		mark := func(arns []string, boundary string) {
			for _, a := range arns {
				used[a] = true
			}
			if boundary != "" {
				used[boundary] = true
			}
		}
		for _, u := range s.state.Users {
			mark(u.AttachedPolicies, u.PermissionBoundary)
		}
		for _, g := range s.state.Groups {
			mark(g.AttachedPolicies, "")
		}
		for _, r := range s.state.Roles {
			mark(r.AttachedPolicies, r.PermissionBoundary)
		}
		for arn := range used {
			if _, ok := s.managedPolicyLocked(arn); ok && isAWSManagedArn(arn) {
				out = append(out, arn)
			}
		}
	}
	sort.Strings(out)
	return out
}

func inlineDetails(docs map[string]string) members[xmlPolicyDetail] {
	var m members[xmlPolicyDetail]
	for _, name := range sortedKeys(docs) {
		m.Items = append(m.Items, xmlPolicyDetail{PolicyName: name, PolicyDocument: encodeDoc(docs[name])})
	}
	return m
}

func tagMembers(tags []Tag) members[xmlTag] {
	var m members[xmlTag]
	for _, t := range tags {
		m.Items = append(m.Items, xmlTag{t.Key, t.Value})
	}
	return m
}

func (s *Sim) userDetailLocked(u *User) xmlUserDetail {
	d := xmlUserDetail{
		Path:                normPath(u.Path),
		UserName:            u.Name,
		UserID:              u.ID,
		Arn:                 iamArn(s.state.AccountID, "user", u.Path, u.Name),
		CreateDate:          ISOTime(u.CreatedAt),
		UserPolicyList:      inlineDetails(u.InlinePolicies),
		PermissionsBoundary: boundaryXML(u.PermissionBoundary),
		Tags:                tagMembers(u.Tags),
	}
	for _, g := range u.Groups {
		if _, ok := s.state.Groups[g]; ok {
			d.GroupList.Items = append(d.GroupList.Items, g)
		}
	}
	d.AttachedManagedPolicies.Items = s.attachedXMLLocked(u.AttachedPolicies)
	return d
}

func (s *Sim) groupDetailLocked(g *Group) xmlGroupDetail {
	d := xmlGroupDetail{
		Path:            normPath(g.Path),
		GroupName:       g.Name,
		GroupID:         g.ID,
		Arn:             iamArn(s.state.AccountID, "group", g.Path, g.Name),
		CreateDate:      ISOTime(g.CreatedAt),
		GroupPolicyList: inlineDetails(g.InlinePolicies),
	}
	d.AttachedManagedPolicies.Items = s.attachedXMLLocked(g.AttachedPolicies)
	return d
}

func (s *Sim) roleDetailLocked(r *Role) xmlRoleDetail {
	d := xmlRoleDetail{
		Path:                     normPath(r.Path),
		RoleName:                 r.Name,
		RoleID:                   r.ID,
		Arn:                      iamArn(s.state.AccountID, "role", r.Path, r.Name),
		CreateDate:               ISOTime(r.CreatedAt),
		AssumeRolePolicyDocument: encodeDoc(r.AssumeRolePolicy),
		RolePolicyList:           inlineDetails(r.InlinePolicies),
		PermissionsBoundary:      boundaryXML(r.PermissionBoundary),
		Tags:                     tagMembers(r.Tags),
	}
	d.AttachedManagedPolicies.Items = s.attachedXMLLocked(r.AttachedPolicies)
	for _, pn := range sortedKeys(s.state.InstanceProfile) {
		p := s.state.InstanceProfile[pn]
		if slices.Contains(p.Roles, r.Name) {
			d.InstanceProfileList.Items = append(d.InstanceProfileList.Items, s.profileXMLLocked(p))
		}
	}
	return d
}

func (s *Sim) managedPolicyDetailLocked(p *ManagedPolicy) xmlManagedPolicyDetail {
	d := xmlManagedPolicyDetail{xmlPolicy: s.policyXMLLocked(p)}
	for _, v := range p.Versions {
		d.PolicyVersionList.Items = append(d.PolicyVersionList.Items, xmlPolicyVersion{
			Document: encodeDoc(v.Document), VersionID: v.VersionID,
			IsDefaultVersion: v.VersionID == p.DefaultVersionID, CreateDate: ISOTime(v.CreatedAt),
		})
	}
	return d
}

// policyXMLLocked is p as GetPolicy and the authorization details show it.
func (s *Sim) policyXMLLocked(p *ManagedPolicy) xmlPolicy {
	att, bnd := s.policyUsageLocked(p.Arn)
	return xmlPolicy{
		PolicyName: p.Name, PolicyID: p.ID, Arn: p.Arn, Path: normPath(p.Path),
		DefaultVersionID: p.DefaultVersionID, AttachmentCount: att, PermissionsBoundaryUsageCount: bnd,
		IsAttachable: true, Description: p.Description,
		CreateDate: ISOTime(p.CreatedAt), UpdateDate: ISOTime(p.UpdatedAt),
	}
}

// sortedKeys is m's keys in order (never nil).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
