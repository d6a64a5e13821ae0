package awssim

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestIAMGetAccountAuthorizationDetails(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")

	all, err := c.GetAccountAuthorizationDetails(iamCtx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1000)})
	if err != nil {
		t.Fatalf("GetAccountAuthorizationDetails: %v", err)
	}
	var users, groups, roles, policies []string
	for _, u := range all.UserDetailList {
		users = append(users, aws.ToString(u.UserName))
	}
	for _, g := range all.GroupDetailList {
		groups = append(groups, aws.ToString(g.GroupName))
	}
	for _, r := range all.RoleDetailList {
		roles = append(roles, aws.ToString(r.RoleName))
	}
	for _, p := range all.Policies {
		policies = append(policies, aws.ToString(p.Arn))
	}
	// AWS managed policies only when something uses them, as IAM lists
	// them: every one of the fixture's is attached or a boundary.
	wantPolicies := []string{PolicyAdministratorAccess, PolicyS3ReadOnlyAccess, PolicyReadOnlyAccess, PolicySSMManagedInstanceCore, PolicyEC2RoleforSSMLegacy}
	slices.Sort(wantPolicies)
	if !slices.Equal(users, []string{"admin", "bounded", "denied", "nobody", "sshuser"}) || !slices.Equal(groups, []string{"devs"}) ||
		!slices.Equal(roles, []string{"app-role", "legacy-role", "reader", "ssm-role"}) || !slices.Equal(policies, wantPolicies) || all.IsTruncated {
		t.Fatalf("users %v groups %v roles %v policies %v truncated %v", users, groups, roles, policies, all.IsTruncated)
	}

	u := all.UserDetailList[4] // sshuser
	if aws.ToString(u.Arn) != "arn:aws:iam::123456789012:user/people/sshuser" || aws.ToString(u.Path) != "/people/" ||
		!slices.Equal(u.GroupList, []string{"devs"}) || len(u.UserPolicyList) != 1 || aws.ToString(u.UserPolicyList[0].PolicyName) != "ssh" ||
		len(u.Tags) != 1 || aws.ToString(u.Tags[0].Key) != "team" {
		t.Fatalf("sshuser: %+v", u)
	}
	// Every document URL-encoded, as IAM sends them (the SDK does not decode).
	if doc := aws.ToString(u.UserPolicyList[0].PolicyDocument); !strings.HasPrefix(doc, "%7B") {
		t.Errorf("inline user policy not URL-encoded: %.40s", doc)
	}
	b := all.UserDetailList[1] // bounded
	if b.PermissionsBoundary == nil || aws.ToString(b.PermissionsBoundary.PermissionsBoundaryArn) != PolicyReadOnlyAccess ||
		b.PermissionsBoundary.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("bounded: %+v", b.PermissionsBoundary)
	}
	g := all.GroupDetailList[0]
	if len(g.GroupPolicyList) != 1 || len(g.AttachedManagedPolicies) != 1 || aws.ToString(g.AttachedManagedPolicies[0].PolicyArn) != PolicyS3ReadOnlyAccess {
		t.Errorf("devs: %+v", g)
	}
	r := all.RoleDetailList[3] // ssm-role
	trust := aws.ToString(r.AssumeRolePolicyDocument)
	if plain, _ := url.QueryUnescape(trust); !strings.HasPrefix(trust, "%7B") || plain != trustEC2 {
		t.Errorf("ssm-role trust policy %q", trust)
	}
	if len(r.InstanceProfileList) != 1 || aws.ToString(r.InstanceProfileList[0].InstanceProfileName) != "ssm-profile" ||
		len(r.AttachedManagedPolicies) != 1 || aws.ToString(r.AttachedManagedPolicies[0].PolicyName) != "AmazonSSMManagedInstanceCore" {
		t.Errorf("ssm-role: %+v", r)
	}
	for _, p := range all.Policies {
		if aws.ToString(p.Arn) != PolicyReadOnlyAccess {
			continue
		}
		if aws.ToInt32(p.PermissionsBoundaryUsageCount) != 1 || aws.ToInt32(p.AttachmentCount) != 1 || len(p.PolicyVersionList) != 1 ||
			!p.PolicyVersionList[0].IsDefaultVersion || !strings.HasPrefix(aws.ToString(p.PolicyVersionList[0].Document), "%7B") {
			t.Errorf("ReadOnlyAccess: %+v", p)
		}
	}

	// Paging: MaxItems counts entries of all four lists together; the
	// pages put back together are the whole answer.
	var paged iam.GetAccountAuthorizationDetailsOutput
	in := &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(3)}
	pages := 0
	for {
		out, err := c.GetAccountAuthorizationDetails(iamCtx, in)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if n := len(out.UserDetailList) + len(out.GroupDetailList) + len(out.RoleDetailList) + len(out.Policies); n > 3 || n == 0 {
			t.Fatalf("page %d holds %d entries", pages, n)
		}
		paged.UserDetailList = append(paged.UserDetailList, out.UserDetailList...)
		paged.GroupDetailList = append(paged.GroupDetailList, out.GroupDetailList...)
		paged.RoleDetailList = append(paged.RoleDetailList, out.RoleDetailList...)
		paged.Policies = append(paged.Policies, out.Policies...)
		if !out.IsTruncated {
			if out.Marker != nil {
				t.Fatalf("last page has a Marker")
			}
			break
		}
		in.Marker = out.Marker
	}
	if pages != 5 || !reflect.DeepEqual(paged.UserDetailList, all.UserDetailList) || !reflect.DeepEqual(paged.RoleDetailList, all.RoleDetailList) ||
		!reflect.DeepEqual(paged.GroupDetailList, all.GroupDetailList) || !reflect.DeepEqual(paged.Policies, all.Policies) {
		t.Fatalf("%d pages of 3 do not add up to the 15 entries", pages)
	}

	// Filter keeps only the kinds named.
	f, err := c.GetAccountAuthorizationDetails(iamCtx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole, iamtypes.EntityTypeLocalManagedPolicy}})
	if err != nil || len(f.UserDetailList) != 0 || len(f.GroupDetailList) != 0 || len(f.RoleDetailList) != 4 || len(f.Policies) != 0 {
		t.Fatalf("Filter Role, LocalManagedPolicy: %v %+v", err, f)
	}
	_, err = c.GetAccountAuthorizationDetails(iamCtx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{"Users"}})
	iamWantErr(t, err, "ValidationError", 400, "")
	_, err = c.GetAccountAuthorizationDetails(iamCtx, &iam.GetAccountAuthorizationDetailsInput{Marker: aws.String("bogus")})
	iamWantErr(t, err, "InvalidInput", 400, "Invalid Marker.")
	_, err = c.GetAccountAuthorizationDetails(iamCtx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1001)})
	iamWantErr(t, err, "ValidationError", 400, "")

	// Authorized as iam:GetAccountAuthorizationDetails on "*".
	_, err = iamAs(s, "nobody").GetAccountAuthorizationDetails(iamCtx, &iam.GetAccountAuthorizationDetailsInput{})
	iamWantErr(t, err, "AccessDenied", 403, "")
	if _, err := iamAs(s, "reader").GetAccountAuthorizationDetails(iamCtx, &iam.GetAccountAuthorizationDetailsInput{}); err != nil {
		t.Fatalf("ReadOnlyAccess (iam:Get*) may list: %v", err)
	}
}
