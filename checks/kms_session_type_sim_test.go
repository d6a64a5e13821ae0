package checks

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestKMSChecksFollowTheSessionType: with a KMS key in the preferences, a
// caller without kms:GenerateDataKey and an instance role without
// kms:Decrypt, the two KMS checks pass ("not required") for the documents
// that start Port sessions (SSH, port forwarding: the agent does not
// encrypt them) and fail for the shell documents it does encrypt; a
// custom document whose type cannot be read is taken to be encrypted,
// and says so.
func TestKMSChecksFollowTheSessionType(t *testing.T) {
	const user, key = "nokms", "AKIANOKMSUSER0000001"
	const reads = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","ssm:Describe*","ssm:GetConnectionStatus","ssm:GetServiceSetting","ssm:GetDocument","ssm:StartSession","ssm:TerminateSession","ssm:ResumeSession","sts:GetCallerIdentity","iam:SimulatePrincipalPolicy","iam:Get*","iam:List*"],"Resource":"*"}]}`
	st := awssim.DemoScenario()
	st.SessionPreferences.KMSKeyID = "alias/session-key"
	st.Users[user] = &awssim.User{Name: user, ID: "AIDANOKMSUSER0000001", InlinePolicies: map[string]string{"p": reads}}
	st.AccessKeys[key] = &awssim.AccessKey{ID: key, Secret: awssim.DemoSecretKey, UserName: user, Status: "Active"}
	const id = "i-0a11600d000000001"
	for _, tc := range []struct {
		doc     string
		encrypt bool
		note    bool // the type could not be read
	}{
		{"", false, false},
		{"AWS-StartSSHSession", false, false},
		{"AWS-StartPortForwardingSession", false, false},
		{"AWS-StartPortForwardingSessionToRemoteHost", false, false},
		{"SSM-SessionManagerRunShell", true, false},
		{"AWS-StartInteractiveCommand", true, false},
		{"AWS-StartNonInteractiveCommand", true, false},
		{"Team-CustomShell", true, true},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			a, _ := simEnv(t, st, key)
			ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{id}, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			env := &Env{AWS: a, Target: ts[0], Options: Options{Document: tc.doc}}
			got := map[string]Result{}
			for _, o := range Run(context.Background(), env, Select(awsChecks(), "caller-identity", "instance-exists", "instance-profile", "caller-kms", "instance-role-kms"), RunOptions{}) {
				got[o.ID] = o.Result
			}
			doc := env.Options.SessionDocument()
			for _, cid := range []string{"caller-kms", "instance-role-kms"} {
				r := got[cid]
				if !tc.encrypt {
					if r.Status != StatusPass || !strings.HasPrefix(r.Message, "not required: "+doc+" starts a Port session") {
						t.Errorf("%s: %s %q, want a pass: the agent does not encrypt Port sessions", cid, r.Status, r.Message)
					}
					continue
				}
				if r.Status != StatusFail {
					t.Errorf("%s: %s %q, want a failure: %s sessions are encrypted with the key", cid, r.Status, r.Message, doc)
				}
				hasNote := slices.ContainsFunc(r.Details, func(d string) bool {
					return strings.HasPrefix(d, "the session type of "+doc+" could not be read")
				})
				if hasNote != tc.note {
					t.Errorf("%s: details %q; want the unread session type named: %v", cid, r.Details, tc.note)
				}
			}
			if tc.encrypt && !strings.Contains(got["caller-kms"].Message, "kms:GenerateDataKey") {
				t.Errorf("caller-kms: %q, want kms:GenerateDataKey named", got["caller-kms"].Message)
			}
		})
	}
}
