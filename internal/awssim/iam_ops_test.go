package awssim

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

func TestIAMRoles(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")

	got, err := c.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	r := got.Role
	if aws.ToString(r.Arn) != "arn:aws:iam::123456789012:role/ssm-role" || aws.ToString(r.RoleId) != "AROASSMROLE00000001" ||
		aws.ToString(r.Path) != "/" || aws.ToInt32(r.MaxSessionDuration) != 3600 || r.CreateDate == nil || r.CreateDate.Year() != 2026 {
		t.Fatalf("GetRole: %+v", r)
	}
	// IAM sends documents URL-encoded; the SDK hands them over as sent.
	doc := aws.ToString(r.AssumeRolePolicyDocument)
	if !strings.HasPrefix(doc, "%7B") {
		t.Fatalf("trust policy not URL-encoded: %q", doc)
	}
	if plain, _ := url.QueryUnescape(doc); plain != trustEC2 {
		t.Fatalf("trust policy decodes to %q", plain)
	}

	_, err = c.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ghost")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")

	cr, err := c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String("new-role"), Path: aws.String("/svc/"),
		AssumeRolePolicyDocument: aws.String(url.QueryEscape(trustEC2))})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if aws.ToString(cr.Role.Arn) != "arn:aws:iam::123456789012:role/svc/new-role" || !strings.HasPrefix(aws.ToString(cr.Role.RoleId), "AROA") {
		t.Fatalf("CreateRole: %+v", cr.Role)
	}
	again, err := c.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("new-role")})
	if err != nil || aws.ToString(again.Role.AssumeRolePolicyDocument) != url.QueryEscape(trustEC2) {
		t.Fatalf("new role: %v %+v (an encoded input must be stored once-decoded)", err, again)
	}
	_, err = c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String("new-role"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	iamWantErr(t, err, "EntityAlreadyExists", 409, "Role with name new-role already exists.")
	_, err = c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(`{"Statement":[`)})
	iamWantErr(t, err, "MalformedPolicyDocument", 400, "")

	_, err = c.AttachRolePolicy(iamCtx, &iam.AttachRolePolicyInput{RoleName: aws.String("new-role"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	iamWantErr(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")
	_, err = c.AttachRolePolicy(iamCtx, &iam.AttachRolePolicyInput{RoleName: aws.String("ghost"), PolicyArn: aws.String(PolicySSMManagedInstanceCore)})
	iamWantErr(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	for range 2 { // attaching twice is a no-op, as in IAM
		if _, err := c.AttachRolePolicy(iamCtx, &iam.AttachRolePolicyInput{RoleName: aws.String("new-role"), PolicyArn: aws.String(PolicySSMManagedInstanceCore)}); err != nil {
			t.Fatalf("AttachRolePolicy: %v", err)
		}
	}
	att, err := c.ListAttachedRolePolicies(iamCtx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("new-role")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "AmazonSSMManagedInstanceCore" ||
		aws.ToString(att.AttachedPolicies[0].PolicyArn) != PolicySSMManagedInstanceCore || att.IsTruncated {
		t.Fatalf("ListAttachedRolePolicies: %v %+v", err, att)
	}
	// The attachment takes effect at once for anything that evaluates it.
	if !s.RoleAllows("new-role", "ssmmessages:CreateDataChannel", "*") {
		t.Fatal("attached AmazonSSMManagedInstanceCore does not grant ssmmessages:CreateDataChannel")
	}

	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	if _, err := c.PutRolePolicy(iamCtx, &iam.PutRolePolicyInput{RoleName: aws.String("new-role"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(inline)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	_, err = c.PutRolePolicy(iamCtx, &iam.PutRolePolicyInput{RoleName: aws.String("new-role"), PolicyName: aws.String("x"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)})
	iamWantErr(t, err, "MalformedPolicyDocument", 400, "")
	names, err := c.ListRolePolicies(iamCtx, &iam.ListRolePoliciesInput{RoleName: aws.String("new-role")})
	if err != nil || len(names.PolicyNames) != 1 || names.PolicyNames[0] != "s3" {
		t.Fatalf("ListRolePolicies: %v %+v", err, names)
	}
	rp, err := c.GetRolePolicy(iamCtx, &iam.GetRolePolicyInput{RoleName: aws.String("new-role"), PolicyName: aws.String("s3")})
	if err != nil || aws.ToString(rp.RoleName) != "new-role" || aws.ToString(rp.PolicyDocument) != url.QueryEscape(inline) {
		t.Fatalf("GetRolePolicy: %v %+v", err, rp)
	}
	_, err = c.GetRolePolicy(iamCtx, &iam.GetRolePolicyInput{RoleName: aws.String("new-role"), PolicyName: aws.String("nope")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The role policy with name nope cannot be found.")
	_, err = c.ListRolePolicies(iamCtx, &iam.ListRolePoliciesInput{RoleName: aws.String("ghost")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = c.ListAttachedRolePolicies(iamCtx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ghost")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = c.PutRolePolicy(iamCtx, &iam.PutRolePolicyInput{RoleName: aws.String("ghost"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(inline)})
	iamWantErr(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
}

func TestIAMInstanceProfiles(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")

	got, err := c.GetInstanceProfile(iamCtx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ssm-profile")})
	if err != nil {
		t.Fatalf("GetInstanceProfile: %v", err)
	}
	p := got.InstanceProfile
	if aws.ToString(p.Arn) != "arn:aws:iam::123456789012:instance-profile/ssm-profile" || len(p.Roles) != 1 ||
		aws.ToString(p.Roles[0].RoleName) != "ssm-role" || !strings.HasPrefix(aws.ToString(p.Roles[0].AssumeRolePolicyDocument), "%7B") {
		t.Fatalf("GetInstanceProfile: %+v", p)
	}
	_, err = c.GetInstanceProfile(iamCtx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ghost")})
	iamWantErr(t, err, "NoSuchEntity", 404, "Instance Profile ghost cannot be found.")

	cr, err := c.CreateInstanceProfile(iamCtx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("new-profile")})
	if err != nil || aws.ToString(cr.InstanceProfile.Arn) != "arn:aws:iam::123456789012:instance-profile/new-profile" ||
		len(cr.InstanceProfile.Roles) != 0 || !strings.HasPrefix(aws.ToString(cr.InstanceProfile.InstanceProfileId), "AIPA") {
		t.Fatalf("CreateInstanceProfile: %v %+v", err, cr)
	}
	_, err = c.CreateInstanceProfile(iamCtx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("new-profile")})
	iamWantErr(t, err, "EntityAlreadyExists", 409, "Instance Profile new-profile already exists.")

	_, err = c.AddRoleToInstanceProfile(iamCtx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("new-profile"), RoleName: aws.String("ghost")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	if _, err := c.AddRoleToInstanceProfile(iamCtx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("new-profile"), RoleName: aws.String("app-role")}); err != nil {
		t.Fatalf("AddRoleToInstanceProfile: %v", err)
	}
	got, err = c.GetInstanceProfile(iamCtx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("new-profile")})
	if err != nil || len(got.InstanceProfile.Roles) != 1 || aws.ToString(got.InstanceProfile.Roles[0].RoleName) != "app-role" {
		t.Fatalf("profile after AddRole: %v %+v", err, got)
	}
	// One role per profile: the doctor must extend that role instead.
	_, err = c.AddRoleToInstanceProfile(iamCtx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("new-profile"), RoleName: aws.String("ssm-role")})
	iamWantErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = c.AddRoleToInstanceProfile(iamCtx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ghost"), RoleName: aws.String("ssm-role")})
	iamWantErr(t, err, "NoSuchEntity", 404, "Instance Profile ghost cannot be found.")
}

func TestIAMManagedPolicies(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")

	gp, err := c.GetPolicy(iamCtx, &iam.GetPolicyInput{PolicyArn: aws.String(PolicySSMManagedInstanceCore)})
	if err != nil {
		t.Fatalf("GetPolicy: %v", err)
	}
	if aws.ToString(gp.Policy.PolicyName) != "AmazonSSMManagedInstanceCore" || aws.ToString(gp.Policy.DefaultVersionId) != "v2" ||
		aws.ToInt32(gp.Policy.AttachmentCount) != 1 || !gp.Policy.IsAttachable || aws.ToString(gp.Policy.Path) != "/" {
		t.Fatalf("GetPolicy: %+v", gp.Policy)
	}
	legacy, err := c.GetPolicy(iamCtx, &iam.GetPolicyInput{PolicyArn: aws.String(PolicyEC2RoleforSSMLegacy)})
	if err != nil || aws.ToString(legacy.Policy.Path) != "/service-role/" || aws.ToString(legacy.Policy.PolicyName) != "AmazonEC2RoleforSSM" {
		t.Fatalf("legacy GetPolicy: %v %+v", err, legacy)
	}
	_, err = c.GetPolicy(iamCtx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/none")})
	iamWantErr(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::123456789012:policy/none was not found.")

	// Every built-in document comes back URL-encoded and decodes to a
	// policy that grants what its name promises.
	wants := map[string][]string{
		PolicySSMManagedInstanceCore:   {"ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel", "ec2messages:GetMessages", "ssm:GetParameter"},
		PolicySSMManagedEC2DefaultDHMC: {"ssm:UpdateInstanceInformation", "ssmmessages:CreateDataChannel", "ec2messages:AcknowledgeMessage"},
		PolicyEC2RoleforSSMLegacy:      {"ssm:UpdateInstanceInformation", "ssmmessages:OpenControlChannel", "s3:GetObject", "s3:PutObject", "logs:PutLogEvents"},
		PolicyAdministratorAccess:      {"iam:CreateRole", "anything:AtAll"},
		PolicyReadOnlyAccess:           {"ec2:DescribeInstances", "iam:GetRole", "ssm:DescribeInstanceInformation"},
		PolicyS3ReadOnlyAccess:         {"s3:GetObject", "s3:ListBucket"},
	}
	refuse := map[string][]string{
		PolicySSMManagedInstanceCore:   {"ssm:StartSession", "s3:GetObject", "ssm:SendCommand"},
		PolicySSMManagedEC2DefaultDHMC: {"ssm:GetParameter"},
		PolicyReadOnlyAccess:           {"iam:CreateRole", "iam:SimulatePrincipalPolicy", "ssm:StartSession"},
		PolicyS3ReadOnlyAccess:         {"s3:PutObject"},
	}
	for arn, actions := range wants {
		mp, _ := AWSManagedPolicy(arn)
		pv, err := c.GetPolicyVersion(iamCtx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(mp.DefaultVersionID)})
		if err != nil {
			t.Fatalf("GetPolicyVersion %s: %v", arn, err)
		}
		enc := aws.ToString(pv.PolicyVersion.Document)
		if !strings.HasPrefix(enc, "%7B") || !pv.PolicyVersion.IsDefaultVersion {
			t.Fatalf("%s: document not URL-encoded or not default: %q", arn, enc[:20])
		}
		pol, err := iampolicy.Parse(enc)
		if err != nil {
			t.Fatalf("%s: %v", arn, err)
		}
		np := []iampolicy.NamedPolicy{{ID: arn, Type: "aws-managed", Policy: pol}}
		for _, a := range actions {
			if d := iampolicy.Evaluate(np, nil, iampolicy.Request{Action: a, Resource: "*"}).Decision; d != iampolicy.Allowed {
				t.Errorf("%s: %s is %s, want allowed", arn, a, d)
			}
		}
		for _, a := range refuse[arn] {
			if d := iampolicy.Evaluate(np, nil, iampolicy.Request{Action: a, Resource: "*"}).Decision; d != iampolicy.ImplicitDeny {
				t.Errorf("%s: %s is %s, want implicitDeny", arn, a, d)
			}
		}
	}
	_, err = c.GetPolicyVersion(iamCtx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(PolicySSMManagedInstanceCore), VersionId: aws.String("v99")})
	iamWantErr(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore version v99 does not exist or is not attachable.")
	_, err = c.GetPolicyVersion(iamCtx, &iam.GetPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/Nope"), VersionId: aws.String("v1")})
	iamWantErr(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/Nope was not found.")
}

func TestIAMUsersAndGroups(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")

	me, err := c.GetUser(iamCtx, &iam.GetUserInput{})
	if err != nil || aws.ToString(me.User.UserName) != "admin" || aws.ToString(me.User.Arn) != "arn:aws:iam::123456789012:user/admin" {
		t.Fatalf("GetUser (caller): %v %+v", err, me)
	}
	other, err := c.GetUser(iamCtx, &iam.GetUserInput{UserName: aws.String("sshuser")})
	if err != nil || aws.ToString(other.User.Arn) != "arn:aws:iam::123456789012:user/people/sshuser" || aws.ToString(other.User.Path) != "/people/" ||
		len(other.User.Tags) != 1 || aws.ToString(other.User.Tags[0].Value) != "ops" {
		t.Fatalf("GetUser sshuser: %v %+v", err, other)
	}
	bounded, err := c.GetUser(iamCtx, &iam.GetUserInput{UserName: aws.String("bounded")})
	if err != nil || bounded.User.PermissionsBoundary == nil || aws.ToString(bounded.User.PermissionsBoundary.PermissionsBoundaryArn) != PolicyReadOnlyAccess {
		t.Fatalf("GetUser bounded: %v %+v", err, bounded)
	}
	_, err = c.GetUser(iamCtx, &iam.GetUserInput{UserName: aws.String("ghost")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")

	att, err := c.ListAttachedUserPolicies(iamCtx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("admin")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != PolicyAdministratorAccess {
		t.Fatalf("ListAttachedUserPolicies: %v %+v", err, att)
	}
	none, err := c.ListAttachedUserPolicies(iamCtx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("nobody")})
	if err != nil || len(none.AttachedPolicies) != 0 || none.IsTruncated {
		t.Fatalf("ListAttachedUserPolicies nobody: %v %+v", err, none)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:DescribeSessions","Resource":"*"}]}`
	if _, err := c.PutUserPolicy(iamCtx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("sessions"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatalf("PutUserPolicy: %v", err)
	}
	_, err = c.PutUserPolicy(iamCtx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("bad"), PolicyDocument: aws.String("not json")})
	iamWantErr(t, err, "MalformedPolicyDocument", 400, "")
	_, err = c.PutUserPolicy(iamCtx, &iam.PutUserPolicyInput{UserName: aws.String("ghost"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
	iamWantErr(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	up, err := c.ListUserPolicies(iamCtx, &iam.ListUserPoliciesInput{UserName: aws.String("nobody")})
	if err != nil || len(up.PolicyNames) != 1 || up.PolicyNames[0] != "sessions" {
		t.Fatalf("ListUserPolicies: %v %+v", err, up)
	}
	gup, err := c.GetUserPolicy(iamCtx, &iam.GetUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("sessions")})
	if err != nil || aws.ToString(gup.PolicyDocument) != url.QueryEscape(doc) || aws.ToString(gup.UserName) != "nobody" {
		t.Fatalf("GetUserPolicy: %v %+v", err, gup)
	}
	_, err = c.GetUserPolicy(iamCtx, &iam.GetUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("nope")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The user policy with name nope cannot be found.")

	groups, err := c.ListGroupsForUser(iamCtx, &iam.ListGroupsForUserInput{UserName: aws.String("sshuser")})
	if err != nil || len(groups.Groups) != 1 || aws.ToString(groups.Groups[0].GroupName) != "devs" ||
		aws.ToString(groups.Groups[0].Arn) != "arn:aws:iam::123456789012:group/devs" {
		t.Fatalf("ListGroupsForUser: %v %+v", err, groups)
	}
	_, err = c.ListGroupsForUser(iamCtx, &iam.ListGroupsForUserInput{UserName: aws.String("ghost")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	gatt, err := c.ListAttachedGroupPolicies(iamCtx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs")})
	if err != nil || len(gatt.AttachedPolicies) != 1 || aws.ToString(gatt.AttachedPolicies[0].PolicyName) != "AmazonS3ReadOnlyAccess" {
		t.Fatalf("ListAttachedGroupPolicies: %v %+v", err, gatt)
	}
	gpol, err := c.ListGroupPolicies(iamCtx, &iam.ListGroupPoliciesInput{GroupName: aws.String("devs")})
	if err != nil || len(gpol.PolicyNames) != 1 || gpol.PolicyNames[0] != "self-read" {
		t.Fatalf("ListGroupPolicies: %v %+v", err, gpol)
	}
	ggp, err := c.GetGroupPolicy(iamCtx, &iam.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("self-read")})
	if err != nil || aws.ToString(ggp.GroupName) != "devs" || !strings.Contains(aws.ToString(ggp.PolicyDocument), "%24%7Baws%3Ausername%7D") {
		t.Fatalf("GetGroupPolicy: %v %+v", err, ggp)
	}
	_, err = c.GetGroupPolicy(iamCtx, &iam.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("nope")})
	iamWantErr(t, err, "NoSuchEntity", 404, "The group policy with name nope cannot be found.")
	for _, call := range []func() error{
		func() error {
			_, err := c.ListGroupPolicies(iamCtx, &iam.ListGroupPoliciesInput{GroupName: aws.String("ghost")})
			return err
		},
		func() error {
			_, err := c.ListAttachedGroupPolicies(iamCtx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("ghost")})
			return err
		},
		func() error {
			_, err := c.GetGroupPolicy(iamCtx, &iam.GetGroupPolicyInput{GroupName: aws.String("ghost"), PolicyName: aws.String("p")})
			return err
		},
	} {
		iamWantErr(t, call(), "NoSuchEntity", 404, "The group with name ghost cannot be found.")
	}
}

func TestIAMPagination(t *testing.T) {
	st := iamFixture(t)
	r := st.Roles["app-role"]
	for _, n := range []string{"p1", "p2", "p3", "p4"} {
		r.InlinePolicies[n] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	}
	r.AttachedPolicies = []string{PolicyS3ReadOnlyAccess, PolicyReadOnlyAccess, PolicySSMManagedInstanceCore}
	s := startSim(t, st, Options{})
	c := iamAs(s, "admin")

	first, err := c.ListRolePolicies(iamCtx, &iam.ListRolePoliciesInput{RoleName: aws.String("app-role"), MaxItems: aws.Int32(2)})
	if err != nil || !first.IsTruncated || aws.ToString(first.Marker) == "" || len(first.PolicyNames) != 2 {
		t.Fatalf("first page: %v %+v", err, first)
	}
	var names []string
	pg := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String("app-role"), MaxItems: aws.Int32(2)})
	pages := 0
	for pg.HasMorePages() {
		out, err := pg.NextPage(iamCtx)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		names = append(names, out.PolicyNames...)
	}
	if pages != 3 || strings.Join(names, ",") != "logs,p1,p2,p3,p4" {
		t.Fatalf("ListRolePolicies over %d pages: %v", pages, names)
	}
	var arns []string
	apg := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app-role"), MaxItems: aws.Int32(1)})
	for apg.HasMorePages() {
		out, err := apg.NextPage(iamCtx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out.AttachedPolicies {
			arns = append(arns, aws.ToString(p.PolicyArn))
		}
	}
	if strings.Join(arns, ",") != PolicyS3ReadOnlyAccess+","+PolicyReadOnlyAccess+","+PolicySSMManagedInstanceCore {
		t.Fatalf("ListAttachedRolePolicies pages: %v", arns)
	}
	_, err = c.ListRolePolicies(iamCtx, &iam.ListRolePoliciesInput{RoleName: aws.String("app-role"), Marker: aws.String("garbage")})
	iamWantErr(t, err, "InvalidInput", 400, "Invalid Marker.")
	// A marker is bound to its operation.
	_, err = c.ListUserPolicies(iamCtx, &iam.ListUserPoliciesInput{UserName: aws.String("admin"), Marker: first.Marker})
	iamWantErr(t, err, "InvalidInput", 400, "Invalid Marker.")
}
