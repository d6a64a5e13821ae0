package awsfacts

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// Caller is who the credentials belong to.
type Caller struct {
	Account, Arn, UserID string
	Kind                 string // "user", "assumed-role", "root", "federated-user"
	Name                 string // user name, or role name for an assumed role
	SessionName          string // assumed-role session name
	// PrincipalArn is what SimulatePrincipalPolicy takes: the user's ARN, or
	// for an assumed role the role's ARN (without a path, which STS does
	// not reveal).
	PrincipalArn string
	Partition    string
}

// SessionPrefix is what Session Manager puts before the random part of
// this caller's session ids, and so what ${aws:username}-* policies match.
func (c *Caller) SessionPrefix() string {
	if c.Kind == "assumed-role" {
		return c.SessionName
	}
	return c.Name
}

func (e *AWSEnv) CallerIdentity(ctx context.Context) (*Caller, error) {
	return e.caller.get(ctx, "", func() (*Caller, error) {
		out, err := e.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, callErr("sts:GetCallerIdentity", err)
		}
		return ParseCaller(aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId)), nil
	})
}

// ParseCaller maps an STS identity ARN to the IAM principal behind it.
func ParseCaller(account, arn, userID string) *Caller {
	c := &Caller{Account: account, Arn: arn, UserID: userID, Partition: "aws"}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return c
	}
	c.Partition = parts[1]
	res := parts[5]
	switch {
	case res == "root":
		c.Kind, c.Name, c.PrincipalArn = "root", "root", arn
	case strings.HasPrefix(res, "assumed-role/"):
		f := strings.SplitN(strings.TrimPrefix(res, "assumed-role/"), "/", 2)
		c.Kind, c.Name = "assumed-role", f[0]
		if len(f) == 2 {
			c.SessionName = f[1]
		}
		c.PrincipalArn = fmt.Sprintf("arn:%s:iam::%s:role/%s", c.Partition, account, c.Name)
	case strings.HasPrefix(res, "federated-user/"):
		c.Kind, c.Name, c.PrincipalArn = "federated-user", strings.TrimPrefix(res, "federated-user/"), arn
	case strings.HasPrefix(res, "user/"):
		// moto answers sts:...:user/NAME; AWS answers iam:...:user/PATH/NAME.
		path := strings.TrimPrefix(res, "user/")
		c.Kind, c.Name = "user", path[strings.LastIndexByte(path, '/')+1:]
		c.PrincipalArn = fmt.Sprintf("arn:%s:iam::%s:user/%s", c.Partition, account, path)
	}
	return c
}

// InstanceProfile is a profile and the role it carries.
type InstanceProfile struct {
	Name, Arn string
	RoleName  string // "" when the profile holds no role
	RoleArn   string
}

// InstanceProfileByArn reads a profile (one call per distinct profile,
// whatever the number of instances using it).
func (e *AWSEnv) InstanceProfileByArn(ctx context.Context, arn string) (*InstanceProfile, error) {
	return e.profiles.get(ctx, arn, func() (*InstanceProfile, error) {
		name := arn[strings.LastIndexByte(arn, '/')+1:]
		out, err := e.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
		if err != nil {
			return nil, callErr("iam:GetInstanceProfile", err)
		}
		p := &InstanceProfile{Name: name, Arn: arn}
		if ip := out.InstanceProfile; ip != nil {
			p.Arn = aws.ToString(ip.Arn)
			if len(ip.Roles) > 0 {
				p.RoleName, p.RoleArn = aws.ToString(ip.Roles[0].RoleName), aws.ToString(ip.Roles[0].Arn)
			}
		}
		return p, nil
	})
}

// AttachedRolePolicies lists the ARNs of a role's managed policies.
func (e *AWSEnv) AttachedRolePolicies(ctx context.Context, role string) ([]string, error) {
	return e.attached.get(ctx, role, func() ([]string, error) {
		var arns []string
		p := iam.NewListAttachedRolePoliciesPaginator(e.iam, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, callErr("iam:ListAttachedRolePolicies", err)
			}
			for _, a := range page.AttachedPolicies {
				arns = append(arns, aws.ToString(a.PolicyArn))
			}
		}
		return arns, nil
	})
}

// PolicySet is what offline evaluation needs: identity policies and the
// permissions boundary, with a note of where they came from.
type PolicySet struct {
	Identity, Boundary []iampolicy.NamedPolicy
}

// RolePolicies reads every policy of a role for offline evaluation.
func (e *AWSEnv) RolePolicies(ctx context.Context, role string) (*PolicySet, error) {
	return e.rolePols.get(ctx, role, func() (*PolicySet, error) {
		ps := &PolicySet{}
		out, err := e.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err != nil {
			return nil, callErr("iam:GetRole", err)
		}
		if b := out.Role.PermissionsBoundary; b != nil {
			np, err := e.managedPolicy(ctx, aws.ToString(b.PermissionsBoundaryArn))
			if err != nil {
				return nil, err
			}
			ps.Boundary = append(ps.Boundary, np)
		}
		arns, err := e.AttachedRolePolicies(ctx, role)
		if err != nil {
			return nil, err
		}
		for _, a := range arns {
			np, err := e.managedPolicy(ctx, a)
			if err != nil {
				return nil, err
			}
			ps.Identity = append(ps.Identity, np)
		}
		lp := iam.NewListRolePoliciesPaginator(e.iam, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
		for lp.HasMorePages() {
			page, err := lp.NextPage(ctx)
			if err != nil {
				return nil, callErr("iam:ListRolePolicies", err)
			}
			for _, name := range page.PolicyNames {
				doc, err := e.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
				if err != nil {
					return nil, callErr("iam:GetRolePolicy", err)
				}
				np, err := namedPolicy(name, "role", aws.ToString(doc.PolicyDocument))
				if err != nil {
					return nil, err
				}
				ps.Identity = append(ps.Identity, np)
			}
		}
		return ps, nil
	})
}

// UserPolicies reads every policy of a user, including its groups'.
func (e *AWSEnv) UserPolicies(ctx context.Context, user string) (*PolicySet, error) {
	return e.callerPols.get(ctx, "user/"+user, func() (*PolicySet, error) {
		ps := &PolicySet{}
		u, err := e.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)})
		if err != nil {
			return nil, callErr("iam:GetUser", err)
		}
		if b := u.User.PermissionsBoundary; b != nil {
			np, err := e.managedPolicy(ctx, aws.ToString(b.PermissionsBoundaryArn))
			if err != nil {
				return nil, err
			}
			ps.Boundary = append(ps.Boundary, np)
		}
		ap := iam.NewListAttachedUserPoliciesPaginator(e.iam, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)})
		for ap.HasMorePages() {
			page, err := ap.NextPage(ctx)
			if err != nil {
				return nil, callErr("iam:ListAttachedUserPolicies", err)
			}
			for _, a := range page.AttachedPolicies {
				np, err := e.managedPolicy(ctx, aws.ToString(a.PolicyArn))
				if err != nil {
					return nil, err
				}
				ps.Identity = append(ps.Identity, np)
			}
		}
		lp := iam.NewListUserPoliciesPaginator(e.iam, &iam.ListUserPoliciesInput{UserName: aws.String(user)})
		for lp.HasMorePages() {
			page, err := lp.NextPage(ctx)
			if err != nil {
				return nil, callErr("iam:ListUserPolicies", err)
			}
			for _, name := range page.PolicyNames {
				doc, err := e.iam.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name)})
				if err != nil {
					return nil, callErr("iam:GetUserPolicy", err)
				}
				np, err := namedPolicy(name, "user", aws.ToString(doc.PolicyDocument))
				if err != nil {
					return nil, err
				}
				ps.Identity = append(ps.Identity, np)
			}
		}
		gp := iam.NewListGroupsForUserPaginator(e.iam, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
		for gp.HasMorePages() {
			page, err := gp.NextPage(ctx)
			if err != nil {
				return nil, callErr("iam:ListGroupsForUser", err)
			}
			for _, g := range page.Groups {
				if err := e.addGroupPolicies(ctx, aws.ToString(g.GroupName), ps); err != nil {
					return nil, err
				}
			}
		}
		return ps, nil
	})
}

func (e *AWSEnv) addGroupPolicies(ctx context.Context, group string, ps *PolicySet) error {
	ap := iam.NewListAttachedGroupPoliciesPaginator(e.iam, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return callErr("iam:ListAttachedGroupPolicies", err)
		}
		for _, a := range page.AttachedPolicies {
			np, err := e.managedPolicy(ctx, aws.ToString(a.PolicyArn))
			if err != nil {
				return err
			}
			ps.Identity = append(ps.Identity, np)
		}
	}
	lp := iam.NewListGroupPoliciesPaginator(e.iam, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return callErr("iam:ListGroupPolicies", err)
		}
		for _, name := range page.PolicyNames {
			doc, err := e.iam.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(name)})
			if err != nil {
				return callErr("iam:GetGroupPolicy", err)
			}
			np, err := namedPolicy(name, "group", aws.ToString(doc.PolicyDocument))
			if err != nil {
				return err
			}
			ps.Identity = append(ps.Identity, np)
		}
	}
	return nil
}

// managedPolicy fetches a managed policy's default version once per ARN:
// AWS managed policies are shared by many roles.
func (e *AWSEnv) managedPolicy(ctx context.Context, arn string) (iampolicy.NamedPolicy, error) {
	doc, err := e.managedDocs.get(ctx, arn, func() (string, error) {
		p, err := e.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
		if err != nil {
			return "", callErr("iam:GetPolicy", err)
		}
		v, err := e.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
		if err != nil {
			return "", callErr("iam:GetPolicyVersion", err)
		}
		return aws.ToString(v.PolicyVersion.Document), nil
	})
	if err != nil {
		return iampolicy.NamedPolicy{}, err
	}
	typ := "user-managed"
	if strings.Contains(arn, ":iam::aws:policy/") {
		typ = "aws-managed"
	}
	return namedPolicy(arn, typ, doc)
}

func namedPolicy(id, typ, doc string) (iampolicy.NamedPolicy, error) {
	p, err := iampolicy.Parse(doc)
	if err != nil {
		return iampolicy.NamedPolicy{}, fmt.Errorf("parse policy %s: %w", id, err)
	}
	return iampolicy.NamedPolicy{ID: id, Type: typ, Policy: p}, nil
}
