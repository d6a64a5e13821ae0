package awssim

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/ssmdoctor/ssmdoctor/internal/motoserver"
)

const (
	confSSHPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"StartSSHSession","Effect":"Allow","Action":"ssm:StartSession","Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:ssm:*:*:document/AWS-StartSSHSession"]}]}`
	confBoundary  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:*","ec2:Describe*"],"Resource":"*"}]}`
	confGroupDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ssm:StartSession","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Env":"prod"}}}]}`
)

// TestConformanceMotoAuthorizationDetails builds the same principals in
// moto and in the simulator (moto's ids seeded into the simulator) and
// compares GetAccountAuthorizationDetails: users with inline, attached and
// group policies, a group, a role with its trust policy, permissions
// boundary and instance profile, and the account's managed policies.
// moto deviations (docs/test-doubles.md#known-moto-deviations): no paging
// (MaxItems and Marker ignored), every loaded AWS managed policy listed
// (so the AWSManagedPolicy filter is left out here), no user permissions
// boundaries, and documents in plain JSON where IAM URL-encodes them
// (compared decoded; the simulator's are checked to be encoded).
func TestConformanceMotoAuthorizationDetails(t *testing.T) {
	m := motoserver.Start(t)
	ctx := context.Background()
	account := motoserver.NewAccountID()
	mc := iam.NewFromConfig(m.Config(account))
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("moto setup: %s: %v\nmoto log tail:\n%s", what, err, tail(m.Log(), 2000))
		}
	}
	st := &State{AccountID: account}
	st.Normalize()
	ids := idMap{}

	// The signer of the simulator's side: an administrator, made in moto too.
	admin, err := mc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("conf-admin")})
	must("create admin", err)
	_, err = mc.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("conf-admin"), PolicyArn: aws.String(PolicyAdministratorAccess)})
	must("attach admin", err)
	ids.add(aws.ToString(admin.User.UserId), "admin-id")
	st.Users["conf-admin"] = &User{Name: "conf-admin", ID: aws.ToString(admin.User.UserId), Path: "/", AttachedPolicies: []string{PolicyAdministratorAccess}}
	st.AccessKeys["AKIACONFADMIN0000001"] = &AccessKey{ID: "AKIACONFADMIN0000001", Secret: "conf-admin-secret", UserName: "conf-admin", Status: "Active"}

	policy := func(name, doc string) string {
		p, err := mc.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc), Description: aws.String("conformance " + name)})
		must("create policy "+name, err)
		arn := aws.ToString(p.Policy.Arn)
		ids.add(aws.ToString(p.Policy.PolicyId), name+"-id")
		st.Policies[arn] = &ManagedPolicy{Arn: arn, Name: name, ID: aws.ToString(p.Policy.PolicyId), Path: "/", DefaultVersionID: "v1",
			Description: "conformance " + name, Versions: []PolicyVersion{{VersionID: "v1", Document: doc, CreatedAt: time.Now()}}}
		return arn
	}
	sshArn, boundaryArn := policy("conf-ssh", confSSHPolicy), policy("conf-boundary", confBoundary)

	g, err := mc.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("conf-ops")})
	must("create group", err)
	ids.add(aws.ToString(g.Group.GroupId), "group-id")
	_, err = mc.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("conf-ops"), PolicyName: aws.String("no-prod"), PolicyDocument: aws.String(confGroupDoc)})
	must("put group policy", err)
	_, err = mc.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("conf-ops"), PolicyArn: aws.String(sshArn)})
	must("attach group policy", err)
	st.Groups["conf-ops"] = &Group{Name: "conf-ops", ID: aws.ToString(g.Group.GroupId), Path: "/", AttachedPolicies: []string{sshArn},
		InlinePolicies: map[string]string{"no-prod": confGroupDoc}}

	u, err := mc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("conf-user"), Path: aws.String("/people/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}})
	must("create user", err)
	ids.add(aws.ToString(u.User.UserId), "user-id")
	_, err = mc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("conf-user"), PolicyName: aws.String("own"), PolicyDocument: aws.String(confInline)})
	must("put user policy", err)
	_, err = mc.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("conf-user"), GroupName: aws.String("conf-ops")})
	must("add user to group", err)
	st.Users["conf-user"] = &User{Name: "conf-user", ID: aws.ToString(u.User.UserId), Path: "/people/", Groups: []string{"conf-ops"},
		InlinePolicies: map[string]string{"own": confInline}, Tags: []Tag{{Key: "team", Value: "ops"}}}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:user/people/conf-user"},"Action":"sts:AssumeRole"}]}`
	// The boundary is on the role: moto has no user boundaries
	// (PutUserPermissionsBoundary is not implemented).
	r, err := mc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("conf-operator"), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: aws.String(boundaryArn)})
	must("create role", err)
	ids.add(aws.ToString(r.Role.RoleId), "role-id")
	_, err = mc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("conf-operator"), PolicyArn: aws.String(sshArn)})
	must("attach role policy", err)
	_, err = mc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("conf-operator"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(confInline)})
	must("put role policy", err)
	ip, err := mc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("conf-operator-profile")})
	must("create instance profile", err)
	ids.add(aws.ToString(ip.InstanceProfile.InstanceProfileId), "profile-id")
	_, err = mc.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("conf-operator-profile"), RoleName: aws.String("conf-operator")})
	must("add role to profile", err)
	st.Roles["conf-operator"] = &Role{Name: "conf-operator", ID: aws.ToString(r.Role.RoleId), Path: "/", AssumeRolePolicy: trust, MaxSessionDuration: 3600, PermissionBoundary: boundaryArn,
		AttachedPolicies: []string{sshArn}, InlinePolicies: map[string]string{"inline": confInline}}
	st.InstanceProfile["conf-operator-profile"] = &InstanceProfile{Name: "conf-operator-profile", ID: aws.ToString(ip.InstanceProfile.InstanceProfileId), Path: "/", Roles: []string{"conf-operator"}}

	s := startSim(t, st, Options{})
	sc := iam.NewFromConfig(awsConfig(s, "AKIACONFADMIN0000001", "conf-admin-secret", ""))
	in := &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{
		iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup, iamtypes.EntityTypeRole, iamtypes.EntityTypeLocalManagedPolicy}}
	mo, err := mc.GetAccountAuthorizationDetails(ctx, in)
	if err != nil {
		t.Fatalf("moto GetAccountAuthorizationDetails: %v", err)
	}
	so, err := sc.GetAccountAuthorizationDetails(ctx, in)
	if err != nil {
		t.Fatalf("simulator GetAccountAuthorizationDetails: %v", err)
	}
	// The simulator encodes every document as IAM does.
	for _, r := range so.RoleDetailList {
		if d := aws.ToString(r.AssumeRolePolicyDocument); !strings.HasPrefix(d, "%7B") {
			t.Errorf("simulator trust policy of %s not URL-encoded: %.40s", aws.ToString(r.RoleName), d)
		}
	}
	for _, p := range so.Policies {
		for _, v := range p.PolicyVersionList {
			if d := aws.ToString(v.Document); !strings.HasPrefix(d, "%7B") {
				t.Errorf("simulator policy %s not URL-encoded: %.40s", aws.ToString(p.PolicyName), d)
			}
		}
	}
	if len(so.UserDetailList) != 2 || len(so.GroupDetailList) != 1 || len(so.RoleDetailList) != 1 || len(so.Policies) != 2 {
		t.Fatalf("simulator lists %d users, %d groups, %d roles, %d policies; want 2, 1, 1, 2",
			len(so.UserDetailList), len(so.GroupDetailList), len(so.RoleDetailList), len(so.Policies))
	}
	for _, p := range so.Policies {
		if aws.ToString(p.PolicyName) == "" || aws.ToString(p.PolicyId) == "" || p.PermissionsBoundaryUsageCount == nil {
			t.Errorf("simulator policy %s lacks its name, id or boundary count", aws.ToString(p.Arn))
		}
	}
	// IAM promises no order of the policies; moto keeps creation order.
	for _, out := range []*iam.GetAccountAuthorizationDetailsOutput{mo, so} {
		slices.SortFunc(out.Policies, func(a, b iamtypes.ManagedPolicyDetail) int {
			return strings.Compare(aws.ToString(a.Arn), aws.ToString(b.Arn))
		})
	}
	mt, stt := tree(t, mo, ids), tree(t, so, ids)
	decodeDocs(t, mt)
	decodeDocs(t, stt)
	compareTrees(t, "GetAccountAuthorizationDetails", mt, stt,
		exCreateDate,
		exclusion{"*.*.CreateDate", "volatile"},
		exclusion{"*.*.UpdateDate", "volatile"},
		exclusion{"*.*.*.*.CreateDate", "volatile"},
		exclusion{"*.*.*.*.Roles.*.CreateDate", "volatile"},
		exclusion{"RoleDetailList.*.RoleLastUsed", "volatile: moto reports no last use, AWS a region and date once used"},
		exclusion{"Marker", "moto does not page"},
		// moto deviations: a ManagedPolicyDetail without PolicyName and
		// PolicyId, and without PermissionsBoundaryUsageCount (the
		// simulator's are checked above).
		exclusion{"Policies.*.PolicyName", "moto: PolicyName missing from ManagedPolicyDetail"},
		exclusion{"Policies.*.PolicyId", "moto: PolicyId missing from ManagedPolicyDetail"},
		exclusion{"Policies.*.PermissionsBoundaryUsageCount", "moto: PermissionsBoundaryUsageCount missing"},
	)
}

// decodeDocs replaces every policy document in a tree by its decoded,
// re-serialised JSON, so that encoded and plain documents compare.
func decodeDocs(t *testing.T, tr any) {
	switch n := tr.(type) {
	case map[string]any:
		for k, v := range n {
			if s, ok := v.(string); ok && (k == "PolicyDocument" || k == "AssumeRolePolicyDocument" || k == "Document") {
				b, err := json.Marshal(policyDoc(t, s))
				if err != nil {
					t.Fatal(err)
				}
				n[k] = string(b)
				continue
			}
			decodeDocs(t, v)
		}
	case []any:
		for _, v := range n {
			decodeDocs(t, v)
		}
	}
}
