package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// checkBinary builds ssmdoctor once per test run: the CLI tests drive the
// real binary, exit codes and all.
func checkBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ssmdoctor-cli-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "ssmdoctor")
		// The test build honours SSMDOCTOR_TEST_PASSWD_HOME in place of the
		// passwd lookup, so fixes of the ssh config never touch a real home.
		out, err := exec.Command("go", "build", "-ldflags", "-X "+testPasswdHomeLDFlag, "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return builtBin
}

// checkHome is a temp HOME with static fake credentials (never sent
// anywhere: every check here is local), a region, and optionally an ssh
// config and key.
type checkHome struct {
	dir  string
	env  []string
	path string // PATH for the child
}

func newCheckHome(t *testing.T) *checkHome {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	h := &checkHome{dir: dir, path: os.Getenv("PATH")}
	h.env = []string{
		"HOME=" + dir,
		testPasswdHomeVar + "=" + dir, // ssh's home (the passwd entry's) is the temp home too
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "aws-credentials"),
		"AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE00",
		"AWS_SECRET_ACCESS_KEY=fake-secret-for-cli-tests",
		"AWS_REGION=eu-west-1",
		"AWS_EC2_METADATA_DISABLED=true",
		// Nothing leaves loopback: a closed port answers at once.
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"NO_COLOR=1",
	}
	return h
}

func (h *checkHome) write(t *testing.T, rel, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(h.dir, rel)
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodSSHConfig = "Host i-* mi-*\n  ProxyCommand ssmdoctor proxy %h %p\n  User ec2-user\n  IdentityFile ~/.ssh/id_ed25519\n"

// healthy sets up a workstation on which every local check passes.
func (h *checkHome) healthy(t *testing.T) string {
	h.write(t, ".ssh/id_ed25519", "not a real key\n", 0o600)
	return h.write(t, ".ssh/config", goodSSHConfig, 0o600)
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func (h *checkHome) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(checkBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + h.path}, h.env...)
	cmd.Dir = h.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliResult{code, stdout.String(), stderr.String()}
}

func requireSSH(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh client required when CI=true")
		}
		t.Skip("ssh client not installed")
	}
}

func TestCheckCLIHealthyExit0(t *testing.T) {
	requireSSH(t)
	h := newCheckHome(t)
	cfg := h.healthy(t)
	r := h.run(t, "check", "--skip", "caller-identity", "--ssh-config", cfg)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "✓ ssh routes the target through Session Manager") ||
		!strings.Contains(r.stdout, "7 passed, 0 warnings, 0 failed, ") || strings.Contains(r.stdout, "✗") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b[") || r.stderr != "" {
		t.Fatalf("colour or progress leaked: stderr %q", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "fake-secret-for-cli-tests") {
		t.Fatal("secret key in output")
	}
}

func TestCheckCLIFailureExit1(t *testing.T) {
	requireSSH(t)
	h := newCheckHome(t)
	shadowed := h.write(t, ".ssh/config", "Host *\n  ProxyCommand nc %h %p\nHost i-*\n  ProxyCommand ssmdoctor proxy %h %p\n", 0o600)
	r := h.run(t, "check", "--skip", "caller-identity", "--ssh-config", shadowed)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "✗ ssh routes the target through Session Manager: the Session Manager ProxyCommand at "+shadowed+" line 4 (Host i-*) is shadowed by "+shadowed+" line 2 (Host *)") ||
		!strings.Contains(r.stdout, "fix: ssmdoctor fix --ssh-config") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
}

// No ssh config route at all is a warning, not a failure: ssmdoctor ssh
// and scp need none. Exit 0, and 1 only with --strict.
func TestCheckCLINoSSHConfigRouteWarns(t *testing.T) {
	requireSSH(t)
	h := newCheckHome(t)
	h.write(t, ".ssh/id_ed25519", "not a real key\n", 0o600)
	plain := h.write(t, ".ssh/config", "Host web\n  User alice\n  IdentityFile ~/.ssh/id_ed25519\n", 0o600)
	r := h.run(t, "check", "--skip", "caller-identity", "--ssh-config", plain)
	want := "! ssh routes the target through Session Manager: no Host block routes i-0123456789abcdef0 through Session Manager: plain ssh, scp and IDEs need one (ssmdoctor fix --ssh-config); ssmdoctor ssh and scp do not"
	if r.code != 0 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "fix: ssmdoctor fix --ssh-config") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := h.run(t, "check", "--skip", "caller-identity", "--strict", "--ssh-config", plain); r.code != 1 {
		t.Fatalf("--strict: exit %d\n%s", r.code, r.stdout)
	}
}

func TestCheckCLIStrict(t *testing.T) {
	requireSSH(t)
	h := newCheckHome(t)
	cfg := h.healthy(t)
	h.env = append(h.env, "HTTPS_PROXY=http://bob:hunter2@proxy.corp:3128")
	if r := h.run(t, "check", "--skip", "caller-identity", "--ssh-config", cfg); r.code != 0 || !strings.Contains(r.stdout, "! no HTTPS proxy") {
		t.Fatalf("a warning alone: exit %d\n%s", r.code, r.stdout)
	}
	r := h.run(t, "check", "--skip", "caller-identity", "--strict", "--ssh-config", cfg)
	if r.code != 1 {
		t.Fatalf("--strict: exit %d", r.code)
	}
	if strings.Contains(r.stdout, "hunter2") {
		t.Fatal("proxy password printed")
	}
}

func TestCheckCLIUsageErrorsExit2(t *testing.T) {
	h := newCheckHome(t)
	for _, args := range [][]string{
		{"check", "i-0abc;rm -rf ~"},
		{"check", "$(id)"},
		{"check", "web server"},
		{"check", "--", "-oProxyCommand=x"},
		{"check", "--format", "xml"},
		{"check", "--filter", "Name=web"},
		{"check", "--all", "i-0123456789abcdef0"},
		{"check", "--skip", "no-such-check"},
		{"check", "--port", "70000"},
		{"check", "--user", "root;id"},
		{"check", "--no-such-flag"},
		{"check", "i-0123456789abcdef0", "--", "--verbose"},
		{"check", "i-0123456789abcdef0", "--format"},
	} {
		r := h.run(t, args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") || r.stdout != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestCheckCLIInternalErrorExit3(t *testing.T) {
	requireSSH(t)
	h := newCheckHome(t)
	cfg := h.healthy(t)
	r := h.run(t, "check", "--skip", "caller-identity", "--ssh-config", cfg, "--output", filepath.Join(h.dir, "no", "such", "dir", "out.json"))
	if r.code != 3 || !strings.Contains(r.stderr, "open --output file") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCheckCLIOverallTimeoutExit3(t *testing.T) {
	h := newCheckHome(t)
	r := h.run(t, "--timeout", "1ns", "check", "--skip", "caller-identity", "--format", "json")
	if r.code != 3 || !strings.Contains(r.stderr, "--timeout 1ns ran out") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if c := jsonCheck(t, r.stdout, "ssh-client"); c["status"] != "error" {
		t.Fatalf("the report still shows what did not finish: %v", c)
	}
}

func TestCheckCLIListChecks(t *testing.T) {
	h := newCheckHome(t)
	r := h.run(t, "check", "--list-checks")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "DEPENDS ON") {
		t.Fatalf("header: %q", lines[0])
	}
	var sawDep bool
	for _, id := range []string{"credentials", "region", "ssh-client", "ssh-config", "ssh-identity", "session-manager-plugin", "proxy-env"} {
		if !strings.Contains(r.stdout, "\n"+id+" ") {
			t.Errorf("%s not listed", id)
		}
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "ssh-identity ") && strings.HasSuffix(l, "ssh-config") {
			sawDep = true
		}
	}
	if !sawDep {
		t.Errorf("dependency column:\n%s", r.stdout)
	}
}

func TestCheckCLIMalformedSSHConfig(t *testing.T) {
	requireSSH(t)
	h := newCheckHome(t)
	bad := h.write(t, ".ssh/config", "Host i-*\n  ProxyCommand\n", 0o600)
	r := h.run(t, "check", "--skip", "caller-identity", "--ssh-config", bad, "--format", "json")
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	c := jsonCheck(t, r.stdout, "ssh-config")
	if c["status"] != "fail" || !strings.Contains(strings.Join(toStrings(c["details"]), "\n"), `no argument after keyword "proxycommand"`) {
		t.Fatalf("ssh-config: %v", c)
	}
	if c := jsonCheck(t, r.stdout, "ssh-identity"); c["status"] != "skip" || c["message"] != "prerequisite ssh-config failed" {
		t.Fatalf("ssh-identity: %v", c)
	}
}

// As root a mode-000 file stays readable, so "unreadable" is a config ssh
// cannot open at all: a dangling symlink.
func TestCheckCLIUnreadableSSHConfig(t *testing.T) {
	requireSSH(t)
	h := newCheckHome(t)
	cfg := filepath.Join(h.dir, ".ssh", "config")
	if os.Geteuid() == 0 {
		if err := os.Symlink(filepath.Join(h.dir, "gone"), cfg); err != nil {
			t.Fatal(err)
		}
	} else {
		h.write(t, ".ssh/config", goodSSHConfig, 0o000)
	}
	r := h.run(t, "check", "--skip", "caller-identity", "--ssh-config", cfg, "--format", "json")
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	c := jsonCheck(t, r.stdout, "ssh-config")
	if c["status"] != "fail" || !strings.Contains(strings.Join(toStrings(c["details"]), "\n"), "config") {
		t.Fatalf("ssh-config: %v", c)
	}
}

func TestCheckCLISSHMissingFromPath(t *testing.T) {
	h := newCheckHome(t)
	h.path = t.TempDir() // an empty directory: no ssh anywhere
	r := h.run(t, "check", "--skip", "caller-identity", "--format", "json")
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if c := jsonCheck(t, r.stdout, "ssh-client"); c["status"] != "fail" || c["message"] != "ssh is not on PATH" {
		t.Fatalf("ssh-client: %v", c)
	}
	if c := jsonCheck(t, r.stdout, "ssh-config"); c["status"] != "skip" {
		t.Fatalf("ssh-config: %v", c)
	}
}

func TestCheckCLIOutputFileAndFormats(t *testing.T) {
	requireSSH(t)
	h := newCheckHome(t)
	cfg := h.healthy(t)
	out := filepath.Join(h.dir, "report.xml")
	r := h.run(t, "check", "--skip", "caller-identity", "--ssh-config", cfg, "--format", "junit", "--output", out, "--verbose")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "[local 1/") || !strings.Contains(r.stderr, "ssh-config: pass") {
		t.Fatalf("--verbose progress on stderr: %q", r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(b, []byte(`<testsuite name="ssmdoctor check (no target)"`)) || !bytes.Contains(b, []byte(`failures="0"`)) {
		t.Fatalf("%v\n%s", err, b)
	}
	r = h.run(t, "check", "--skip", "caller-identity", "--ssh-config", cfg, "--format", "github", "--skip", "proxy-env")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "::notice title=ssmdoctor check::6 passed, 0 warnings, 0 failed") {
		t.Fatalf("github: exit %d %q", r.code, r.stdout)
	}
}

func jsonCheck(t *testing.T, out, id string) map[string]any {
	t.Helper()
	var doc struct {
		Targets []struct {
			Checks []map[string]any `json:"checks"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, c := range doc.Targets[0].Checks {
		if c["id"] == id {
			return c
		}
	}
	t.Fatalf("no check %s in\n%s", id, out)
	return nil
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// startCheckSim serves a small account on loopback: one running instance
// named web, two named twin, and a root access key for the CLI.
func startCheckSim(t *testing.T) string {
	t.Helper()
	st, err := awssim.ParseScenario([]byte(`{
		"AccountId": "111122223333", "DefaultRegion": "eu-west-1", "Regions": ["eu-west-1", "us-east-1"],
		"AccessKeys": {"AKIAEXAMPLEEXAMPLE00": {"AccessKeyId": "AKIAEXAMPLEEXAMPLE00", "SecretAccessKey": "fake-secret-for-cli-tests", "Root": true, "Status": "Active"}},
		"Instances": {
			"i-0aaaaaaaaaaaaaaaa": {"InstanceId": "i-0aaaaaaaaaaaaaaaa", "Region": "eu-west-1", "State": "running", "Tags": [{"Key": "Name", "Value": "web"}]},
			"i-0bbbbbbbbbbbbbbbb": {"InstanceId": "i-0bbbbbbbbbbbbbbbb", "Region": "eu-west-1", "State": "running", "Tags": [{"Key": "Name", "Value": "twin"}]},
			"i-0cccccccccccccccc": {"InstanceId": "i-0cccccccccccccccc", "Region": "eu-west-1", "State": "stopped", "Tags": [{"Key": "Name", "Value": "twin"}]},
			"i-0dddddddddddddddd": {"InstanceId": "i-0dddddddddddddddd", "Region": "us-east-1", "State": "running"}
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	sim := simtest.Start(t, st, awssim.Options{Logf: t.Logf})
	return sim.URL()
}

func TestCheckCLITargetResolution(t *testing.T) {
	h := newCheckHome(t)
	h.env = append(h.env, "AWS_ENDPOINT_URL="+startCheckSim(t)) // later entries win
	cases := []struct {
		args   []string
		code   int
		stderr []string
	}{
		{[]string{"i-0eeeeeeeeeeeeeeee"}, 1, []string{`error: check: no instance matches "i-0eeeeeeeeeeeeeeee" in eu-west-1`}},
		// With --region, only that region is asked.
		{[]string{"--region", "eu-west-1", "i-0dddddddddddddddd"}, 1, []string{`no instance matches "i-0dddddddddddddddd" in eu-west-1`, "leave --region out to search every region"}},
		{[]string{"twin"}, 2, []string{`"twin" matches 2 instances`, "i-0bbbbbbbbbbbbbbbb (twin, running)", "hint: name the instance by its id"}},
		{[]string{"--filter", "tag:Name=nobody"}, 1, []string{"no instance matches the selection"}},
	}
	for _, c := range cases {
		r := h.run(t, append([]string{"check", "--skip", "caller-identity"}, c.args...)...)
		if r.code != c.code || r.stdout != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q", c.args, r.code, r.stdout, r.stderr)
			continue
		}
		for _, want := range c.stderr {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, want, r.stderr)
			}
		}
	}
	// Without --region, an instance of another region is found there and
	// checked there.
	r := h.run(t, "check", "--skip", "caller-identity", "--format", "json", "i-0dddddddddddddddd")
	var other struct {
		Targets []struct{ Input, InstanceID, Region string } `json:"targets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &other); err != nil || len(other.Targets) != 1 || other.Targets[0].Region != "us-east-1" {
		t.Fatalf("another region: exit %d %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	// A name resolves to its instance, which the report names.
	r = h.run(t, "check", "--skip", "caller-identity", "--format", "json", "web")
	if r.code == 2 || r.code == 3 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Targets []struct{ Input, InstanceID, Region string } `json:"targets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Targets) != 1 {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if got := doc.Targets[0]; got.Input != "web" || got.InstanceID != "i-0aaaaaaaaaaaaaaaa" || got.Region != "eu-west-1" {
		t.Fatalf("target %+v", got)
	}
}
