package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestE2EPreflightAgreesWithCheck: for a policy that scopes sessions by
// an instance tag, and for one that forgets the AWS-StartSSHSession
// document, `ssmdoctor ssh`'s preflight and `ssmdoctor check` give the
// same StartSession decision. The simulator and the doctor share the IAM
// evaluator, so the expected decisions are written here by hand, from
// the policies: allowed only on Team=blue, and never without the
// document. Every run starts with an empty preflight cache.
func TestE2EPreflightAgreesWithCheck(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	const reads = `{"Effect":"Allow","Action":["ec2:Describe*","ssm:Describe*","ssm:GetConnectionStatus","ssm:GetServiceSetting","ssm:GetDocument","ssm:TerminateSession","ssm:ResumeSession","sts:GetCallerIdentity","iam:SimulatePrincipalPolicy","iam:Get*","iam:List*","kms:GenerateDataKey"],"Resource":"*"}`
	const tagScoped = `{"Version":"2012-10-17","Statement":[` + reads + `,
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/Team":"blue"}}},
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ssm:*::document/AWS-StartSSHSession"}]}`
	const noDocument = `{"Version":"2012-10-17","Statement":[` + reads + `,
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*"}]}`
	keys := map[string]string{"tagged": "AKIATAGSCOPED0000001", "nodoc": "AKIANODOCUMENT000001"}
	e.sim.WithState(func(st *awssim.State) {
		st.Users["tagged"] = &awssim.User{Name: "tagged", ID: "AIDATAGGED00000001", InlinePolicies: map[string]string{"p": tagScoped}}
		st.Users["nodoc"] = &awssim.User{Name: "nodoc", ID: "AIDANODOC000000001", InlinePolicies: map[string]string{"p": noDocument}}
		for user, id := range keys {
			st.AccessKeys[id] = &awssim.AccessKey{ID: id, Secret: e2eSecret, UserName: user, Status: "Active"}
		}
	})
	setTeam := func(team string) {
		e.sim.WithState(func(st *awssim.State) {
			st.Instances[e2eID].Tags = []awssim.Tag{{Key: "Name", Value: "web-a"}, {Key: "Team", Value: team}}
		})
	}
	for _, tc := range []struct {
		user, team string
		allowed    bool
	}{
		{"tagged", "blue", true},
		{"tagged", "red", false},
		{"nodoc", "blue", false},
	} {
		setTeam(tc.team)
		env := []string{"AWS_ACCESS_KEY_ID=" + keys[tc.user], "XDG_CACHE_HOME=" + t.TempDir()}

		r := e.run(nil, env, "check", e2eID, "--format", "json", "--deterministic")
		var rep struct {
			Targets []struct {
				Checks []struct{ ID, Status, Message string }
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Targets) != 1 {
			t.Fatalf("%s on Team=%s: check output: %v\n%s\n%s", tc.user, tc.team, err, r.stdout, r.stderr)
		}
		checkSays := ""
		for _, c := range rep.Targets[0].Checks {
			if c.ID == "caller-start-session" {
				checkSays = c.Status
			}
		}
		if want := map[bool]string{true: "pass", false: "fail"}[tc.allowed]; checkSays != want {
			t.Errorf("%s on Team=%s: check's caller-start-session is %q, want %q", tc.user, tc.team, checkSays, want)
		}

		r = e.run(nil, env, append(append([]string{"ssh"}, e.sshOpts(true)...), e.dest(), "true")...)
		preflightDenied := r.code == exitProblems && strings.Contains(r.stderr, "preflight for "+e2eID+" failed") &&
			strings.Contains(r.stderr, "✗ you may start an SSH session")
		switch {
		case tc.allowed && r.code != 0:
			t.Errorf("%s on Team=%s: ssh exit %d, want 0 (check allows it)\n%s", tc.user, tc.team, r.code, r.stderr)
		case !tc.allowed && !preflightDenied:
			t.Errorf("%s on Team=%s: ssh exit %d, want the preflight to refuse StartSession as check does\n%s", tc.user, tc.team, r.code, r.stderr)
		}
	}
}
