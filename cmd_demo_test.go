package main

import (
	"bytes"
	"context"
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
