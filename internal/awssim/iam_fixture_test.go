package awssim

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

const iamTestAccount = "123456789012"

const trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// iamFixture is an account with one principal per authorization case:
// admin (everything), nobody (no policy), denied (admin with an explicit
// deny on iam:GetRole), bounded (admin within a ReadOnlyAccess boundary),
// sshuser (the reference SSH policy, in group devs), and a role session
// on "reader" (ReadOnlyAccess).
func iamFixture(t testing.TB) *State {
	t.Helper()
	ref, err := os.ReadFile("../iampolicy/testdata/ssh-reference-policy.json")
	if err != nil {
		t.Fatalf("read reference policy: %v", err)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := &State{}
	st.Normalize()
	st.Users["admin"] = &User{Name: "admin", ID: "AIDAADMIN0000000001", AttachedPolicies: []string{PolicyAdministratorAccess}, CreatedAt: created}
	st.Users["nobody"] = &User{Name: "nobody", ID: "AIDANOBODY000000001", CreatedAt: created}
	st.Users["denied"] = &User{Name: "denied", ID: "AIDADENIED000000001", AttachedPolicies: []string{PolicyAdministratorAccess},
		InlinePolicies: map[string]string{"no-getrole": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:GetRole","Resource":"*"}]}`}}
	st.Users["bounded"] = &User{Name: "bounded", ID: "AIDABOUNDED00000001", AttachedPolicies: []string{PolicyAdministratorAccess}, PermissionBoundary: PolicyReadOnlyAccess}
	st.Users["sshuser"] = &User{Name: "sshuser", ID: "AIDASSHUSER00000001", Path: "/people/", Groups: []string{"devs"},
		InlinePolicies: map[string]string{"ssh": string(ref)}, Tags: []Tag{{Key: "team", Value: "ops"}}, CreatedAt: created}
	st.Groups["devs"] = &Group{Name: "devs", ID: "AGPADEVS00000000001", AttachedPolicies: []string{PolicyS3ReadOnlyAccess},
		InlinePolicies: map[string]string{"self-read": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListGroupsForUser"],"Resource":"arn:aws:iam::*:user/*${aws:username}","Condition":{"StringEquals":{"aws:PrincipalTag/team":"ops"}}}]}`},
		CreatedAt:      created}
	st.Roles["ssm-role"] = &Role{Name: "ssm-role", ID: "AROASSMROLE00000001", AssumeRolePolicy: trustEC2, AttachedPolicies: []string{PolicySSMManagedInstanceCore}, CreatedAt: created, MaxSessionDuration: 3600}
	st.Roles["legacy-role"] = &Role{Name: "legacy-role", ID: "AROALEGACY000000001", AssumeRolePolicy: trustEC2, AttachedPolicies: []string{PolicyEC2RoleforSSMLegacy}}
	st.Roles["app-role"] = &Role{Name: "app-role", ID: "AROAAPPROLE00000001", AssumeRolePolicy: trustEC2, AttachedPolicies: []string{PolicyS3ReadOnlyAccess},
		InlinePolicies: map[string]string{"logs": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`}}
	st.Roles["reader"] = &Role{Name: "reader", ID: "AROAREADER000000001", AssumeRolePolicy: trustEC2, AttachedPolicies: []string{PolicyReadOnlyAccess}}
	st.InstanceProfile["ssm-profile"] = &InstanceProfile{Name: "ssm-profile", ID: "AIPASSMPROFILE00001", Roles: []string{"ssm-role"}, CreatedAt: created}
	for _, u := range []string{"admin", "nobody", "denied", "bounded", "sshuser"} {
		st.AccessKeys["AKIA"+u] = &AccessKey{ID: "AKIA" + u, Secret: "secret-" + u, UserName: u, Status: "Active"}
	}
	st.AccessKeys["ASIAREADER"] = &AccessKey{ID: "ASIAREADER", Secret: "secret-reader", SessionToken: "token-reader",
		RoleName: "reader", SessionName: "sess", Status: "Active", Expiration: time.Now().Add(time.Hour)}
	return st
}

// iamAs is an IAM client signed with one of the fixture's keys.
func iamAs(s *Sim, who string) *iam.Client {
	if who == "reader" {
		return iam.NewFromConfig(awsConfig(s, "ASIAREADER", "secret-reader", "token-reader"))
	}
	return iam.NewFromConfig(awsConfig(s, "AKIA"+who, "secret-"+who, ""))
}

// wantAPIError checks an error's code, HTTP status and message.
func iamWantErr(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("want %s %q\n got %s %q", code, msg, ae.ErrorCode(), ae.ErrorMessage())
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("%s: want HTTP %d, got %v", code, status, err)
	}
}

var iamCtx = context.Background()
