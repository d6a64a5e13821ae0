package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// `fix TARGET` with no selector: runs the checks, applies each available
// fix (--yes), re-runs the checks and prints the final report; without a
// terminal and without --yes it offers nothing and refuses.
func TestFixCLIBareTargetAppliesAvailableFixes(t *testing.T) {
	st := awssim.DemoScenario()
	sim, h := fixSim(t, st)
	const stopped = "i-0ff00000000000008"

	refused := h.run(t, "fix", stopped)
	if refused.code != 2 || sim.MutatingCalls() != 0 || !strings.Contains(refused.stderr, "--yes") {
		t.Fatalf("without a terminal or --yes: code %d, %d mutating calls\n%s", refused.code, sim.MutatingCalls(), refused.stderr)
	}

	r := h.run(t, "fix", stopped, "--yes", "--poll", "5ms", "--no-color")
	if sim.Calls("ec2.StartInstances") != 1 {
		t.Fatalf("StartInstances called %d times\n%s\n%s", sim.Calls("ec2.StartInstances"), r.stdout, r.stderr)
	}
	// The final report is the check's, run after the fixes.
	if !strings.Contains(r.stdout, "instance exists and is running: "+stopped) || !strings.Contains(r.stdout, " passed, ") {
		t.Fatalf("no final report after the fixes (code %d)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	after := checkStatuses(t, h, stopped)
	for _, id := range []string{"instance-exists", "instance-registered"} {
		if !strings.HasPrefix(after[id], "pass") {
			t.Errorf("after bare fix, %s is %s", id, after[id])
		}
	}
}

// The interactive path names the ssh config backup, as the single-fix path
// does; a target that does not resolve is reported as fix's, not check's.
func TestFixCLIBareNamesBackupAndOwnErrors(t *testing.T) {
	st := awssim.DemoScenario()
	_, h := fixSim(t, st)
	const stopped = "i-0ff00000000000008"
	cfg := h.write(t, ".ssh/config", "Host work\n  HostName 10.0.0.1\n", 0o600)

	r := h.run(t, "fix", stopped, "--yes", "--poll", "5ms", "--no-color")
	if !strings.Contains(r.stdout, "backup of "+cfg+": "+cfg+".") {
		t.Fatalf("bare fix did not name the ssh config backup (code %d)\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r = h.run(t, "fix", "no-such-name", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "fix: ") || strings.Contains(r.stderr, "check: ") {
		t.Fatalf("unknown target: code %d\n%s", r.code, r.stderr)
	}
	r = h.run(t, "fix", "--start", "no-such-name", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "fix: ") || strings.Contains(r.stderr, "check: ") {
		t.Fatalf("unknown --start target: code %d\n%s", r.code, r.stderr)
	}
}

// --verbose shows the SDK's own warnings on stderr for fix as for check;
// without it they stay out of the output.
func TestFixAndCheckVerboseShowSDKLog(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(imds.Close)
	h := newCheckHome(t)
	var env []string
	for _, kv := range h.env {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	h.env = append(env, "AWS_CONFIG_FILE="+h.dir+"/aws-config", "AWS_SHARED_CREDENTIALS_FILE="+h.dir+"/aws-credentials",
		"AWS_REGION=eu-west-1", "AWS_EC2_METADATA_SERVICE_ENDPOINT="+imds.URL, "AWS_MAX_ATTEMPTS=1")
	const warning = "falling back to IMDSv1"
	for _, args := range [][]string{
		{"fix", "--user-policy"},
		{"check", "--skip", "ssh-client,ssh-config,session-manager-plugin"},
	} {
		quiet := h.run(t, args...)
		loud := h.run(t, append(args, "--verbose")...)
		if quiet.code == 0 || loud.code == 0 {
			t.Fatalf("%v without credentials succeeded: %d / %d", args, quiet.code, loud.code)
		}
		if strings.Contains(quiet.stderr+quiet.stdout, warning) {
			t.Errorf("%v printed the SDK warning without --verbose:\n%s", args, quiet.stderr)
		}
		if !strings.Contains(loud.stderr, warning) {
			t.Errorf("%v --verbose did not show the SDK warning:\n%s", args, loud.stderr)
		}
	}
}
