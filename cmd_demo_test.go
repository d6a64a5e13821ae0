package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestDemoShowsEveryKindOfFinding runs the README's first command in-process
// and checks that each problem instance and each user's finding appears.
func TestDemoShowsEveryKindOfFinding(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no ssh config of the machine's user leaks in
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"ssmdoctor", "demo", "--no-color"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("demo exited %d\nstderr: %s\nstdout: %s", code, stderr.String(), stdout.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"ssmdoctor check --all",
		"Its instances, one per kind of problem:",
		"demo-connection-lost", "mi-0c0ffee0000000001",
		"as bob", "as carol", "as dave",
		"failed: demo-stopped (i-0ff00000000000008)",                                               // stopped
		"i-0bad0000000000003",                                                                      // no instance profile
		"warned: demo-legacy-role (i-0bad0000000000005)",                                           // legacy AmazonEC2RoleforSSM
		"failed: demo-old-agent (i-0bad0000000000002)",                                             // old agent
		"no policy allows ssm:StartSession on arn:aws:ssm:us-east-1::document/AWS-StartSSHSession", // bob
		"explicitly denied",                                                                        // carol
		"evaluated offline",                                                                        // dave
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("demo printed colour codes despite --no-color")
	}
}

// The demo hands check the simulator's world through the seam: whatever
// the user's shell holds for AWS (a profile that does not exist, another
// region, real keys) neither breaks it nor leaks into it, and the
// process's environment is the same afterwards.
func TestDemoIgnoresTheUsersAWSEnvironment(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for k, v := range map[string]string{"AWS_PROFILE": "nosuch", "AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "AKIAREALKEY000000000",
		"AWS_SECRET_ACCESS_KEY": "real-secret-of-the-user", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_CONFIG_FILE": "/nonexistent"} {
		t.Setenv(k, v)
	}
	before := strings.Join(os.Environ(), "\n")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"ssmdoctor", "demo", "--no-color"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("demo with the user's AWS_* set exited %d\nstderr: %s\nstdout: %s", code, stderr.String(), stdout.String())
	}
	out := stdout.String()
	for _, want := range []string{"IAM user bob in account 123456789012", "us-east-1 (from AWS_REGION)"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, leak := range []string{"nosuch", "eu-central-1", "AKIAREALKEY", "real-secret"} {
		if strings.Contains(out+stderr.String(), leak) {
			t.Errorf("the user's %q reached the demo's output", leak)
		}
	}
	if after := strings.Join(os.Environ(), "\n"); after != before {
		t.Error("the demo changed the process environment")
	}
}

// TestDemoLooksInside: the demo's instances whose trouble is inside each
// fail the on-instance check they exist for, and the workstation's key
// (put on the demo's instances) is authorized where it should be.
func TestDemoLooksInside(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	setPasswdHome(t, home)
	if err := os.MkdirAll(home+"/.ssh", 0o700); err != nil {
		t.Fatal(err)
	}
	// A fresh key: neither the demo image's nor the "someone else" one.
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(edPub)
	if err != nil {
		t.Fatal(err)
	}
	pub := string(ssh.MarshalAuthorizedKey(sshPub))
	if err := os.WriteFile(home+"/.ssh/id_ed25519.pub", []byte(pub), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"ssmdoctor", "demo", "--no-color"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("demo exited %d\nstderr: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"ssmdoctor check --on-instance i-0a11600d000000001",
		"failed: demo-sshd-stopped (i-0bad000000000000f)",
		"failed: demo-ubuntu (i-0bad0000000000010)",
		"failed: demo-key-not-authorized (i-0bad000000000000d)",
		"failed: demo-no-eic (i-0bad000000000000e)",
		"the key ssh offers is authorized for the OS user (--on-instance): 1 failed, 1 skipped, 2 passed",
		"failed: demo-connection-lost (i-0bad0000000000006)", // instance-status, among others
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if testing.Verbose() {
		t.Log(out)
	}
	if strings.Contains(out, strings.Fields(pub)[1][20:50]) {
		t.Error("the demo printed a public key, not only its fingerprint")
	}
}
