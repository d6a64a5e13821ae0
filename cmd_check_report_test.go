package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
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

// The hint of ssh, scp and proxy after a failed lookup depends on what was
// given: an id is checked, not replaced by itself; a name is replaced by
// the id.
func TestConnectLookupHintDependsOnTarget(t *testing.T) {
	fail := errors.New("resolve: operation error EC2: DescribeInstances, https response error StatusCode: 403")
	var ee *exitError
	if !errors.As(targetError("i-0123456789abcdef0", fail), &ee) {
		t.Fatal("not an exitError")
	}
	if strings.Contains(ee.hint, "instance id instead") || !strings.Contains(ee.hint, "check the instance id i-0123456789abcdef0, --region and the account") ||
		!strings.Contains(ee.hint, "run: ssmdoctor check i-0123456789abcdef0") {
		t.Errorf("id: hint %q", ee.hint)
	}
	if !errors.As(targetError("web-1", fail), &ee) {
		t.Fatal("not an exitError")
	}
	if ee.hint != "give the instance id instead, or run: ssmdoctor check web-1" {
		t.Errorf("name: hint %q", ee.hint)
	}
	// Credentials that do not resolve are neither: check says why.
	creds := errors.New("resolve i-0123456789abcdef0: ec2:DescribeInstances: operation error EC2: DescribeInstances, get identity: get credentials: failed to refresh cached credentials, failed to read cached SSO token file")
	for _, target := range []string{"i-0123456789abcdef0", "web-1"} {
		if !errors.As(targetError(target, creds), &ee) {
			t.Fatal("not an exitError")
		}
		if strings.Contains(ee.hint, "instance id") || !strings.Contains(ee.hint, "credentials did not resolve") || !strings.Contains(ee.hint, "run: ssmdoctor check "+target) {
			t.Errorf("%s, credentials: hint %q", target, ee.hint)
		}
	}
}

// ssh, scp and proxy with a profile that does not exist: the profile and
// the ones there are, in plain words, not the SDK's chain.
func TestConnectMissingProfile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte(brokenCredsConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
	} {
		t.Setenv(k, v)
	}
	_, err := loadClients(t.Context(), systemDeps(nil, io.Discard, io.Discard), awsapi.Options{Profile: "nosuch"})
	var ee *exitError
	if !errors.As(err, &ee) {
		t.Fatalf("%v", err)
	}
	if ee.err.Error() != "AWS profile nosuch is not in AWS_CONFIG_FILE ("+cfg+")" ||
		ee.hint != "run: aws configure --profile nosuch, or pick one of: default, dev, ops" {
		t.Errorf("error %q, hint %q", ee.err, ee.hint)
	}
}

// Text from AWS in the errors of ssh, scp and proxy (Name tags of the
// candidates, API error messages, an agent's output) cannot rewrite the
// terminal.
func TestConnectErrorsEscapeAWSText(t *testing.T) {
	evil := "evil\r\x1b[2J"
	errs := []error{
		targetError("web", &awsfacts.AmbiguousTargetError{Input: "web", Candidates: []string{"i-0aaaaaaaaaaaaaaaa (" + evil + ", running)", "i-0bbbbbbbbbbbbbbbb (web, running)"}}),
		sessionError("i-0aaaaaaaaaaaaaaaa", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied " + evil}),
		sessionError("i-0aaaaaaaaaaaaaaaa", &smithy.GenericAPIError{Code: "Throttling", Message: "slow " + evil}),
		sessionError("i-0aaaaaaaaaaaaaaaa", &tunnel.ClosedError{SessionID: "s-1", Output: "bye " + evil}),
		targetError("web", errors.New("resolve web: "+evil)),
	}
	for i, err := range errs {
		var b bytes.Buffer
		renderError(&b, err)
		if strings.ContainsAny(b.String(), "\r\x1b") || !strings.Contains(b.String(), `evil\r\x1b[2J`) {
			t.Errorf("%d: %q", i, b.String())
		}
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

// The ssh preflight quotes what Systems Manager says about the agent; an
// answer with control characters is printed escaped.
func TestSSHPreflightEscapesAWSText(t *testing.T) {
	st := awssim.DemoScenario()
	st.Instances["i-0bad0000000000006"].Agent.PingStatus = "Lost\r\x1b[2J" // demo-connection-lost
	sim := simtest.Start(t, st, awssim.Options{Logf: t.Logf})
	env, err := simEnvironment(sim, "demo-admin")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "none"))
	for _, kv := range env {
		t.Setenv(kv[0], kv[1])
	}
	os.Unsetenv("AWS_PROFILE")
	code, _, stderr := runFleet(t, "ssh", "i-0bad0000000000006", "true")
	if code != exitProblems || !strings.Contains(stderr, `✗ instance is a managed node and Online: Lost\r\x1b[2J (last ping`) || strings.ContainsAny(stderr, "\r\x1b") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
