package main

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// fixSim serves st and returns a CLI home whose AWS settings reach it as
// the principal of keyID.
func fixSim(t *testing.T, st *awssim.State) (*awssim.Sim, *checkHome) {
	t.Helper()
	s := simtest.Start(t, st, awssim.Options{})
	s.SetStartDelay(0)
	h := newCheckHome(t)
	h.as(st, awssim.DemoAccessKey, s.URL())
	return s, h
}

// as switches the home's credentials to another access key of st.
func (h *checkHome) as(st *awssim.State, keyID, url string) {
	key := st.AccessKeys[keyID]
	var env []string
	for _, kv := range h.env {
		if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") &&
			!strings.HasPrefix(kv, "AWS_REGION=") && !strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			env = append(env, kv)
		}
	}
	h.env = append(env, "AWS_ACCESS_KEY_ID="+key.ID, "AWS_SECRET_ACCESS_KEY="+key.Secret, "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL="+url)
}

// checkStatuses runs `check TARGET --format json` and returns id -> status.
func checkStatuses(t *testing.T, h *checkHome, target string) map[string]string {
	t.Helper()
	args := []string{"check", "--format", "json"}
	if target != "" {
		args = append(args, target)
	}
	r := h.run(t, args...)
	var rep struct {
		Targets []struct {
			Checks []struct{ ID, Status, Message string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Targets) == 0 {
		t.Fatalf("check output: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	out := map[string]string{}
	for _, c := range rep.Targets[0].Checks {
		out[c.ID] = c.Status + ": " + c.Message
	}
	return out
}

// For every fixable case of the demo: the check fails first, `fix --yes`
// repairs it (the simulator's state really changes), `check` then passes
// it, and a second `fix --yes` and a --dry-run make no mutating call.
func TestFixCLIDemoScenario(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		prep   func(st *awssim.State)
		key    string // whose check is verified ("" admin)
		target string // checked afterwards
		checks []string
	}{
		{name: "stopped", args: []string{"--start", "i-0ff00000000000008"}, target: "i-0ff00000000000008", checks: []string{"instance-exists", "instance-registered"}},
		{name: "no profile", args: []string{"--instance-role", "i-0bad0000000000003"}, target: "i-0bad0000000000003", checks: []string{"instance-profile", "instance-role-permissions", "instance-registered"}},
		{name: "role without ssm", args: []string{"--instance-role", "i-0bad0000000000004"}, target: "i-0bad0000000000004", checks: []string{"instance-role-permissions"}},
		{name: "isolated", args: []string{"--vpc-endpoints", "i-0bad0000000000007"}, target: "i-0bad0000000000007", checks: []string{"instance-network", "instance-registered"}},
		{name: "hybrid tier", args: []string{"--hybrid-tier"}, target: "mi-0c0ffee0000000001", checks: []string{"instance-hybrid-tier"}},
		{name: "bob's policy", args: []string{"--user-policy", "--attach", "user/bob"}, key: "AKIADEMOBOB000000001", target: "i-0a11600d000000001", checks: []string{"caller-start-session", "caller-session-lifecycle"}},
		{name: "bob's policy through his group", args: []string{"--user-policy", "--attach", "group/contractors"}, key: "AKIADEMOBOB000000001", target: "i-0a11600d000000001", checks: []string{"caller-start-session", "caller-session-lifecycle"},
			prep: func(st *awssim.State) {
				st.Groups["contractors"] = &awssim.Group{Name: "contractors"}
				st.Users["bob"].Groups = append(st.Users["bob"].Groups, "contractors")
			}},
		{name: "dave's policy", args: []string{"--user-policy", "--attach", "user/dave"}, key: "AKIADEMODAVE00000001", checks: []string{"caller-read-permissions"}},
		{name: "dhmc", args: []string{"--dhmc"}, target: "i-0a11600d000000009", checks: []string{"instance-profile"},
			prep: func(st *awssim.State) {
				delete(st.ServiceSettings["us-east-1"], "/ssm/managed-instance/default-ec2-instance-management-role")
				delete(st.Roles, "AWSSystemsManagerDefaultEC2InstanceManagementRole")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := awssim.DemoScenario()
			if c.prep != nil {
				c.prep(st)
			}
			sim, h := fixSim(t, st)
			checker := *h
			if c.key != "" {
				checker.as(st, c.key, sim.URL())
			}
			before := checkStatuses(t, &checker, c.target)
			if !strings.HasPrefix(before[c.checks[0]], "fail") && !strings.HasPrefix(before[c.checks[0]], "warn") {
				t.Fatalf("%s does not fail before the fix: %s", c.checks[0], before[c.checks[0]])
			}

			dry := h.run(t, append([]string{"fix", "--dry-run"}, c.args...)...)
			if dry.code != 0 || sim.MutatingCalls() != 0 || !strings.Contains(dry.stdout, "dry run: nothing changed") {
				t.Fatalf("dry run: code %d, %d mutating calls\n%s\n%s", dry.code, sim.MutatingCalls(), dry.stdout, dry.stderr)
			}
			noTTY := h.run(t, append([]string{"fix"}, c.args...)...)
			if noTTY.code != 2 || sim.MutatingCalls() != 0 || !strings.Contains(noTTY.stderr, "--yes") {
				t.Fatalf("without a terminal or --yes: code %d\n%s", noTTY.code, noTTY.stderr)
			}

			r := h.run(t, append([]string{"fix", "--yes", "--poll", "5ms"}, c.args...)...)
			if r.code != 0 || sim.MutatingCalls() == 0 {
				t.Fatalf("fix: code %d, %d mutating calls\n%s\n%s", r.code, sim.MutatingCalls(), r.stdout, r.stderr)
			}
			after := checkStatuses(t, &checker, c.target)
			for _, id := range c.checks {
				if !strings.HasPrefix(after[id], "pass") {
					t.Errorf("after the fix %s is %s\nfix output:\n%s", id, after[id], r.stdout)
				}
			}

			sim.ResetCalls()
			again := h.run(t, append([]string{"fix", "--yes", "--poll", "5ms"}, c.args...)...)
			if again.code != 0 || sim.MutatingCalls() != 0 || !strings.Contains(again.stdout, "already configured") {
				t.Fatalf("second run: code %d, %d mutating calls %v\n%s\n%s", again.code, sim.MutatingCalls(), sim.AllCalls(), again.stdout, again.stderr)
			}
		})
	}
}

// A throttled call mid-plan stops the fix with what was and was not done;
// running it again finishes from the state left behind.
func TestFixCLIThrottledMidPlanResumes(t *testing.T) {
	st := awssim.DemoScenario()
	sim, h := fixSim(t, st)
	sim.Throttle("iam.AddRoleToInstanceProfile", 100)
	r := h.run(t, "fix", "--yes", "--poll", "5ms", "--instance-role", "i-0bad0000000000003")
	if r.code != 3 || !strings.Contains(r.stderr, "done:     iam CreateRole") || !strings.Contains(r.stderr, "failed:   iam AddRoleToInstanceProfile") ||
		!strings.Contains(r.stderr, "not done: ec2 AssociateIamInstanceProfile") {
		t.Fatalf("code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	sim.Throttle("iam.AddRoleToInstanceProfile", 0)
	sim.ResetCalls()
	r = h.run(t, "fix", "--yes", "--poll", "5ms", "--instance-role", "i-0bad0000000000003")
	if r.code != 0 || sim.Calls("iam.CreateRole") != 0 || sim.Calls("iam.CreateInstanceProfile") != 0 || sim.Calls("iam.AddRoleToInstanceProfile") != 1 ||
		!strings.Contains(r.stdout, "verify instance-profile: pass") {
		t.Fatalf("re-run: code %d calls %v\n%s\n%s", r.code, sim.AllCalls(), r.stdout, r.stderr)
	}
}

// The ssh config through the CLI: written once, then already configured
// with every file byte for byte the same.
func TestFixCLISSHConfig(t *testing.T) {
	h := newCheckHome(t)
	h.write(t, ".ssh/config", "Host web\r\n  User alice\r\n", 0o644)
	r := h.run(t, "fix", "--ssh-config", "--yes", "--region", "eu-west-1")
	if r.code != 0 && r.code != 1 { // 1: ssh-config passes but another local check may not
		t.Fatalf("code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	own, err := os.ReadFile(filepath.Join(h.dir, ".ssh", "ssmdoctor.conf"))
	if err != nil || !strings.Contains(string(own), " proxy --region eu-west-1 %h %p\n") || !strings.Contains(r.stdout, "+++ ") {
		t.Fatalf("own file %q, %v\n%s", own, err, r.stdout)
	}
	cfg, _ := os.ReadFile(filepath.Join(h.dir, ".ssh", "config"))
	if !strings.HasSuffix(string(cfg), "\r\n\r\nHost web\r\n  User alice\r\n") || !strings.Contains(string(cfg), "Include ") {
		t.Fatalf("config %q", cfg)
	}
	hashes := func() map[string][32]byte {
		m := map[string][32]byte{}
		ents, _ := os.ReadDir(filepath.Join(h.dir, ".ssh"))
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(h.dir, ".ssh", e.Name()))
			m[e.Name()] = sha256.Sum256(b)
		}
		return m
	}
	before := hashes()
	r = h.run(t, "fix", "--ssh-config", "--yes", "--region", "eu-west-1")
	if !strings.Contains(r.stdout, "already configured") {
		t.Fatalf("second run:\n%s\n%s", r.stdout, r.stderr)
	}
	after := hashes()
	if len(before) != len(after) {
		t.Fatalf("files %d -> %d", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("%s changed on the second run", k)
		}
	}
}
