package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// without drops variables from the child's environment.
func (h *checkHome) without(keys ...string) {
	var kept []string
	for _, kv := range h.env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, x := range keys {
			drop = drop || k == x
		}
		if !drop {
			kept = append(kept, kv)
		}
	}
	h.env = kept
}

const brokenCredsConfig = `[default]
region = eu-west-1

[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1

[profile ops]
region = eu-west-1
`

// A profile that does not exist and an SSO profile that is not logged in
// are the user's setup: the local checks still run, credentials fails
// with the reason and the command that fixes it, every AWS check is
// skipped behind it, and the exit code is 1 (a check failed), not 3 with
// the SDK's error chain.
func TestCheckCLIBrokenCredentials(t *testing.T) {
	h := newCheckHome(t)
	h.healthy(t)
	cfg := h.write(t, "aws-config", brokenCredsConfig, 0o600)
	// No keys in the environment (they would win over any profile), and
	// HOME is the temp dir: its SSO token cache is empty.
	h.without("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	cases := []struct {
		name, profile, headline, fix string
		args                         []string
	}{
		{"missing profile", "nosuch",
			"profile nosuch is not in AWS_CONFIG_FILE (" + cfg + "): run aws configure --profile nosuch, or pick one of: default, dev, ops",
			"aws configure --profile nosuch", []string{"i-0123456789abcdef0"}},
		{"missing profile, a name", "nosuch", "profile nosuch is not in AWS_CONFIG_FILE", "aws configure --profile nosuch", []string{"web"}},
		{"missing profile, --all", "nosuch", "profile nosuch is not in AWS_CONFIG_FILE", "aws configure --profile nosuch", []string{"--all"}},
		{"SSO not logged in", "dev",
			"profile dev signs in through IAM Identity Center (SSO) and is not logged in: run aws sso login --profile dev",
			"aws sso login --profile dev", []string{"web"}},
	}
	for _, c := range cases {
		args := append([]string{"check", "--profile", c.profile}, c.args...)
		r := h.run(t, args...)
		if r.code != 1 || strings.Contains(r.stderr, "error:") {
			t.Errorf("%s: exit %d (want 1), stderr %q", c.name, r.code, r.stderr)
		}
		want := "  ✗ AWS credentials resolve and are not expired: " + c.headline
		if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "      fix: "+c.fix+"\n") {
			t.Errorf("%s: report lacks %q and its fix:\n%s", c.name, want, r.stdout)
		}
		if strings.Contains(r.stdout, "failed to get shared config profile") || strings.Contains(r.stdout, "cached SSO token") {
			t.Errorf("%s: the SDK's error chain is in the report without --verbose:\n%s", c.name, r.stdout)
		}

		r = h.run(t, append(args, "--format", "json")...)
		if r.code != 1 {
			t.Fatalf("%s json: exit %d, stderr %q", c.name, r.code, r.stderr)
		}
		if c := jsonCheck(t, r.stdout, "credentials"); c["status"] != "fail" {
			t.Errorf("credentials: %v", c)
		}
		ids := []string{"caller-identity", "caller-start-session"}
		if c.args[0] != "--all" {
			ids = append(ids, "instance-exists", "instance-registered", "session-preferences", "connection-status")
		}
		for _, id := range ids {
			if got := jsonCheck(t, r.stdout, id); got["status"] != "skip" || !strings.HasPrefix(got["message"].(string), "prerequisite credentials failed") {
				t.Errorf("%s: %s: %v", c.name, id, got)
			}
		}
		if got := jsonCheck(t, r.stdout, "ssh-client"); got["status"] == "skip" {
			t.Errorf("%s: the local checks still run: %v", c.name, got)
		}
	}
	// --verbose shows the SDK's own words, as a detail and on stderr.
	r := h.run(t, "--verbose", "check", "--profile", "nosuch", "web")
	if r.code != 1 || !strings.Contains(r.stdout, "AWS SDK: ") || !strings.Contains(r.stdout, "failed to get shared config profile, nosuch") ||
		!strings.Contains(r.stderr, "credentials: ") {
		t.Errorf("--verbose: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

// fleetSim serves three running instances, one of them with a Name tag
// that tries to clear the screen.
func fleetSim(t *testing.T) {
	t.Helper()
	st, err := awssim.ParseScenario([]byte(`{
		"AccountId": "111122223333", "DefaultRegion": "eu-west-1", "Regions": ["eu-west-1"],
		"AccessKeys": {"AKIAEXAMPLEEXAMPLE00": {"AccessKeyId": "AKIAEXAMPLEEXAMPLE00", "SecretAccessKey": "fake-secret-for-cli-tests", "Root": true, "Status": "Active"}},
		"Instances": {
			"i-0aaaaaaaaaaaaaaaa": {"InstanceId": "i-0aaaaaaaaaaaaaaaa", "Region": "eu-west-1", "State": "running", "Tags": [{"Key": "Name", "Value": "web-1"}]},
			"i-0bbbbbbbbbbbbbbbb": {"InstanceId": "i-0bbbbbbbbbbbbbbbb", "Region": "eu-west-1", "State": "running", "Tags": [{"Key": "Name", "Value": "evil\r\u001b[2J"}]},
			"i-0cccccccccccccccc": {"InstanceId": "i-0cccccccccccccccc", "Region": "eu-west-1", "State": "running"}
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	sim := simtest.Start(t, st, awssim.Options{Logf: t.Logf})
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "AWS_CONFIG_FILE": filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "none"),
		"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY": "fake-secret-for-cli-tests",
		"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": sim.URL(), "AWS_EC2_METADATA_DISABLED": "true", "NO_COLOR": "1",
		"AWS_PROFILE": "", "AWS_DEFAULT_REGION": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
		if v == "" {
			os.Unsetenv(k)
		}
	}
}

func fakeStderrTerminal(t *testing.T, is bool) {
	withDeps(t, func(d *deps) { d.stderrTerminal = is })
}

func runFleet(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"ssmdoctor"}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// A fleet check on a terminal draws one progress line, rewritten in place
// and erased at the end, not a line per check per target; piped, stderr
// gets nothing; --verbose keeps the per-check log.
func TestCheckFleetProgress(t *testing.T) {
	fleetSim(t)
	fakeStderrTerminal(t, true)
	code, stdout, stderr := runFleet(t, "check", "--all", "--skip", "ssh-config")
	if code != exitProblems {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "\n") || !strings.HasPrefix(stderr, "\r\x1b[2Kchecking: 0/3 targets") ||
		!strings.Contains(stderr, "\r\x1b[2Kchecking: 3/3 targets, ") {
		t.Fatalf("progress on a terminal: %q", stderr)
	}
	if !strings.HasSuffix(stderr, "\r\x1b[2K") {
		t.Errorf("the line is not erased at the end: %q", stderr)
	}
	if n := strings.Count(stderr, "\r\x1b[2K"); n > 5 {
		t.Errorf("%d redraws for 3 targets: %q", n, stderr)
	}

	fakeStderrTerminal(t, false)
	code, _, stderr = runFleet(t, "check", "--all", "--skip", "ssh-config")
	if code != exitProblems || stderr != "" {
		t.Errorf("piped: exit %d, stderr %q (want nothing)", code, stderr)
	}

	code, _, stderr = runFleet(t, "--verbose", "check", "--all", "--skip", "ssh-config")
	if code != exitProblems || !strings.Contains(stderr, "[i-0aaaaaaaaaaaaaaaa 1/") || strings.Contains(stderr, "\x1b[2K") {
		t.Errorf("--verbose: exit %d, stderr %q", code, stderr)
	}
}

// The fleet summary names instances by Name tag and id, and a Name tag
// with control characters prints them escaped; JSON keeps the exact value.
func TestCheckFleetSummaryNamesInstances(t *testing.T) {
	fleetSim(t)
	fakeStderrTerminal(t, false)
	code, stdout, stderr := runFleet(t, "check", "--all", "--skip", "ssh-config")
	if code != exitProblems {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// EC2 answers in XML, which cannot carry an ESC (the simulator sends
	// U+FFFD instead, as an XML encoder must); the carriage return gets
	// through. The report package's tests cover ESC itself.
	for _, want := range []string{"web-1 (i-0aaaaaaaaaaaaaaaa)", `evil\r` + "\ufffd[2J (i-0bbbbbbbbbbbbbbbb)", "i-0cccccccccccccccc"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if strings.ContainsAny(stdout, "\r\x1b") {
		t.Errorf("a raw control character reached the human report: %q", stdout)
	}
	code, stdout, _ = runFleet(t, "--verbose", "check", "--all", "--skip", "ssh-config")
	if code != exitProblems || !strings.Contains(stdout, `i-0bbbbbbbbbbbbbbbb (evil\r`+"\ufffd[2J) in eu-west-1") || strings.ContainsAny(stdout, "\r\x1b") {
		t.Errorf("--verbose report: exit %d %q", code, stdout)
	}
}
