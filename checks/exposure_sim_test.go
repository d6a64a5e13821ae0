package checks

import (
	"context"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// runOn runs the AWS checks on one target of a simulated account.
func runOn(t *testing.T, a *awsfacts.AWSEnv, id string, opts Options) map[string]Result {
	t.Helper()
	ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{id}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, o := range Run(context.Background(), &Env{AWS: a, Target: ts[0], Options: opts}, awsChecks(), RunOptions{}) {
		got[o.ID] = o.Result
	}
	return got
}

// The exposure checks pass and fail on the demo's instances: demo-ssh-open
// warns about SSH open to the world (both families, with the fix), the
// key-pair instance warns about its key pair, the healthy one passes
// both; a hybrid node skips them.
func TestSimExposureChecks(t *testing.T) {
	a, _ := simEnv(t, awssim.DemoScenario(), awssim.DemoAccessKey)
	healthy := runOn(t, a, "i-0a11600d000000001", Options{})
	wantStatus(t, healthy, map[string]Status{"exposure-ssh-port": StatusPass, "exposure-key-pair": StatusPass,
		"session-logging": StatusPass, "session-timeouts": StatusPass, "session-preferences": StatusPass})
	if m := healthy["exposure-key-pair"].Message; m != "launched without a key pair" {
		t.Errorf("exposure-key-pair on healthy: %q", m)
	}

	open := runOn(t, a, "i-0bad000000000000b", Options{})
	r := open["exposure-ssh-port"]
	if r.Status != StatusWarn || r.Message != "SSH (TCP 22) is open to the internet through 2 rule(s) in 1 security group(s)" ||
		r.Fix != "ssmdoctor fix --close-ssh-port i-0bad000000000000b" || r.FixID != FixCloseSSHPort ||
		r.Details[0] != "sg-0bad000000000000b (demo-ssh-open): tcp 22 from 0.0.0.0/0" || r.Details[1] != "sg-0bad000000000000b (demo-ssh-open): tcp 22 from ::/0" {
		t.Errorf("exposure-ssh-port on demo-ssh-open: %+v", r)
	}

	kp := runOn(t, a, "i-0bad000000000000c", Options{})
	r = kp["exposure-key-pair"]
	if r.Status != StatusWarn || r.Message != "launched with key pair demo-legacy while one-time keys work: Amazon Linux 2023 ships EC2 Instance Connect" {
		t.Errorf("exposure-key-pair on demo-key-pair: %+v", r)
	}
	wantStatus(t, kp, map[string]Status{"exposure-ssh-port": StatusPass})

	hybrid := runOn(t, a, "mi-0c0ffee0000000001", Options{})
	wantStatus(t, hybrid, map[string]Status{"exposure-ssh-port": StatusSkip, "exposure-key-pair": StatusSkip})
}

// exposure-key-pair says why a key pair is fine where one-time keys do not
// work: a platform without EC2 Instance Connect, or (with --ephemeral-key)
// a caller who may not push keys.
func TestSimExposureKeyPairReasons(t *testing.T) {
	st := awssim.DemoScenario()
	st.Instances["i-0bad000000000000c"].PlatformName, st.Instances["i-0bad000000000000c"].PlatformVersion = "CentOS Linux", "7"
	a, _ := simEnv(t, st, awssim.DemoAccessKey)
	r := runOn(t, a, "i-0bad000000000000c", Options{})["exposure-key-pair"]
	if r.Status != StatusPass || r.Message != "launched with key pair demo-legacy; CentOS Linux 7 does not ship EC2 Instance Connect, so the key pair stays the way in" {
		t.Errorf("CentOS: %+v", r)
	}

	st = awssim.DemoScenario()
	st.Users["nokeys"] = &awssim.User{Name: "nokeys", ID: "AIDANOKEYS00000001", InlinePolicies: map[string]string{"p": `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["ssm:*","ec2:Describe*","iam:Get*","iam:List*","iam:SimulatePrincipalPolicy","sts:GetCallerIdentity","kms:*"],"Resource":"*"}]}`}}
	st.AccessKeys["AKIANOKEYS000000001"] = &awssim.AccessKey{ID: "AKIANOKEYS000000001", Secret: "nokeys-secret", UserName: "nokeys", Status: "Active"}
	a, _ = simEnv(t, st, "AKIANOKEYS000000001")
	got := runOn(t, a, "i-0bad000000000000c", Options{Ephemeral: true})
	if c := got["caller-instance-connect"]; c.Status != StatusFail {
		t.Fatalf("caller-instance-connect for a user without SendSSHPublicKey: %+v", c)
	}
	r = got["exposure-key-pair"]
	if r.Status != StatusPass || !strings.Contains(r.Message, "you may not push one-time keys") {
		t.Errorf("caller without SendSSHPublicKey: %+v", r)
	}
}

// session-logging and session-timeouts over the preferences: none, logging
// without encryption, no maximum duration; session-preferences keeps KMS
// and RunAs only.
func TestSimSessionLoggingAndTimeouts(t *testing.T) {
	for _, c := range []struct {
		name       string
		prefs      awssim.SessionPreferences
		logging    Status
		logMsg     string
		timeouts   Status
		timeoutMsg string
	}{
		{"empty", awssim.SessionPreferences{}, StatusWarn, "sessions are not logged: no S3 bucket or CloudWatch log group in the session preferences",
			StatusWarn, "no maximum session duration: a session that is never idle (an SSH tunnel with keepalives) lasts until it is closed"},
		{"s3 without encryption", awssim.SessionPreferences{S3BucketName: "logs", CloudWatchLogGroupName: "/g", CloudWatchEncryption: true, MaxSessionDuration: "60"},
			StatusWarn, "sessions are logged to S3 bucket logs and CloudWatch log group /g without enforced encryption (s3EncryptionEnabled is false)",
			StatusPass, "idle timeout 20 min, maximum session duration 60 min"},
		{"cloudwatch encrypted", awssim.SessionPreferences{CloudWatchLogGroupName: "/g", CloudWatchEncryption: true, IdleSessionTimeout: "10", MaxSessionDuration: "120"},
			StatusPass, "sessions are logged to CloudWatch log group /g, encryption enforced",
			StatusPass, "idle timeout 10 min, maximum session duration 120 min"},
		{"runas only", awssim.SessionPreferences{RunAsEnabled: true, RunAsDefaultUser: "ssm-user"}, StatusWarn, "sessions are not logged: no S3 bucket or CloudWatch log group in the session preferences",
			StatusWarn, "no maximum session duration: a session that is never idle (an SSH tunnel with keepalives) lasts until it is closed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := awssim.DemoScenario()
			st.SessionPreferences = c.prefs
			a, _ := simEnv(t, st, awssim.DemoAccessKey)
			got := runOn(t, a, "i-0a11600d000000001", Options{})
			l, tm := got["session-logging"], got["session-timeouts"]
			if l.Status != c.logging || l.Message != c.logMsg || !strings.Contains(strings.Join(l.Details, "\n"), "only their start and end reach CloudTrail") {
				t.Errorf("session-logging: %+v", l)
			}
			if tm.Status != c.timeouts || tm.Message != c.timeoutMsg {
				t.Errorf("session-timeouts: %+v", tm)
			}
			if p := got["session-preferences"]; p.Status != StatusPass || strings.Contains(strings.Join(p.Details, "\n"), "logging") {
				t.Errorf("session-preferences still speaks of logging: %+v", p)
			}
		})
	}
}

// The exposure checks cost a fleet no call: with every instance launched
// with a key pair and every security group open to the world on 22, a
// fleet check makes the calls of the bound and no more, and both checks
// warn on the running instances.
func TestSimFleetExposureWithinBound(t *testing.T) {
	const n = 200
	mark := func(st *awssim.State) *awssim.State {
		for _, in := range st.Instances {
			in.KeyName = "legacy"
		}
		for _, g := range st.SecurityGroups {
			g.Ingress = append(g.Ingress, awssim.SGRule{Protocol: "tcp", FromPort: 22, ToPort: 22, Cidrs: []string{"0.0.0.0/0"}})
		}
		return st
	}
	st := mark(awssim.GenerateFleet(n, awssim.DefaultFleetMix, 1))
	bound := fleetLowerBound(mark(awssim.GenerateFleet(n, awssim.DefaultFleetMix, 1)))
	r := fleetRun(t, st, 0)
	if r.calls > bound {
		t.Errorf("%d calls, more than the bound %d: %v", r.calls, bound, r.counts)
	}
	if r.statuses["exposure-ssh-port"][StatusWarn] == 0 || r.statuses["exposure-key-pair"][StatusWarn] == 0 {
		t.Errorf("exposure statuses: %v %v", r.statuses["exposure-ssh-port"], r.statuses["exposure-key-pair"])
	}
	t.Logf("%d calls, bound %d; exposure-ssh-port %v, exposure-key-pair %v", r.calls, bound, r.statuses["exposure-ssh-port"], r.statuses["exposure-key-pair"])
}

// With --ephemeral-key, exposure-key-pair asks what caller-instance-connect
// asks: the memoized answer, no call of its own.
func TestSimExposureKeyPairSharesInstanceConnectAnswer(t *testing.T) {
	count := func(withKeyPair bool) int {
		a, s := simEnv(t, awssim.DemoScenario(), awssim.DemoAccessKey)
		ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{"i-0bad000000000000c"}, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		var list []Check
		for _, c := range awsChecks() {
			if c.ID() != "exposure-key-pair" || withKeyPair {
				list = append(list, c)
			}
		}
		s.ResetCalls()
		outs := Run(context.Background(), &Env{AWS: a, Target: ts[0], Options: Options{Ephemeral: true}}, list, RunOptions{})
		for _, o := range outs {
			if o.ID == "exposure-key-pair" && o.Result.Status != StatusWarn {
				t.Errorf("exposure-key-pair: %+v", o.Result)
			}
		}
		return s.Calls("iam.SimulatePrincipalPolicy")
	}
	without, with := count(false), count(true)
	if with != without {
		t.Fatalf("SimulatePrincipalPolicy calls: %d with exposure-key-pair, %d without", with, without)
	}
}
