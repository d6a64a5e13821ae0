package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
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
