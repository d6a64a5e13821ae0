package main

import (
	"strings"
	"testing"
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
