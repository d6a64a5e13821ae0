// Package access answers who may open an SSH session on an instance, and
// where a principal may open one: it reads every IAM user, group, role and
// managed policy of the account in one paged pass
// (iam:GetAccountAuthorizationDetails), evaluates each principal with the
// project's IAM evaluator (internal/iampolicy: identity policies, group
// policies, permissions boundaries), and confirms the decisions with
// iam:SimulatePrincipalPolicy where the caller may, batched. It returns
// data (Report); internal/report renders it.
package access

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// IAMAPI is the part of IAM access reads through.
type IAMAPI interface {
	GetAccountAuthorizationDetails(context.Context, *iam.GetAccountAuthorizationDetailsInput, ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
	SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// AuthDetailsPage is how many entries one GetAccountAuthorizationDetails
// call asks for: the most IAM gives.
const AuthDetailsPage = 1000

// authDetailsFilter is every kind of entry the evaluation needs: the
// principals, the groups their users belong to, and the managed policies
// (the account's and AWS's) attached to any of them.
var authDetailsFilter = []iamtypes.EntityType{
	iamtypes.EntityTypeUser, iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup,
	iamtypes.EntityTypeLocalManagedPolicy, iamtypes.EntityTypeAWSManagedPolicy,
}

// Account is what GetAccountAuthorizationDetails said: every user and role
// with the policies that apply to it.
type Account struct {
	Principals []*Principal // users, then roles, each sorted by name
	// Pages is how many GetAccountAuthorizationDetails calls the read took.
	Pages int
}

// Principal is a user or a role with every policy that applies to it.
type Principal struct {
	Kind                 string // "user" or "role"
	Name, Path, Arn, ID  string
	Tags                 map[string]string
	Groups               []string // users: the groups, whose policies apply too
	PermissionsBoundary  string   // the boundary policy's ARN, or ""
	Trust                *Trust   // roles: who may assume it
	Identity, Boundaries []iampolicy.NamedPolicy
	// Problems lists what could not be read (a policy attached but absent
	// from the listing, a document that does not parse); the decisions
	// are then as complete as what was read.
	Problems []string

	sources map[string]Source // by NamedPolicy.ID
	// reads holds, lower case, every context key p's policies name: as a
	// condition key, or as a ${variable} in a Resource or a condition
	// value. Only these can change a decision.
	reads map[string]bool
}

// Label is "user/alice" or "role/SSHOperator", as --principal takes it.
func (p *Principal) Label() string { return p.Kind + "/" + p.Name }

// Source says where a policy comes from.
type Source struct {
	Policy    string // the policy's name
	PolicyArn string // managed policies; "" for inline ones
	Via       string // "inline policy of user alice", "managed policy attached to group ssh-users", ...
}

type groupRec struct {
	inline   []iamtypes.PolicyDetail
	attached []iamtypes.AttachedPolicy
}

// ReadAccount reads every principal in one paged pass of
// GetAccountAuthorizationDetails (MaxItems AuthDetailsPage).
func ReadAccount(ctx context.Context, api IAMAPI) (*Account, error) {
	var users []iamtypes.UserDetail
	var roles []iamtypes.RoleDetail
	groups := map[string]groupRec{}
	docs := map[string]string{} // managed policy ARN -> default version's document
	acct := &Account{}
	in := &iam.GetAccountAuthorizationDetailsInput{Filter: authDetailsFilter, MaxItems: aws.Int32(AuthDetailsPage)}
	seen := map[string]bool{}
	for {
		out, err := api.GetAccountAuthorizationDetails(ctx, in)
		if err != nil {
			return nil, &awsfacts.CallError{Call: "iam:GetAccountAuthorizationDetails", Err: err}
		}
		acct.Pages++
		users = append(users, out.UserDetailList...)
		roles = append(roles, out.RoleDetailList...)
		for _, g := range out.GroupDetailList {
			groups[aws.ToString(g.GroupName)] = groupRec{inline: g.GroupPolicyList, attached: g.AttachedManagedPolicies}
		}
		for _, p := range out.Policies {
			for _, v := range p.PolicyVersionList {
				if v.IsDefaultVersion {
					docs[aws.ToString(p.Arn)] = aws.ToString(v.Document)
				}
			}
		}
		if !out.IsTruncated || aws.ToString(out.Marker) == "" {
			break
		}
		m := aws.ToString(out.Marker)
		if seen[m] {
			return nil, &awsfacts.CallError{Call: "iam:GetAccountAuthorizationDetails", Err: fmt.Errorf("the same Marker came back twice: the listing does not end")}
		}
		seen[m] = true
		in.Marker = out.Marker
	}
	for _, u := range users {
		p := &Principal{Kind: "user", Name: aws.ToString(u.UserName), Path: aws.ToString(u.Path), Arn: aws.ToString(u.Arn),
			ID: aws.ToString(u.UserId), Tags: tagMap(u.Tags), sources: map[string]Source{}}
		b := newBuilder(p, docs)
		b.inline(u.UserPolicyList, "u:", "inline policy of user "+p.Name)
		b.attached(u.AttachedManagedPolicies, "u:", "managed policy attached to user "+p.Name)
		for _, g := range u.GroupList {
			p.Groups = append(p.Groups, g)
			gr, ok := groups[g]
			if !ok {
				p.Problems = append(p.Problems, fmt.Sprintf("group %s is not in the authorization details: its policies are not evaluated", g))
				continue
			}
			b.inline(gr.inline, "g:"+g+":", "inline policy of group "+g)
			b.attached(gr.attached, "g:"+g+":", "managed policy attached to group "+g)
		}
		if u.PermissionsBoundary != nil {
			b.boundary(aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn))
		}
		acct.Principals = append(acct.Principals, p)
	}
	for _, r := range roles {
		p := &Principal{Kind: "role", Name: aws.ToString(r.RoleName), Path: aws.ToString(r.Path), Arn: aws.ToString(r.Arn),
			ID: aws.ToString(r.RoleId), Tags: tagMap(r.Tags), sources: map[string]Source{}}
		b := newBuilder(p, docs)
		b.inline(r.RolePolicyList, "r:", "inline policy of role "+p.Name)
		b.attached(r.AttachedManagedPolicies, "r:", "managed policy attached to role "+p.Name)
		if r.PermissionsBoundary != nil {
			b.boundary(aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn))
		}
		p.Trust = parseTrust(p, decodeDoc(aws.ToString(r.AssumeRolePolicyDocument)))
		acct.Principals = append(acct.Principals, p)
	}
	sort.SliceStable(acct.Principals, func(i, j int) bool {
		a, b := acct.Principals[i], acct.Principals[j]
		if a.Kind != b.Kind {
			return a.Kind == "user"
		}
		return a.Name < b.Name
	})
	return acct, nil
}

// Find returns the principal named "user/NAME" or "role/NAME" (or by ARN).
func (a *Account) Find(label string) *Principal {
	for _, p := range a.Principals {
		if p.Label() == label || p.Arn == label {
			return p
		}
	}
	return nil
}

type builder struct {
	p    *Principal
	docs map[string]string
}

func newBuilder(p *Principal, docs map[string]string) *builder { return &builder{p: p, docs: docs} }

func (b *builder) add(id string, src Source, doc string, boundary bool) {
	doc = decodeDoc(doc)
	pol, err := iampolicy.Parse(doc)
	if err != nil {
		b.p.Problems = append(b.p.Problems, fmt.Sprintf("%s %s does not parse (%v): not evaluated", src.Via, src.Policy, err))
		return
	}
	b.p.notePolicyReads(pol)
	b.p.sources[id] = src
	typ := "user-managed"
	switch {
	case src.PolicyArn == "":
		typ = b.p.Kind
		if strings.HasPrefix(id, "g:") {
			typ = "group"
		}
	case strings.Contains(src.PolicyArn, ":iam::aws:policy/"):
		typ = "aws-managed"
	}
	np := iampolicy.NamedPolicy{ID: id, Type: typ, Policy: pol}
	if boundary {
		b.p.Boundaries = append(b.p.Boundaries, np)
	} else {
		b.p.Identity = append(b.p.Identity, np)
	}
}

func (b *builder) inline(list []iamtypes.PolicyDetail, prefix, via string) {
	for _, d := range list {
		name := aws.ToString(d.PolicyName)
		b.add(prefix+"inline:"+name, Source{Policy: name, Via: via}, aws.ToString(d.PolicyDocument), false)
	}
}

func (b *builder) attached(list []iamtypes.AttachedPolicy, prefix, via string) {
	for _, a := range list {
		arn := aws.ToString(a.PolicyArn)
		doc, ok := b.docs[arn]
		if !ok {
			b.p.Problems = append(b.p.Problems, fmt.Sprintf("%s %s is not in the authorization details: not evaluated", via, arn))
			continue
		}
		b.add(prefix+arn, Source{Policy: aws.ToString(a.PolicyName), PolicyArn: arn, Via: via}, doc, false)
	}
}

func (b *builder) boundary(arn string) {
	b.p.PermissionsBoundary = arn
	doc, ok := b.docs[arn]
	if !ok {
		// A boundary that cannot be read still bounds: evaluating without it
		// could only claim more access than there is, so nothing is allowed.
		b.p.Problems = append(b.p.Problems, fmt.Sprintf("permissions boundary %s is not in the authorization details: nothing is taken as allowed", arn))
		b.p.Boundaries = append(b.p.Boundaries, iampolicy.NamedPolicy{ID: "boundary:" + arn, Type: "boundary", Policy: &iampolicy.Policy{Version: iampolicy.Version2012}})
		return
	}
	name := arn[strings.LastIndexByte(arn, '/')+1:]
	b.add("boundary:"+arn, Source{Policy: name, PolicyArn: arn, Via: "permissions boundary"}, doc, true)
}

// decodeDoc undoes IAM's URL encoding of policy documents (RFC 3986;
// some implementations send them plain).
func decodeDoc(doc string) string {
	if t := strings.TrimSpace(doc); strings.HasPrefix(t, "%") {
		if plain, err := url.QueryUnescape(doc); err == nil {
			return plain
		}
	}
	return doc
}

func tagMap(tags []iamtypes.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func (p *Principal) notePolicyReads(pol *iampolicy.Policy) {
	if p.reads == nil {
		p.reads = map[string]bool{}
	}
	vars := func(list []string) {
		for _, v := range list {
			for {
				i := strings.Index(v, "${")
				if i < 0 {
					break
				}
				v = v[i+2:]
				j := strings.IndexByte(v, '}')
				if j < 0 {
					break
				}
				name := v[:j]
				if k := strings.Index(name, ", "); k >= 0 { // ${key, 'default'}
					name = name[:k]
				}
				p.reads[strings.ToLower(strings.TrimSpace(name))] = true
				v = v[j+1:]
			}
		}
	}
	for _, st := range pol.Statements {
		vars(st.Resource)
		vars(st.NotResource)
		for _, c := range st.Conditions {
			p.reads[strings.ToLower(c.Key)] = true
			vars(c.Values)
		}
	}
}
