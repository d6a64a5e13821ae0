package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlagsFirst(t *testing.T) {
	app := newApp(systemDeps(nil, io.Discard, io.Discard))
	for _, c := range []struct{ in, want string }{
		{"check i-0abc --format json", "check --format json i-0abc"},
		{"check i-0abc --format=json web --probe", "check --format=json --probe i-0abc web"},
		{"check i-0abc --skip ssh-config --skip proxy-env web", "check --skip ssh-config --skip proxy-env i-0abc web"},
		// A value that looks like a target stays with its flag.
		{"check --user alice i-0abc --port 2222", "check --user alice --port 2222 i-0abc"},
		// Global flags before the command are skipped, with their values.
		{"--region eu-west-1 check i-0abc --strict", "--region eu-west-1 check --strict i-0abc"},
		{"--no-color check web --region us-east-1", "--no-color check --region us-east-1 web"},
		// "--" ends the flags: what follows stays a target.
		{"check i-0abc -- --format json", "check -- i-0abc --format json"},
		{"check i-0abc --strict -- -x", "check --strict -- i-0abc -x"},
		// A flag missing its value at the end is left for the parser to report.
		{"check i-0abc --format", "check --format i-0abc"},
		{"fix i-0abc --dry-run --yes", "fix --dry-run --yes i-0abc"},
		{"fix web --start i-0abc -y", "fix --start i-0abc -y web"},
		// Other commands keep their arguments: after ssh's target they are ssh's.
		{"ssh i-0abc -- ls -l", "ssh i-0abc -- ls -l"},
		{"proxy i-0abc 22 --region x", "proxy i-0abc 22 --region x"},
		{"--region x", "--region x"},
		{"check", "check"},
	} {
		in := append([]string{"ssmdoctor"}, strings.Fields(c.in)...)
		got := strings.Join(flagsFirst(app, in)[1:], " ")
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

// inProcessAWS points the SDK of this process at url with the simulator's
// demo administrator, and HOME at an empty directory.
func inProcessAWS(t *testing.T, url, keyID, secret string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"HOME": home, "AWS_CONFIG_FILE": filepath.Join(home, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "aws-credentials"),
		"AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL": url, "NO_COLOR": "1",
	} {
		t.Setenv(k, v)
	}
	return home
}

type runResult struct {
	code           int
	stdout, stderr string
}

func runInProcess(t *testing.T, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), append([]string{"ssmdoctor"}, args...), strings.NewReader(""), &stdout, &stderr)
	return runResult{code, stdout.String(), stderr.String()}
}

// Flags typed after the targets are read as flags by check and fix, all the
// way through run(); "--" still makes what follows a target.
func TestCheckAndFixFlagsAfterTargets(t *testing.T) {
	inProcessAWS(t, startCheckSim(t), "AKIAEXAMPLEEXAMPLE00", "fake-secret-for-cli-tests")

	r := runInProcess(t, "check", "i-0aaaaaaaaaaaaaaaa", "--format", "json", "--skip", "caller-identity", "--deterministic")
	if r.code == exitUsage || r.code == exitInternal {
		t.Fatalf("check TARGET --format json: exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		SchemaVersion int `json:"schemaVersion"`
		Targets       []struct {
			InstanceID string `json:"instanceId"`
			Checks     []struct{ ID, Status, Message string }
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.SchemaVersion != 1 || len(doc.Targets) != 1 {
		t.Fatalf("--format after the target was not honoured: %v\n%s", err, r.stdout)
	}
	if doc.Targets[0].InstanceID != "i-0aaaaaaaaaaaaaaaa" {
		t.Fatalf("target %+v", doc.Targets[0])
	}
	for _, c := range doc.Targets[0].Checks {
		if c.ID == "caller-identity" && (c.Status != "skip" || c.Message != "skipped by --skip") {
			t.Fatalf("--skip after the target was not honoured: %+v", c)
		}
	}

	// fix: --ssh-config and --dry-run after the selector; nothing is
	// written. (--ssh-config takes no TARGET: see cmd_fix_hostile_test.go.)
	home := os.Getenv("HOME")
	setPasswdHome(t, home)
	r = runInProcess(t, "fix", "--ssh-config", "--via", "native", "--dry-run")
	if r.code != exitOK || !strings.Contains(r.stdout, "dry run: nothing changed") {
		t.Fatalf("fix --ssh-config --dry-run: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh", "ssmdoctor.conf")); !os.IsNotExist(err) {
		t.Fatalf("--dry-run wrote the file: %v", err)
	}

	for _, args := range [][]string{
		{"check", "i-0aaaaaaaaaaaaaaaa", "--", "--format", "json"}, // --format is a (malformed) target
		{"check", "i-0aaaaaaaaaaaaaaaa", "--format"},               // no value
		{"check", "web", "--format", "xml"},
		{"check", "web", "--all"},
		{"fix", "web", "--start", "i-0aaaaaaaaaaaaaaaa"}, // --start names its target; web is extra
		{"fix", "web", "--ssh-config"},                   // the ssh config serves every instance: no TARGET
	} {
		r := runInProcess(t, args...)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, "error: ") || r.stdout != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	r = runInProcess(t, "check", "web", "--", "--format")
	if !strings.Contains(r.stderr, `malformed target "--format"`) {
		t.Errorf("after --: %q", r.stderr)
	}
}
