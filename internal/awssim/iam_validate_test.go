package awssim

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestIAMNameValidation: names and paths IAM refuses are refused with
// IAM's ValidationError (400) before anything is created or looked up;
// the simulator used to accept them. Through the real SDK client.
func TestIAMNameValidation(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")
	trust := aws.String(url.QueryEscape(trustEC2))
	doc := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	pat := "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
	long65, long129 := strings.Repeat("r", 65), strings.Repeat("p", 129)
	injected := "x'\nHost *\n  ProxyCommand touch /tmp/pwn\n#"

	for _, tc := range []struct {
		name string
		call func() error
		msg  string
	}{
		{"CreateRole space", func() error {
			_, err := c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String("bad name"), AssumeRolePolicyDocument: trust})
			return err
		}, "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: " + pat},
		{"CreateRole 65", func() error {
			_, err := c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String(long65), AssumeRolePolicyDocument: trust})
			return err
		}, "1 validation error detected: Value '" + long65 + "' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"CreateRole path", func() error {
			_, err := c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String("ok-role"), Path: aws.String("svc"), AssumeRolePolicyDocument: trust})
			return err
		}, "1 validation error detected: Value 'svc' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"},
		{"CreateRole path with space and bad name", func() error {
			_, err := c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String("a/b"), Path: aws.String("/a b/"), AssumeRolePolicyDocument: trust})
			return err
		}, "2 validation errors detected: Value '/a b/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); " +
			"Value 'a/b' at 'roleName' failed to satisfy constraint: " + pat},
		{"CreateInstanceProfile injected", func() error {
			_, err := c.CreateInstanceProfile(iamCtx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(injected)})
			return err
		}, "1 validation error detected: Value '" + injected + "' at 'instanceProfileName' failed to satisfy constraint: " + pat},
		{"CreateInstanceProfile 129", func() error {
			_, err := c.CreateInstanceProfile(iamCtx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(long129)})
			return err
		}, "1 validation error detected: Value '" + long129 + "' at 'instanceProfileName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"AddRoleToInstanceProfile", func() error {
			_, err := c.AddRoleToInstanceProfile(iamCtx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ssm-profile"), RoleName: aws.String("ssm role")})
			return err
		}, "1 validation error detected: Value 'ssm role' at 'roleName' failed to satisfy constraint: " + pat},
		{"AttachRolePolicy", func() error {
			_, err := c.AttachRolePolicy(iamCtx, &iam.AttachRolePolicyInput{RoleName: aws.String("rôle"), PolicyArn: aws.String(PolicySSMManagedInstanceCore)})
			return err
		}, "1 validation error detected: Value 'rôle' at 'roleName' failed to satisfy constraint: " + pat},
		{"PutRolePolicy policy name", func() error {
			_, err := c.PutRolePolicy(iamCtx, &iam.PutRolePolicyInput{RoleName: aws.String("ssm-role"), PolicyName: aws.String("my policy"), PolicyDocument: doc})
			return err
		}, "1 validation error detected: Value 'my policy' at 'policyName' failed to satisfy constraint: " + pat},
		{"PutUserPolicy user", func() error {
			_, err := c.PutUserPolicy(iamCtx, &iam.PutUserPolicyInput{UserName: aws.String("carol;rm"), PolicyName: aws.String("p"), PolicyDocument: doc})
			return err
		}, "1 validation error detected: Value 'carol;rm' at 'userName' failed to satisfy constraint: " + pat},
		{"PutUserPolicy policy 129", func() error {
			_, err := c.PutUserPolicy(iamCtx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String(long129), PolicyDocument: doc})
			return err
		}, "1 validation error detected: Value '" + long129 + "' at 'policyName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"PutGroupPolicy group", func() error {
			_, err := c.PutGroupPolicy(iamCtx, &iam.PutGroupPolicyInput{GroupName: aws.String("dev ops"), PolicyName: aws.String("p"), PolicyDocument: doc})
			return err
		}, "1 validation error detected: Value 'dev ops' at 'groupName' failed to satisfy constraint: " + pat},
		{"GetRole", func() error {
			_, err := c.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String("x*")})
			return err
		}, "1 validation error detected: Value 'x*' at 'roleName' failed to satisfy constraint: " + pat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iamWantErr(t, tc.call(), "ValidationError", 400, tc.msg)
		})
	}
	if s.MutatingCalls() == 0 {
		t.Fatal("no mutating call counted: the requests did not reach the simulator")
	}
	s.WithState(func(st *State) {
		for name := range st.Roles {
			if name != "ssm-role" && name != "legacy-role" && name != "app-role" && name != "reader" {
				t.Errorf("role %q was created", name)
			}
		}
		if len(st.InstanceProfile) != 1 || len(st.Roles["ssm-role"].InlinePolicies) != 0 || len(st.Users["nobody"].InlinePolicies) != 0 {
			t.Errorf("something was created: %d profiles, inline %v %v", len(st.InstanceProfile), st.Roles["ssm-role"].InlinePolicies, st.Users["nobody"].InlinePolicies)
		}
	})

	// The limits themselves pass: 64-character roles, 128-character
	// profiles, every allowed punctuation mark, nested paths.
	okRole := strings.Repeat("a", 60) + "+=,."
	if _, err := c.CreateRole(iamCtx, &iam.CreateRoleInput{RoleName: aws.String(okRole), Path: aws.String("/a/b-c/"), AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatalf("CreateRole %q: %v", okRole, err)
	}
	okProfile := strings.Repeat("b", 126) + "@_"
	if _, err := c.CreateInstanceProfile(iamCtx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(okProfile), Path: aws.String("/")}); err != nil {
		t.Fatalf("CreateInstanceProfile %q: %v", okProfile, err)
	}
	if _, err := c.PutRolePolicy(iamCtx, &iam.PutRolePolicyInput{RoleName: aws.String(okRole), PolicyName: aws.String("a-b_c.d@e"), PolicyDocument: doc}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
}
