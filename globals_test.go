package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// twoProfiles serves the demo account and gives this process two
// profiles: p1, the administrator, and p2, alice (who may connect but not
// change IAM). AWS_PROFILE names p1, as a careless shell would.
func twoProfiles(t *testing.T) (*awssim.Sim, *awssim.State) {
	t.Helper()
	st := awssim.DemoScenario()
	s := simtest.Start(t, st, awssim.Options{})
	home := inProcessAWS(t, s.URL(), "", "")
	admin, alice := st.AccessKeys[awssim.DemoAccessKey], st.AccessKeys["AKIADEMOALICE0000001"]
	creds := "[p1]\naws_access_key_id = " + admin.ID + "\naws_secret_access_key = " + admin.Secret + "\n" +
		"[p2]\naws_access_key_id = " + alice.ID + "\naws_secret_access_key = " + alice.Secret + "\n"
	if err := os.WriteFile(filepath.Join(home, "aws-credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "aws-config"), []byte("[profile p1]\nregion = us-east-1\n[profile p2]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "p1")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	return s, st
}

func carolPolicies(s *awssim.Sim) map[string]string {
	var m map[string]string
	s.WithState(func(st *awssim.State) { m = maps.Clone(st.Users["carol"].InlinePolicies) })
	return m
}

// A --profile typed on the command line, before or after the command,
// beats AWS_PROFILE: the fix acts as p2 (alice), who may not change IAM,
// so nothing is written; and check's caller is alice.
func TestExplicitProfileBeatsAWSProfile(t *testing.T) {
	s, _ := twoProfiles(t)
	before := carolPolicies(s)
	for _, args := range [][]string{
		{"--profile", "p2", "fix", "--user-policy", "--attach", "user/carol", "--yes"},
		{"fix", "--user-policy", "--attach", "user/carol", "--yes", "--profile", "p2"},
	} {
		r := runInProcess(t, args...)
		if r.code == exitOK {
			t.Errorf("%q: exit 0 (applied as AWS_PROFILE's administrator?)\n%s\n%s", args, r.stdout, r.stderr)
		}
		if after := carolPolicies(s); !maps.Equal(after, before) {
			t.Fatalf("%q: carol's inline policies changed from %v to %v: the fix ran as p1, not p2", args, before, after)
		}
	}
	r := runInProcess(t, "--profile", "p2", "check", "--format", "json", "--deterministic")
	if msg := jsonCheck(t, r.stdout, "caller-identity")["message"]; !strings.Contains(msg.(string), "user alice") {
		t.Errorf("check --profile p2: caller-identity %q, want alice", msg)
	}
	// Without the flag, AWS_PROFILE still counts.
	r = runInProcess(t, "check", "--format", "json", "--deterministic")
	if msg := jsonCheck(t, r.stdout, "caller-identity")["message"]; !strings.Contains(msg.(string), "demo-admin") {
		t.Errorf("check with AWS_PROFILE=p1: caller-identity %q, want the administrator", msg)
	}
}

// A --region typed on the command line beats AWS_REGION, for check and for
// proxy; proxy reads the global flags given before its name too.
func TestExplicitRegionBeatsAWSRegion(t *testing.T) {
	twoProfiles(t)
	for _, args := range [][]string{
		{"--region", "us-west-2", "check", "--format", "json"},
		{"check", "--region", "us-west-2", "--format", "json"},
	} {
		r := runInProcess(t, args...)
		if msg := jsonCheck(t, r.stdout, "region")["message"]; msg != "us-west-2 (from --region)" {
			t.Errorf("%q: region check says %q, want us-west-2 (from --region)", args, msg)
		}
	}
	r := runInProcess(t, "--region", "eu-west-1", "proxy", "no-such-name", "22")
	if r.code != exitProblems || !strings.Contains(r.stderr, `no instance matches "no-such-name" in eu-west-1`) || r.stdout != "" {
		t.Errorf("--region before proxy: exit %d stderr %q, want not found in eu-west-1", r.code, r.stderr)
	}
	r = runInProcess(t, "--profile", "nosuch", "proxy", "i-0123456789abcdef0", "22")
	if r.code != exitInternal || !strings.Contains(r.stderr, "nosuch") || r.stdout != "" {
		t.Errorf("--profile before proxy: exit %d stderr %q, want the missing profile named", r.code, r.stderr)
	}
}

// proxy honours --timeout: it bounds the setup.
func TestProxyHonoursGlobalTimeout(t *testing.T) {
	s, _ := twoProfiles(t)
	s.SetLatency(3 * time.Second)
	start := time.Now()
	r := runInProcess(t, "--timeout", "300ms", "proxy", "no-such-name", "22")
	took := time.Since(start)
	// Ended by the deadline, not by the endpoint's answer 3 s later.
	if took > 2*time.Second || r.code == exitOK || r.stdout != "" || !strings.Contains(r.stderr, "deadline exceeded") {
		t.Errorf("proxy --timeout 300ms against a 3 s endpoint: %v, exit %d stderr %q", took.Round(time.Millisecond), r.code, r.stderr)
	}
}

// Values that can never be right are usage errors (exit 2, stderr only).
func TestGlobalFlagValuesValidated(t *testing.T) {
	twoProfiles(t)
	for _, args := range [][]string{
		{"--timeout", "-1s", "check"},
		{"check", "--timeout", "-1s"},
		{"--profile", "x'\nHost *\n  ProxyCommand touch /tmp/pwn\n#", "check"},
		{"--profile", "a%hb", "check"},
		{"--region", "us-east-1; rm -rf /", "check"},
		{"--region", "US_EAST", "proxy", "web", "22"},
		{"ssh", "--profile", "a b", "web"},
		{"scp", "--region", "x", "a", "web:/tmp"},
	} {
		r := runInProcess(t, args...)
		if r.code != exitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("%q: exit %d stdout %q stderr %q, want exit 2 and one error on stderr", args, r.code, r.stdout, r.stderr)
		}
	}
}

// Usage errors never reach stdout: stdout is proxy's session channel and
// the file a user sources for sim.
func TestUsageErrorsOnStderrOnly(t *testing.T) {
	for _, args := range [][]string{
		{"proxy", "--bogus", "web", "22"},
		{"sim", "--bogus"},
		{"demo", "--bogus"},
		{"check", "--bogus"},
		{"fix", "--bogus"},
		{"proxy", "web", "22", "--chunk-size", "0"},
		{"proxy", "--chunk-size", "0", "web", "22"},
		{"proxy", "--chunk-size", "10000000", "web", "22"},
		{"proxy", "--window", "0", "web", "22"},
		{"proxy", "--window", "1000000", "web", "22"},
		// The newer commands: a bad flag, a missing or extra argument, a
		// malformed value, each refused before any AWS call.
		{"forward", "--bogus", "web"},
		{"forward", "-L", "5432:db:5432"},
		{"forward", "-L", "nope", "web"},
		{"forward", "--stream-endpoint", "ftp://x", "-L", "5432:db:5432", "web"},
		{"forward", "--document", "arn:aws:ssm:us-east-1:123456789012:document/X;id", "-L", "5432:db:5432", "web"},
		{"access", "--document", "arn:$(id)", "web"},
		{"shell", "--bogus", "web"},
		{"shell"},
		{"shell", "--document", "a;b", "web"},
		{"shell", "--stream-endpoint", "not a url", "web"},
		{"access", "--bogus", "web"},
		{"access"},
		{"access", "--format", "xml", "web"},
		{"sessions", "--bogus"},
		{"sessions", "--yes"},
		{"sessions", "--since", "5x"},
		{"sessions", "--terminate", "a;b"},
		{"wait", "--bogus", "web"},
		{"wait"},
		{"wait", "--for", "bogus", "web"},
		{"completion", "--bogus"},
		{"completion"},
		{"completion", "tcsh"},
		{"version", "--bogus"},
		{"version", "extra"},
	} {
		r := runInProcess(t, args...)
		if r.code != exitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, "\nhint: ") || strings.Contains(r.stderr, "NAME:") {
			t.Errorf("%q: exit %d\nstdout %q\nstderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	for in, want := range map[string]string{"chek": "check", "chekc": "check", "prxy": "proxy", "fxi": "fix"} {
		r := runInProcess(t, in)
		if r.code != exitUsage || !strings.Contains(r.stderr, "did you mean 'ssmdoctor "+want+"'?") || r.stdout != "" {
			t.Errorf("%s: exit %d stderr %q, want a suggestion of %s", in, r.code, r.stderr, want)
		}
	}
	r := runInProcess(t, "frobnicate")
	if r.code != exitUsage || strings.Contains(r.stderr, "did you mean") {
		t.Errorf("frobnicate: exit %d stderr %q, want no suggestion", r.code, r.stderr)
	}
}

// --list-checks honours --format json and --output.
func TestListChecksFormats(t *testing.T) {
	r := runInProcess(t, "check", "--list-checks", "--format", "json")
	var doc struct {
		SchemaVersion int `json:"schemaVersion"`
		Checks        []struct {
			ID, Layer, Title string
			DependsOn        []string `json:"dependsOn"`
		}
	}
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &doc) != nil || doc.SchemaVersion != 1 || len(doc.Checks) < 24 || doc.Checks[0].ID != "credentials" {
		t.Fatalf("--list-checks --format json: exit %d\n%s", r.code, r.stdout)
	}
	out := filepath.Join(t.TempDir(), "checks.txt")
	r = runInProcess(t, "check", "--list-checks", "--output", out)
	b, err := os.ReadFile(out)
	if r.code != exitOK || r.stdout != "" || err != nil || !strings.HasPrefix(string(b), "ID ") {
		t.Fatalf("--list-checks --output: exit %d stdout %q file %q %v", r.code, r.stdout, b, err)
	}
	r = runInProcess(t, "check", "--list-checks", "--format", "junit")
	if r.code != exitUsage || r.stdout != "" {
		t.Errorf("--list-checks --format junit: exit %d stdout %q, want a usage error", r.code, r.stdout)
	}
}

// Targets: IPv6 forms that start with ':' are addresses, not malformed; a
// huge target is not echoed back whole; the error names the character.
func TestTargetValidation(t *testing.T) {
	twoProfiles(t)
	r := runInProcess(t, "--region", "us-east-1", "proxy", "::1", "22")
	if r.code != exitProblems || strings.Contains(r.stderr, "malformed") || !strings.Contains(r.stderr, `no instance matches "::1"`) {
		t.Errorf("proxy ::1: exit %d stderr %q, want looked up (not found), not malformed", r.code, r.stderr)
	}
	r = runInProcess(t, "--region", "us-east-1", "check", "::1")
	if r.code != exitProblems || strings.Contains(r.stderr, "malformed") {
		t.Errorf("check ::1: exit %d stderr %q", r.code, r.stderr)
	}
	huge := strings.Repeat("a", 100<<10)
	for _, args := range [][]string{{"check", huge}, {"proxy", huge, "22"}, {"fix", "--start", huge}, {"ssh", huge}, {huge}} {
		r := runInProcess(t, args...)
		if r.code != exitUsage || len(r.stderr) > 600 || !strings.Contains(r.stderr, "102400") && len(args) > 1 {
			t.Errorf("%d-byte target to %s: exit %d, %d bytes of stderr: %.300q", len(huge), args[0], r.code, len(r.stderr), r.stderr)
		}
	}
	r = runInProcess(t, "check", "web;id")
	if r.code != exitUsage || !strings.Contains(r.stderr, `';' is not accepted`) {
		t.Errorf("check web;id: exit %d stderr %q, want the offending character named", r.code, r.stderr)
	}
}

// A huge value in a usage error is shortened (quoteShort), never echoed
// back whole onto the terminal.
func TestUsageErrorsShortenHugeValues(t *testing.T) {
	huge := strings.Repeat("a", 20000)
	for _, args := range [][]string{
		{"check", "--format", huge},
		{"check", "--filter", huge},
		{"check", "--skip", huge},
		{"wait", "--format", huge, "web"},
		{"demo", huge},
		{"sim", huge},
		{"fix", "--ssh-config", huge},
	} {
		r := runInProcess(t, args...)
		if r.code != exitUsage || r.stdout != "" || len(r.stderr) > 600 || !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("%s %s: exit %d, %d bytes of stderr: %.200q", args[0], args[1][:min(len(args[1]), 20)], r.code, len(r.stderr), r.stderr)
		}
	}
}
