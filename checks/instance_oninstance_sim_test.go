package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// demoPublicKey is the key the simulator's default image authorizes.
const demoPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHo4chRC9G3PvZPViPGl4t+jkrC0ee8ALIwtwNOqyqzy demo@ssmdoctor"

const demoFingerprint = "SHA256:wVWHmQxE2Z8a4a4mzuc+x9zF8FWk46IZKYRhniZ1X/Q"

// onInstanceLocal is a workstation whose ssh offers pub (or no key).
func onInstanceLocal(host, pub string) *LocalEnv {
	m := newFakeMachine()
	m.sshG(host, "user ec2-user\nhostname "+host+"\nport 22\nidentityfile ~/.ssh/id_ed25519\n")
	if pub != "" {
		m.files["/home/u/.ssh/id_ed25519.pub"] = fakeFile{mode: 0o644, data: pub + "\n"}
	}
	return m.local()
}

var onInstanceIDs = map[string]bool{"instance-sshd": true, "instance-os-user": true, "instance-authorized-keys": true,
	"instance-eic": true, "instance-agent-log": true, "instance-clock": true, "instance-disk": true}

func onInstanceChecks() []Check {
	return Select(awsChecks(), "instance-sshd", "instance-os-user", "instance-authorized-keys", "instance-eic",
		"instance-agent-log", "instance-clock", "instance-disk")
}

// runOnInstance runs the on-instance checks against instance id of st.
func runOnInstance(t *testing.T, st *awssim.State, id string, o Options, pub string) map[string]Result {
	t.Helper()
	a, _ := simEnv(t, st, awssim.DemoAccessKey)
	ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{id}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	o.OnInstance = true
	if o.OnInstanceWait == 0 {
		o.OnInstanceWait = 20 * time.Second
	}
	env := &Env{AWS: a, Target: ts[0], Options: o, Local: onInstanceLocal(id, pub)}
	got := map[string]Result{}
	for _, out := range Run(context.Background(), env, onInstanceChecks(), RunOptions{}) {
		got[out.ID] = out.Result
	}
	return got
}

func TestOnInstanceHealthy(t *testing.T) {
	got := runOnInstance(t, awssim.DemoScenario(), "i-0a11600d000000001", Options{}, demoPublicKey)
	wantStatus(t, got, map[string]Status{
		"instance-sshd": StatusPass, "instance-os-user": StatusPass, "instance-authorized-keys": StatusPass,
		"instance-eic": StatusSkip, "instance-agent-log": StatusPass, "instance-clock": StatusPass, "instance-disk": StatusPass,
	})
	if m := got["instance-authorized-keys"].Message; !strings.Contains(m, demoFingerprint) || strings.Contains(m, "AAAA") {
		t.Errorf("authorized-keys message = %q, want the fingerprint and no key material", m)
	}
}

// osCase changes the healthy instance's OS and expects verdicts.
func TestOnInstanceProblems(t *testing.T) {
	const id = "i-0a11600d000000001"
	cases := []struct {
		name string
		os   func(o *awssim.OSState)
		opts Options
		pub  string
		want map[string]Status
		msg  map[string]string
	}{
		{"sshd stopped", func(o *awssim.OSState) { o.SSHD.Stopped = true }, Options{}, demoPublicKey,
			map[string]Status{"instance-sshd": StatusFail}, map[string]string{"instance-sshd": "sshd is not running"}},
		{"sshd on another port", func(o *awssim.OSState) { o.SSHD.Settings["port"] = []string{"2222"} }, Options{}, demoPublicKey,
			map[string]Status{"instance-sshd": StatusFail}, map[string]string{"instance-sshd": "nothing listens on port 22"}},
		{"listens on a private address only", func(o *awssim.OSState) { o.SSHD.Settings["listenaddress"] = []string{"10.0.1.10:22"} }, Options{}, demoPublicKey,
			map[string]Status{"instance-sshd": StatusFail}, map[string]string{"instance-sshd": "Session Manager connects to localhost"}},
		{"AllowUsers", func(o *awssim.OSState) { o.SSHD.Settings["allowusers"] = []string{"admin"} }, Options{}, demoPublicKey,
			map[string]Status{"instance-sshd": StatusFail}, map[string]string{"instance-sshd": "AllowUsers admin"}},
		{"user missing", nil, Options{OSUser: "ubuntu"}, demoPublicKey,
			map[string]Status{"instance-os-user": StatusFail, "instance-authorized-keys": StatusSkip}, map[string]string{"instance-os-user": "no user ubuntu"}},
		{"key not authorized", nil, Options{}, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOw0gBrqGxwq2bHtCGBAc2NVWY2gTfUjpyZ9mxIr1kHZ other@host",
			map[string]Status{"instance-authorized-keys": StatusFail}, map[string]string{"instance-authorized-keys": "none of the keys ssh offers"}},
		{"authorized_keys group-writable", func(o *awssim.OSState) { o.Files["/home/ec2-user/.ssh/authorized_keys"].Mode = "664" }, Options{}, demoPublicKey,
			map[string]Status{"instance-authorized-keys": StatusFail}, map[string]string{"instance-authorized-keys": "StrictModes"}},
		{"EIC absent", func(o *awssim.OSState) { o.Packages = []string{}; delete(o.SSHD.Settings, "authorizedkeyscommand") }, Options{Ephemeral: true}, "",
			map[string]Status{"instance-eic": StatusFail, "instance-authorized-keys": StatusSkip}, map[string]string{"instance-eic": "not installed"}},
		{"EIC not wired", func(o *awssim.OSState) { delete(o.SSHD.Settings, "authorizedkeyscommand") }, Options{Ephemeral: true}, "",
			map[string]Status{"instance-eic": StatusFail}, map[string]string{"instance-eic": "AuthorizedKeysCommand is none"}},
		{"agent errors", func(o *awssim.OSState) {
			o.AgentLog = []string{"2026-01-05 09:00:00 INFO fine", "2026-01-05 09:00:01 ERROR [MessageGatewayService] token=abcdefghijklmnopqrstuvwxyz0123456789 refused"}
		}, Options{}, demoPublicKey,
			map[string]Status{"instance-agent-log": StatusWarn}, map[string]string{"instance-agent-log": "[MessageGatewayService] [redacted] refused"}},
		{"clock", func(o *awssim.OSState) { o.ClockOffsetSeconds = 600 }, Options{}, demoPublicKey,
			map[string]Status{"instance-clock": StatusFail}, map[string]string{"instance-clock": "ahead of"}},
		{"disk full", func(o *awssim.OSState) { o.Disks = []awssim.OSDisk{{Mount: "/", UsePct: 100, AvailKiB: 0}} }, Options{}, demoPublicKey,
			map[string]Status{"instance-disk": StatusFail}, map[string]string{"instance-disk": "full: /"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := awssim.DemoScenario()
			inst := st.Instances[id]
			inst.OS = awssim.DefaultOS(inst)
			if tc.os != nil {
				tc.os(inst.OS)
			}
			got := runOnInstance(t, st, id, tc.opts, tc.pub)
			wantStatus(t, got, tc.want)
			for cid, sub := range tc.msg {
				if !strings.Contains(got[cid].Message, sub) {
					t.Errorf("%s: message %q lacks %q (details %q)", cid, got[cid].Message, sub, got[cid].Details)
				}
			}
		})
	}
}

func TestOnInstanceOptIn(t *testing.T) {
	a, _ := simEnv(t, awssim.DemoScenario(), awssim.DemoAccessKey)
	ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{"i-0a11600d000000001"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{AWS: a, Target: ts[0], Local: onInstanceLocal("i-0a11600d000000001", demoPublicKey)}
	for _, out := range Run(context.Background(), env, onInstanceChecks(), RunOptions{}) {
		if !onInstanceIDs[out.ID] {
			continue
		}
		if out.Result.Status != StatusSkip {
			t.Errorf("%s without --on-instance: %s %q, want skip", out.ID, out.Result.Status, out.Result.Message)
		}
	}
}

// TestOnInstanceDemoFleet: the demo's instances whose trouble is inside,
// each failing the check it exists to show, beside the healthy one.
func TestOnInstanceDemoFleet(t *testing.T) {
	cases := []struct {
		id   string
		opts Options
		want map[string]Status
	}{
		{"i-0a11600d000000001", Options{}, map[string]Status{"instance-sshd": StatusPass, "instance-os-user": StatusPass, "instance-authorized-keys": StatusPass}},
		{"i-0a11600d000000001", Options{Ephemeral: true}, map[string]Status{"instance-eic": StatusPass}},
		{"i-0bad000000000000f", Options{}, map[string]Status{"instance-sshd": StatusFail, "instance-os-user": StatusPass}},
		{"i-0bad0000000000010", Options{}, map[string]Status{"instance-sshd": StatusPass, "instance-os-user": StatusFail}},
		{"i-0bad0000000000010", Options{OSUser: "ubuntu"}, map[string]Status{"instance-os-user": StatusPass, "instance-authorized-keys": StatusPass}},
		{"i-0bad000000000000d", Options{}, map[string]Status{"instance-os-user": StatusPass, "instance-authorized-keys": StatusFail}},
		{"i-0bad000000000000e", Options{Ephemeral: true}, map[string]Status{"instance-eic": StatusFail}},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			pub := demoPublicKey
			if tc.opts.Ephemeral {
				pub = ""
			}
			wantStatus(t, runOnInstance(t, awssim.DemoScenario(), tc.id, tc.opts, pub), tc.want)
		})
	}
}

func TestInstanceStatusAcrossDemo(t *testing.T) {
	a, _ := simEnv(t, awssim.DemoScenario(), awssim.DemoAccessKey)
	for id, want := range map[string]Status{
		"i-0a11600d000000001":  StatusPass,
		"i-0bad0000000000006":  StatusFail, // connection lost: its instance status check fails
		"i-0ff00000000000008":  StatusSkip, // stopped
		"mi-0c0ffee0000000001": StatusSkip,
	} {
		ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{id}, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		env := &Env{AWS: a, Target: ts[0]}
		got := map[string]Result{}
		for _, o := range Run(context.Background(), env, Select(awsChecks(), "instance-status"), RunOptions{}) {
			got[o.ID] = o.Result
		}
		if got["instance-status"].Status != want {
			t.Errorf("%s: instance-status %s %q, want %s", id, got["instance-status"].Status, got["instance-status"].Message, want)
		}
	}
}

func TestInstanceRoleKMS(t *testing.T) {
	// The key encrypts shell sessions only: the shell document is the one
	// that needs the role's kms:Decrypt (SSH is TestKMSChecksFollowTheSessionType's).
	run := func(st *awssim.State, id string) Result {
		a, _ := simEnv(t, st, awssim.DemoAccessKey)
		ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{id}, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Document: "SSM-SessionManagerRunShell"}
		for _, o := range Run(context.Background(), &Env{AWS: a, Target: ts[0], Options: opts}, Select(awsChecks(), "instance-role-kms"), RunOptions{}) {
			if o.ID == "instance-role-kms" {
				return o.Result
			}
		}
		t.Fatal("instance-role-kms did not run")
		return Result{}
	}
	if r := run(awssim.DemoScenario(), "i-0a11600d000000001"); r.Status != StatusPass || !strings.Contains(r.Message, "not required") {
		t.Errorf("no KMS key: %s %q", r.Status, r.Message)
	}
	withKey := func() *awssim.State {
		st := awssim.DemoScenario()
		st.SessionPreferences.KMSKeyID = "alias/session-key"
		return st
	}
	// The core policy grants no kms:Decrypt.
	r := run(withKey(), "i-0a11600d000000001")
	if r.Status != StatusFail || !strings.Contains(r.Message, "lacks kms:Decrypt on arn:aws:kms:us-east-1:123456789012:alias/session-key") || !strings.Contains(r.Fix, "put-role-policy --role-name SSMInstanceRole") {
		t.Errorf("role without kms:Decrypt: %s %q fix %q", r.Status, r.Message, r.Fix)
	}
	st := withKey()
	st.Roles["SSMInstanceRole"].InlinePolicies = map[string]string{"kms": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`}
	if r := run(st, "i-0a11600d000000001"); r.Status != StatusPass {
		t.Errorf("role with kms:Decrypt: %s %q %q", r.Status, r.Message, r.Details)
	}
}

// The caller's ssm:SendCommand is evaluated before anything is sent, and
// named when missing; Windows is skipped; a script that outlives the
// deadline is "could not determine", naming the command.
func TestOnInstanceRefusalsAndLimits(t *testing.T) {
	const id = "i-0a11600d000000001"
	run := func(st *awssim.State, keyID string, o Options) (map[string]Result, *awssim.Sim) {
		t.Helper()
		a, s := simEnv(t, st, keyID)
		ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{id}, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		o.OnInstance = true
		env := &Env{AWS: a, Target: ts[0], Options: o, Local: onInstanceLocal(id, demoPublicKey)}
		got := map[string]Result{}
		for _, out := range Run(context.Background(), env, onInstanceChecks(), RunOptions{}) {
			got[out.ID] = out.Result
		}
		return got, s
	}
	t.Run("bob may not send commands", func(t *testing.T) {
		got, s := run(awssim.DemoScenario(), "AKIADEMOBOB000000001", Options{})
		r := got["instance-sshd"]
		if r.Status != StatusError || r.Missing != "ssm:SendCommand" || !strings.Contains(r.Message, "no policy allows ssm:SendCommand on arn:aws:ec2:us-east-1:123456789012:instance/"+id) {
			t.Fatalf("instance-sshd as bob: %s missing %q %q", r.Status, r.Missing, r.Message)
		}
		if !strings.Contains(strings.Join(r.Details, "\n"), "document/AWS-RunShellScript") {
			t.Errorf("the statement to add does not name the document: %q", r.Details)
		}
		if n := s.Calls("ssm.SendCommand"); n != 0 {
			t.Fatalf("%d SendCommand calls, want none before the permission holds", n)
		}
	})
	t.Run("windows", func(t *testing.T) {
		st := awssim.DemoScenario()
		st.Instances[id].Platform = "windows"
		st.Instances[id].PlatformName = ""
		got, s := run(st, awssim.DemoAccessKey, Options{})
		if r := got["instance-sshd"]; r.Status != StatusSkip || !strings.Contains(r.Message, "Windows") {
			t.Fatalf("windows: %s %q", r.Status, r.Message)
		}
		if n := s.Calls("ssm.SendCommand"); n != 0 {
			t.Fatalf("%d SendCommand calls to a Windows instance", n)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		st := awssim.DemoScenario()
		inst := st.Instances[id]
		inst.OS = awssim.DefaultOS(inst)
		inst.OS.CommandSeconds = 30
		start := time.Now()
		got, _ := run(st, awssim.DemoAccessKey, Options{OnInstanceWait: time.Second})
		r := got["instance-disk"]
		if r.Status != StatusError || !strings.Contains(r.Message, "did not finish within 1s") || !strings.Contains(strings.Join(r.Details, " "), "get-command-invocation --command-id") {
			t.Fatalf("past the deadline: %s %q %q", r.Status, r.Message, r.Details)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Fatalf("took %s with a 1s deadline", el)
		}
	})
}
