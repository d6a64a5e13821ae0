package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/golden"
)

// TestListChecksGolden pins the catalogue as users list it, in both
// forms: a renamed or reordered check is a reviewed change.
func TestListChecksGolden(t *testing.T) {
	for _, f := range []string{"human", "json"} {
		r := runInProcess(t, "check", "--list-checks", "--format", f)
		if r.code != exitOK || r.stderr != "" {
			t.Fatalf("--list-checks --format %s: exit %d stderr %q", f, r.code, r.stderr)
		}
		golden.Assert(t, "golden/list-checks."+map[string]string{"human": "txt", "json": "json"}[f], []byte(r.stdout))
	}
}

// TestErrorLinesGolden pins the error: and hint: lines, and the exit
// code, of the main failures a user meets before any AWS call: each is
// one error line naming the operation and a hint with the next step, on
// stderr, with nothing on stdout.
func TestErrorLinesGolden(t *testing.T) {
	// No AWS is reachable: a closed loopback port answers at once.
	inProcessAWS(t, "http://127.0.0.1:1", "AKIAEXAMPLEEXAMPLE00", "fake-secret-for-cli-tests")
	cases := [][]string{
		{"chek"},
		{"frobnicate"},
		{"check", "--bogus"},
		{"check", "--format", "xml"},
		{"check", "web;id"},
		{"check", strings.Repeat("x", 300)},
		{"check", "web", "--all"},
		{"check", "--filter", "Role=web"},
		{"check", "--skip", "nope"},
		{"check", "--port", "0", "web"},
		{"check", "--list-checks", "--format", "junit"},
		{"--timeout", "-1s", "check"},
		{"--profile", "a b", "check"},
		{"--region", "US-EAST-1", "check"},
		{"proxy"},
		{"proxy", "web", "http"},
		{"proxy", "--chunk-size", "0", "web", "22"},
		{"proxy", "--window", "99999", "web", "22"},
		{"proxy", "--bogus", "web", "22"},
		{"sim", "--bogus"},
		{"sim", "extra"},
		{"demo", "extra"},
		{"fix", "--ssh-config", "--dhmc"},
		{"fix", "--start", "i-0123456789abcdef0", "extra"},
		{"check", "--on-instance-script", "web"},
		{"check", "--on-instance", "--on-instance-timeout", "0s", "web"},
		{"check", "--stream-endpoint", "ftp://x", "web"},
		{"fix", "--authorize-key", "web", "--user", "bad user"},
		{"fix", "--authorize-key", "web", "--sshd-config", "etc/ssh/sshd_config"},
		{"fix", "--install-eic", "web", "--user", "ubuntu"},
		{"fix", "--authorize-key", "web", "--key", "/nonexistent/id.pub"},
		{"ssh", "--bogus", "web"},
		{"ssh", "web;id"},
	}
	var b strings.Builder
	for _, args := range cases {
		r := runInProcess(t, args...)
		if r.stdout != "" {
			t.Errorf("%q wrote to stdout: %q", args, r.stdout)
		}
		if !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, "\nhint: ") {
			t.Errorf("%q: stderr is not an error line and a hint: %q", args, r.stderr)
		}
		fmt.Fprintf(&b, "$ ssmdoctor %s\n%sexit %d\n\n", quoteArgs(args), r.stderr, r.code)
	}
	golden.Assert(t, "golden/error-lines.txt", []byte(b.String()))
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
