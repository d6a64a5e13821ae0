package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// ssh and scp parse their own options, so --help must be handled there
// and must never reach AWS or OpenSSH: no credentials, no ssh binary
// needed, exit 0, usage on stdout.
func TestSSHSCPHelp(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_PROFILE", "")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"ssh", "--help"}, []string{"Usage:\n  ssmdoctor ssh", "--ephemeral-key", "--no-preflight", "goes to ssh unchanged", "Examples:", "ssmdoctor ssh -L 8080:localhost:80"}},
		{[]string{"ssh", "-h"}, []string{"Usage:\n  ssmdoctor ssh"}},
		{[]string{"ssh", "--profile", "prod", "-v", "--help", "web", "true"}, []string{"Usage:\n  ssmdoctor ssh"}},
		{[]string{"--region", "eu-west-1", "ssh", "--help"}, []string{"Usage:\n  ssmdoctor ssh"}},
		{[]string{"scp", "--help"}, []string{"Usage:\n  ssmdoctor scp", "[user@]TARGET:path", "goes to scp unchanged", "Examples:", "ssmdoctor scp ./build.tar.gz"}},
		{[]string{"scp", "-r", "-h"}, []string{"Usage:\n  ssmdoctor scp"}},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"ssmdoctor"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("%q: exit %d, stderr:\n%s", tc.args, code, stderr.String())
		}
		if stderr.Len() != 0 {
			t.Fatalf("%q: stderr not empty:\n%s", tc.args, stderr.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout.String(), w) {
				t.Fatalf("%q: stdout lacks %q:\n%s", tc.args, w, stdout.String())
			}
		}
	}
}

// After the target, --help belongs to the remote command, and a usage
// error still points at the help.
func TestSSHHelpOnlyBeforeTarget(t *testing.T) {
	p, err := parseSSHArgs([]string{"web", "grep", "--help"})
	if err != nil || p.ours.help || p.target != "web" || !sameArgs(p.command, []string{"grep", "--help"}) {
		t.Fatalf("parsed %+v, %v", p, err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"ssmdoctor", "ssh"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "ssmdoctor ssh --help") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
}
