package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Hostile or careless fix flags: each is a usage error (exit 2, "error:"
// on stderr, nothing on stdout) before anything is read, asked or
// written; the homes stay as they were.
func TestFixHostileFlagsExit2(t *testing.T) {
	home := inProcessAWS(t, "http://127.0.0.1:1", "AKIAEXAMPLEEXAMPLE00", "fake-secret-for-cli-tests")
	passwd := t.TempDir()
	setPasswdHome(t, passwd)
	if err := os.MkdirAll(filepath.Join(passwd, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(passwd, ".ssh", "config"), []byte("Host web\n  User alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, beforeHome := treeOf(t, passwd), treeOf(t, home)
	long := strings.Repeat("r", 65)
	for _, c := range []struct {
		args []string
		want string // in the error line
		hint string
	}{
		{[]string{"--ssh-config", "--profile", "x'\nHost *\n  ProxyCommand touch /tmp/pwn\n#"}, "may only hold letters, digits and . _ - + @", "profile names may hold"},
		{[]string{"--ssh-config", "--profile", "a%d"}, `profile name "a%d" may only hold`, ""},
		{[]string{"--ssh-config", "--profile", "it's"}, "may only hold", ""},
		{[]string{"--ssh-config", "--profile", "$(touch /tmp/pwn)"}, "may only hold", ""},
		{[]string{"--profile", "dev;id", "fix", "--ssh-config"}, "may only hold", ""},
		{[]string{"--ssh-config", "--region", "eu-west-1\nHost *"}, "is not a region name such as eu-west-1", ""},
		{[]string{"--ssh-config", "--region", "eu-west-1 --profile admin"}, "is not a region name", ""},
		{[]string{"--ssh-config", "--region", "%h"}, "is not a region name", ""},
		{[]string{"--ssh-config", "extra"}, `--ssh-config takes no TARGET, got "extra"`, ""},
		{[]string{"--user-policy", "--attach", "bogus"}, `malformed --attach "bogus"`, "user/NAME, role/NAME or group/NAME"},
		{[]string{"--user-policy", "--attach", "user/"}, "malformed --attach", ""},
		{[]string{"--user-policy", "--tag", "noequals"}, `malformed --tag "noequals"`, "KEY=VALUE"},
		{[]string{"--user-policy", "--tag", "=v"}, "malformed --tag", "KEY=VALUE"},
		{[]string{"--user-policy", "--instances", "not-an-arn"}, `--instances "not-an-arn" is not an EC2 instance or managed-instance ARN`, "arn:aws:ec2:REGION:ACCOUNT:instance/i-"},
		{[]string{"--user-policy", "--instances", "arn:aws:s3:::bucket/*"}, "is not an EC2 instance", ""},
		{[]string{"--user-policy", "--instances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1\"}],\"x\":[\""}, "is not an EC2 instance", ""},
		{[]string{"--user-policy", "--instances", "arn:aws:ec2:us-east-1:123456789012:instance/*", "--tag", "a=b"}, "mutually exclusive", ""},
		{[]string{"--instance-role", "i-0123456789abcdef0", "--role-name", "a/b"}, `--role-name "a/b" is not a valid IAM role name`, "1-64"},
		{[]string{"--instance-role", "i-0123456789abcdef0", "--role-name", long}, "is not a valid IAM role name", ""},
		{[]string{"--instance-role", "i-0123456789abcdef0", "--profile-name", strings.Repeat("p", 129)}, "is not a valid IAM instance profile name", "1-128"},
		{[]string{"--instance-role", "i-0123456789abcdef0", "--profile-name", "with space"}, "is not a valid IAM instance profile name", ""},
	} {
		args := c.args
		if args[0] != "--profile" {
			args = append([]string{"fix"}, args...)
		}
		r := runInProcess(t, append(args, "--yes")...)
		if r.code != exitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "\nhint: ") || !strings.Contains(r.stderr, c.hint) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
		if strings.Count(r.stderr, "\n") != 2 {
			t.Errorf("%q: the error spans lines: %q", args, r.stderr)
		}
	}
	if !sameTree(before, treeOf(t, passwd)) || !sameTree(beforeHome, treeOf(t, home)) {
		t.Fatal("files changed")
	}
}

// The ARNs --instances accepts: EC2 and managed instances, with wildcards.
func TestFixInstanceArnForm(t *testing.T) {
	for _, ok := range []string{
		"arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0",
		"arn:aws:ec2:*:123456789012:instance/*",
		"arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0abc*",
		"arn:aws:ssm:eu-west-1:123456789012:managed-instance/mi-0123456789abcdef0",
		"arn:aws-cn:ssm:cn-north-1:123456789012:managed-instance/*",
	} {
		if !instanceArnRE.MatchString(ok) {
			t.Errorf("refused %q", ok)
		}
	}
	for _, bad := range []string{"not-an-arn", "*", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", "arn:aws:ssm:us-east-1:123456789012:document/AWS-RunShellScript",
		"arn:aws:ec2:us-east-1:123456789012:instance/i-1 ", "arn:aws:ec2:us-east-1:123456789012:instance/"} {
		if instanceArnRE.MatchString(bad) {
			t.Errorf("accepted %q", bad)
		}
	}
}

// Only what the user typed reaches the ssh config: AWS_PROFILE and
// AWS_REGION at fix time are not written (no region is pinned unless
// --region is given); typed values are.
func TestFixSSHConfigWritesOnlyTypedValues(t *testing.T) {
	home := inProcessAWS(t, "http://127.0.0.1:1", "AKIAEXAMPLEEXAMPLE00", "fake-secret-for-cli-tests")
	setPasswdHome(t, home)
	t.Setenv("AWS_PROFILE", "envprofile")
	t.Setenv("AWS_REGION", "ap-south-1")
	t.Setenv("AWS_DEFAULT_REGION", "ap-south-2")
	own := filepath.Join(home, ".ssh", "ssmdoctor.conf")
	r := runInProcess(t, "fix", "--ssh-config", "--yes")
	b, err := os.ReadFile(own)
	if err != nil {
		t.Fatalf("exit %d, no %s: %v\n%s", r.code, own, err, r.stderr)
	}
	if pc := string(b); strings.Contains(pc, "envprofile") || strings.Contains(pc, "ap-south") || strings.Contains(pc, "--region") || strings.Contains(pc, "--profile") ||
		!regexp.MustCompile(`\n    ProxyCommand \S+ proxy %h %p\n$`).MatchString(pc) {
		t.Fatalf("the environment was written into the config:\n%s", pc)
	}
	r = runInProcess(t, "--region", "eu-west-1", "fix", "--ssh-config", "--profile", "dev", "--yes")
	if b, _ = os.ReadFile(own); !strings.HasSuffix(string(b), " proxy --profile dev --region eu-west-1 %h %p\n") {
		t.Fatalf("typed values: exit %d\n%s\n%s", r.code, b, r.stderr)
	}
}

// $HOME is not the passwd home (a container job, sudo -E): fix edits the
// config ssh reads, in the passwd home, says which and why, and leaves
// $HOME alone; a second run is then "already configured".
func TestFixSSHConfigEditsPasswdHome(t *testing.T) {
	envHome := inProcessAWS(t, "http://127.0.0.1:1", "AKIAEXAMPLEEXAMPLE00", "fake-secret-for-cli-tests")
	passwd := t.TempDir()
	setPasswdHome(t, passwd)
	before := treeOf(t, envHome)
	r := runInProcess(t, "fix", "--ssh-config", "--yes")
	cfg := filepath.Join(passwd, ".ssh", "config")
	want := "note: editing " + cfg + ", the file ssh reads (your passwd home); $HOME is " + envHome
	if !strings.Contains(r.stdout, want) {
		t.Fatalf("exit %d, no %q\n%s\n%s", r.code, want, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(cfg); err != nil || !strings.Contains(string(b), "\nInclude ssmdoctor.conf\n") {
		t.Fatalf("%s: %q, %v", cfg, b, err)
	}
	if _, err := os.Stat(filepath.Join(passwd, ".ssh", "ssmdoctor.conf")); err != nil {
		t.Fatal(err)
	}
	if !sameTree(before, treeOf(t, envHome)) {
		t.Fatalf("$HOME changed: %v", treeOf(t, envHome))
	}
	r = runInProcess(t, "fix", "--ssh-config", "--yes")
	if !strings.Contains(r.stdout, "already configured: "+cfg+" includes ssmdoctor.conf first") || !strings.Contains(r.stdout, want) {
		t.Fatalf("second run:\n%s\n%s", r.stdout, r.stderr)
	}
}

// Every fix that changes the account names, before its plan, the
// principal and the region it acts as.
func TestFixNamesPrincipalAndRegion(t *testing.T) {
	fixDemoInProcess(t)
	acting := regexp.MustCompile(`^acting as arn:aws:iam::[0-9]{12}:(user|root)\S* in us-east-1\n== `)
	for _, args := range [][]string{
		{"fix", "--start", testStoppedInstanceID, "--dry-run"},
		{"fix", "--hybrid-tier", "--dry-run"},
		{"fix", "--user-policy", "--attach", "user/bob", "--dry-run"},
		{"fix", "--instance-role", "i-0bad0000000000003", "--dry-run"},
	} {
		r := runInProcess(t, args...)
		if r.code != 0 || !acting.MatchString(r.stdout) {
			t.Errorf("%q: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := runInProcess(t, "fix", "--ssh-config", "--dry-run"); strings.Contains(r.stdout, "acting as") {
		t.Errorf("the ssh config fix acts on no account:\n%s", r.stdout)
	}
}
