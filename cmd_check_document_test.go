package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// check --document: caller-start-session evaluates the document the user
// will start. The caller here may start one document only.
func TestCheckDocumentFlag(t *testing.T) {
	st := e2eState()
	st.Users["ops"].InlinePolicies["all"] = `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ec2:Describe*","sts:GetCallerIdentity","iam:SimulatePrincipalPolicy","iam:Get*","iam:List*"],"Resource":"*"},
{"Effect":"Allow","Action":"ssm:StartSession","Resource":["arn:aws:ec2:us-east-1:123456789012:instance/*","arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSession"]}]}`
	sim := simtest.Start(t, st, awssim.Options{Logf: func(string, ...any) {}})
	timeoutEnv(t, sim.URL())
	for _, tc := range []struct {
		doc, status, message string
	}{
		{"AWS-StartPortForwardingSession", "pass", "ssm:StartSession allowed on " + e2eID + " and document AWS-StartPortForwardingSession"},
		{"", "fail", "no policy allows ssm:StartSession on arn:aws:ssm:us-east-1::document/AWS-StartSSHSession"},
		{"SSM-SessionManagerRunShell", "fail", "no policy allows ssm:StartSession on arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell"},
		{"Team-Shell", "fail", "no policy allows ssm:StartSession on arn:aws:ssm:us-east-1:123456789012:document/Team-Shell"},
	} {
		args := []string{"check", "--format", "json"}
		if tc.doc != "" {
			args = append(args, "--document", tc.doc)
		}
		r, _ := runWithin(t, time.Minute, append(args, e2eID)...)
		c := jsonCheck(t, r.stdout, "caller-start-session")
		if c["status"] != tc.status || !strings.Contains(c["message"].(string), tc.message) {
			t.Errorf("--document %q: caller-start-session %v: %v, want %s with %q", tc.doc, c["status"], c["message"], tc.status, tc.message)
		}
	}
	r, _ := runWithin(t, time.Minute, "check", "--document", "no spaces allowed", e2eID)
	if r.code != exitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, `error: check: invalid --document "no spaces allowed"`+"\nhint: ") {
		t.Errorf("bad --document: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
