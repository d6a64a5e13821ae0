package awssim

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2instanceconnect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// TestAuthzIAMAccessDeniedEveryOp: a user without policies gets IAM's
// AccessDenied, with the action and IAM's resource wording, from every IAM
// operation, and nothing changes.
func TestAuthzIAMAccessDeniedEveryOp(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "nobody")
	doc := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	cases := []struct {
		action, on string
		call       func() error
	}{
		{"iam:GetInstanceProfile", "instance profile ssm-profile", func() error {
			_, err := c.GetInstanceProfile(iamCtx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ssm-profile")})
			return err
		}},
		{"iam:CreateInstanceProfile", "instance profile p2", func() error {
			_, err := c.CreateInstanceProfile(iamCtx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p2")})
			return err
		}},
		{"iam:AddRoleToInstanceProfile", "instance profile ssm-profile", func() error {
			_, err := c.AddRoleToInstanceProfile(iamCtx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ssm-profile"), RoleName: aws.String("app-role")})
			return err
		}},
		{"iam:GetRole", "role ssm-role", func() error {
			_, err := c.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")})
			return err
		}},
		{"iam:CreateRole", "role r2", func() error {
			_, err := c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(trustEC2)})
			return err
		}},
		{"iam:AttachRolePolicy", "role app-role", func() error {
			_, err := c.AttachRolePolicy(iamCtx, &iam.AttachRolePolicyInput{RoleName: aws.String("app-role"), PolicyArn: aws.String(PolicyAdministratorAccess)})
			return err
		}},
		{"iam:ListAttachedRolePolicies", "role ssm-role", func() error {
			_, err := c.ListAttachedRolePolicies(iamCtx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ssm-role")})
			return err
		}},
		{"iam:ListRolePolicies", "role ssm-role", func() error {
			_, err := c.ListRolePolicies(iamCtx, &iam.ListRolePoliciesInput{RoleName: aws.String("ssm-role")})
			return err
		}},
		{"iam:GetRolePolicy", "role app-role", func() error {
			_, err := c.GetRolePolicy(iamCtx, &iam.GetRolePolicyInput{RoleName: aws.String("app-role"), PolicyName: aws.String("logs")})
			return err
		}},
		{"iam:PutRolePolicy", "role app-role", func() error {
			_, err := c.PutRolePolicy(iamCtx, &iam.PutRolePolicyInput{RoleName: aws.String("app-role"), PolicyName: aws.String("x"), PolicyDocument: doc})
			return err
		}},
		{"iam:GetPolicy", PolicySSMManagedInstanceCore, func() error {
			_, err := c.GetPolicy(iamCtx, &iam.GetPolicyInput{PolicyArn: aws.String(PolicySSMManagedInstanceCore)})
			return err
		}},
		{"iam:GetPolicyVersion", PolicySSMManagedInstanceCore, func() error {
			_, err := c.GetPolicyVersion(iamCtx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(PolicySSMManagedInstanceCore), VersionId: aws.String("v2")})
			return err
		}},
		{"iam:GetUser", "user nobody", func() error {
			_, err := c.GetUser(iamCtx, &iam.GetUserInput{})
			return err
		}},
		{"iam:ListAttachedUserPolicies", "user nobody", func() error {
			_, err := c.ListAttachedUserPolicies(iamCtx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("nobody")})
			return err
		}},
		{"iam:ListUserPolicies", "user nobody", func() error {
			_, err := c.ListUserPolicies(iamCtx, &iam.ListUserPoliciesInput{UserName: aws.String("nobody")})
			return err
		}},
		{"iam:GetUserPolicy", "user sshuser", func() error {
			_, err := c.GetUserPolicy(iamCtx, &iam.GetUserPolicyInput{UserName: aws.String("sshuser"), PolicyName: aws.String("ssh")})
			return err
		}},
		{"iam:PutUserPolicy", "user nobody", func() error {
			_, err := c.PutUserPolicy(iamCtx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("x"), PolicyDocument: doc})
			return err
		}},
		{"iam:ListGroupsForUser", "user nobody", func() error {
			_, err := c.ListGroupsForUser(iamCtx, &iam.ListGroupsForUserInput{UserName: aws.String("nobody")})
			return err
		}},
		{"iam:ListAttachedGroupPolicies", "group devs", func() error {
			_, err := c.ListAttachedGroupPolicies(iamCtx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs")})
			return err
		}},
		{"iam:ListGroupPolicies", "group devs", func() error {
			_, err := c.ListGroupPolicies(iamCtx, &iam.ListGroupPoliciesInput{GroupName: aws.String("devs")})
			return err
		}},
		{"iam:GetGroupPolicy", "group devs", func() error {
			_, err := c.GetGroupPolicy(iamCtx, &iam.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("self-read")})
			return err
		}},
		{"iam:SimulatePrincipalPolicy", "user sshuser", func() error {
			_, err := c.SimulatePrincipalPolicy(iamCtx, &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/people/sshuser"), ActionNames: []string{"ssm:StartSession"}})
			return err
		}},
	}
	for _, tc := range cases {
		want := "User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: " + tc.action +
			" on resource: " + tc.on + " because no identity-based policy allows the " + tc.action + " action"
		iamWantErr(t, tc.call(), "AccessDenied", 403, want)
	}
	if n := len(s.Operations()); n < len(cases) {
		t.Fatalf("only %d operations registered", n)
	}
	s.WithState(func(st *State) {
		if _, ok := st.Roles["r2"]; ok || len(st.InstanceProfile["ssm-profile"].Roles) != 1 || st.Users["nobody"].InlinePolicies != nil {
			t.Fatal("a denied call changed the account")
		}
	})
}

func TestAuthzDenyReasons(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})

	_, err := iamAs(s, "denied").GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")})
	iamWantErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::123456789012:user/denied is not authorized to perform: iam:GetRole on resource: role ssm-role with an explicit deny in an identity-based policy")
	if _, err := iamAs(s, "denied").GetInstanceProfile(iamCtx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ssm-profile")}); err != nil {
		t.Fatalf("the deny must only cover iam:GetRole: %v", err)
	}

	// The boundary (ReadOnlyAccess) lets Get* through and stops writes
	// that the identity policy (AdministratorAccess) would allow.
	b := iamAs(s, "bounded")
	if _, err := b.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")}); err != nil {
		t.Fatalf("bounded GetRole: %v", err)
	}
	_, err = b.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	iamWantErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::123456789012:user/bounded is not authorized to perform: iam:CreateRole on resource: role x because no permissions boundary allows the iam:CreateRole action")

	// A boundary Deny is reported as such.
	s.WithState(func(st *State) {
		st.Policies["arn:aws:iam::123456789012:policy/fence"] = &ManagedPolicy{Arn: "arn:aws:iam::123456789012:policy/fence", Name: "fence", DefaultVersionID: "v1",
			Versions: []PolicyVersion{{VersionID: "v1", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:GetRole","Resource":"*"}]}`}}}
		st.Users["bounded"].PermissionBoundary = "arn:aws:iam::123456789012:policy/fence"
	})
	_, err = b.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")})
	iamWantErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::123456789012:user/bounded is not authorized to perform: iam:GetRole on resource: role ssm-role with an explicit deny in a permissions boundary")
}

// TestAuthzMutationsApplyAtOnce: a policy written through the API governs
// the very next call.
func TestAuthzMutationsApplyAtOnce(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	nobody := iamAs(s, "nobody")
	if _, err := nobody.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("before: %v", err)
	}
	grant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/ssm-*"}]}`
	if _, err := iamAs(s, "admin").PutUserPolicy(iamCtx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("g"), PolicyDocument: aws.String(grant)}); err != nil {
		t.Fatal(err)
	}
	if _, err := nobody.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")}); err != nil {
		t.Fatalf("after grant: %v", err)
	}
	if _, err := nobody.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("app-role")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("grant is scoped to ssm-*: %v", err)
	}
}

// TestAuthzAssumedRole: a role session is authorized by the role's
// policies, and named by its STS ARN in errors.
func TestAuthzAssumedRole(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "reader")
	if _, err := c.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("ssm-role")}); err != nil {
		t.Fatalf("reader GetRole: %v", err)
	}
	_, err := c.CreateInstanceProfile(iamCtx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p")})
	iamWantErr(t, err, "AccessDenied", 403, "User: arn:aws:sts::123456789012:assumed-role/reader/sess is not authorized to perform: iam:CreateInstanceProfile on resource: instance profile p because no identity-based policy allows the iam:CreateInstanceProfile action")
	_, err = c.GetUser(iamCtx, &iam.GetUserInput{})
	iamWantErr(t, err, "ValidationError", 400, "Must specify userName when calling with non-User credentials")
}

// TestAuthzPrincipalContext: policy variables and global keys come from
// the caller (aws:username, aws:PrincipalTag through a group policy).
func TestAuthzPrincipalContext(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "sshuser")
	if _, err := c.GetUser(iamCtx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("self GetUser through group policy: %v", err)
	}
	if _, err := c.ListGroupsForUser(iamCtx, &iam.ListGroupsForUserInput{UserName: aws.String("sshuser")}); err != nil {
		t.Fatalf("self ListGroupsForUser: %v", err)
	}
	_, err := c.GetUser(iamCtx, &iam.GetUserInput{UserName: aws.String("admin")})
	iamWantErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::123456789012:user/people/sshuser is not authorized to perform: iam:GetUser on resource: user admin because no identity-based policy allows the iam:GetUser action")
	s.WithState(func(st *State) { st.Users["sshuser"].Tags = []Tag{{Key: "team", Value: "dev"}} })
	if _, err := c.GetUser(iamCtx, &iam.GetUserInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("aws:PrincipalTag/team no longer matches: %v", err)
	}
}

// TestAuthzOtherServices: the AccessDenied of each protocol, through each
// service's real client, with stand-in handlers that authorize as the real
// ones do.
func TestAuthzOtherServices(t *testing.T) {
	st := iamFixture(t)
	st.Users["nobody"].InlinePolicies = map[string]string{"ssh": `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ssm:*:*:document/AWS-StartSSHSession","Condition":{"BoolIfExists":{"ssm:SessionDocumentAccessCheck":"true"}}},
		{"Effect":"Deny","Action":"kms:*","Resource":"*"}]}`}
	s, err := New(st, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	inst := "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"
	s.handle("ec2", "StartInstances", func(c *Call) (any, error) {
		return nil, s.authorize(c, "ec2:StartInstances", inst, nil)
	})
	s.handle("ec2", "DescribeRegions", func(c *Call) (any, error) {
		return nil, s.authorize(c, "ec2:DescribeRegions", "*", nil)
	})
	s.handle("ssm", "StartSession", func(c *Call) (any, error) {
		doc := "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession"
		if err := s.authorize(c, "ssm:StartSession", doc, map[string][]string{"ssm:SessionDocumentAccessCheck": {"true"}}); err != nil {
			return nil, err
		}
		return nil, s.authorize(c, "ssm:StartSession", inst, nil)
	})
	s.handle("ec2-instance-connect", "SendSSHPublicKey", func(c *Call) (any, error) {
		return nil, s.authorize(c, "ec2-instance-connect:SendSSHPublicKey", inst, map[string][]string{"ec2:osuser": {"ec2-user"}})
	})
	s.handle("kms", "GenerateDataKey", func(c *Call) (any, error) {
		return nil, s.authorize(c, "kms:GenerateDataKey", "arn:aws:kms:us-east-1:123456789012:key/k1", nil)
	})
	s.handle("sts", "AssumeRole", func(c *Call) (any, error) {
		return nil, s.authorize(c, "sts:AssumeRole", "arn:aws:iam::123456789012:role/ssm-role", nil)
	})
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := awsConfig(s, "AKIAnobody", "secret-nobody", "")
	who := "User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: "

	_, err = ec2.NewFromConfig(cfg).StartInstances(iamCtx, &ec2.StartInstancesInput{InstanceIds: []string{"i-0abc"}})
	iamWantErr(t, err, "UnauthorizedOperation", 403, "You are not authorized to perform this operation. "+who+"ec2:StartInstances on resource: "+inst+" because no identity-based policy allows the ec2:StartInstances action")
	_, err = ec2.NewFromConfig(cfg).DescribeRegions(iamCtx, &ec2.DescribeRegionsInput{})
	iamWantErr(t, err, "UnauthorizedOperation", 403, "You are not authorized to perform this operation. "+who+"ec2:DescribeRegions because no identity-based policy allows the ec2:DescribeRegions action")
	// The document is granted (with the access check); the instance is not.
	_, err = ssm.NewFromConfig(cfg).StartSession(iamCtx, &ssm.StartSessionInput{Target: aws.String("i-0abc"), DocumentName: aws.String("AWS-StartSSHSession")})
	iamWantErr(t, err, "AccessDeniedException", 400, who+"ssm:StartSession on resource: "+inst+" because no identity-based policy allows the ssm:StartSession action")
	_, err = ec2instanceconnect.NewFromConfig(cfg).SendSSHPublicKey(iamCtx, &ec2instanceconnect.SendSSHPublicKeyInput{
		InstanceId: aws.String("i-0abc"), InstanceOSUser: aws.String("ec2-user"), SSHPublicKey: aws.String("ssh-ed25519 AAAA")})
	iamWantErr(t, err, "AccessDeniedException", 403, who+"ec2-instance-connect:SendSSHPublicKey on resource: "+inst+" because no identity-based policy allows the ec2-instance-connect:SendSSHPublicKey action")
	_, err = kms.NewFromConfig(cfg).GenerateDataKey(iamCtx, &kms.GenerateDataKeyInput{KeyId: aws.String("k1"), NumberOfBytes: aws.Int32(32)})
	iamWantErr(t, err, "AccessDeniedException", 400, who+"kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:123456789012:key/k1 with an explicit deny in an identity-based policy")
	_, err = sts.NewFromConfig(cfg).AssumeRole(iamCtx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/ssm-role"), RoleSessionName: aws.String("x")})
	iamWantErr(t, err, "AccessDenied", 403, who+"sts:AssumeRole on resource: arn:aws:iam::123456789012:role/ssm-role because no identity-based policy allows the sts:AssumeRole action")

	// The admin passes every one of them.
	admin := awsConfig(s, "AKIAadmin", "secret-admin", "")
	if _, err := ssm.NewFromConfig(admin).StartSession(iamCtx, &ssm.StartSessionInput{Target: aws.String("i-0abc")}); err != nil {
		t.Fatalf("admin StartSession: %v", err)
	}
	if _, err := ec2.NewFromConfig(admin).StartInstances(iamCtx, &ec2.StartInstancesInput{InstanceIds: []string{"i-0abc"}}); err != nil {
		t.Fatalf("admin StartInstances: %v", err)
	}
}

// TestAuthzEvaluateAndRoleAllows: the simulator's own entry points.
func TestAuthzEvaluateAndRoleAllows(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	for _, tc := range []struct {
		role, action string
		want         bool
	}{
		{"ssm-role", "ssm:UpdateInstanceInformation", true},
		{"ssm-role", "ssmmessages:OpenDataChannel", true},
		{"ssm-role", "ec2messages:GetMessages", true},
		{"legacy-role", "ssmmessages:CreateControlChannel", true},
		{"app-role", "ssm:UpdateInstanceInformation", false},
		{"app-role", "logs:PutLogEvents", true},
		{"ghost", "ssm:UpdateInstanceInformation", false},
	} {
		if got := s.RoleAllows(tc.role, tc.action, "*"); got != tc.want {
			t.Errorf("RoleAllows(%s, %s) = %v", tc.role, tc.action, got)
		}
	}
	res, err := s.Evaluate("arn:aws:sts::123456789012:assumed-role/ssm-role/i-0abc", "ssm:UpdateInstanceInformation", "*", nil)
	if err != nil || res.Decision != iampolicy.Allowed || len(res.Matched) != 1 || res.Matched[0].PolicyID != "AmazonSSMManagedInstanceCore" || res.Matched[0].PolicyType != "aws-managed" {
		t.Fatalf("Evaluate assumed role: %v %+v", err, res)
	}
	ctx := iampolicy.Context{}
	ctx.Set("aws:username", "sshuser")
	res, err = s.Evaluate("arn:aws:iam::123456789012:user/people/sshuser", "ssm:TerminateSession", "arn:aws:ssm:us-east-1:123456789012:session/sshuser-0a1b", ctx)
	if err != nil || res.Decision != iampolicy.Allowed || res.Matched[0].PolicyID != "ssh" || res.Matched[0].PolicyType != "user" {
		t.Fatalf("Evaluate user: %v %+v", err, res)
	}
	res, err = s.Evaluate("arn:aws:iam::123456789012:group/devs", "s3:GetObject", "arn:aws:s3:::b/k", nil)
	if err != nil || res.Decision != iampolicy.Allowed || res.Matched[0].PolicyID != "AmazonS3ReadOnlyAccess" {
		t.Fatalf("Evaluate group: %v %+v", err, res)
	}
	if _, err := s.Evaluate("arn:aws:iam::123456789012:user/ghost", "s3:GetObject", "*", nil); apiCode(err) != "" && !strings.Contains(err.Error(), "ghost cannot be found") {
		t.Fatalf("Evaluate unknown user: %v", err)
	} else if err == nil {
		t.Fatal("Evaluate unknown user: no error")
	}
}
