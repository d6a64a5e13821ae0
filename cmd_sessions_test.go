package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/internal/golden"
)

// Usage errors: exit 2, one error and one hint line, nothing on stdout,
// before any AWS call.
func TestSessionsUsageErrors(t *testing.T) {
	inProcessAWS(t, "http://127.0.0.1:1", "AKIAEXAMPLEEXAMPLE00", "fake-secret-for-cli-tests")
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"a", "b"}, "error: sessions: 2 targets given, want at most one\n"},
		{[]string{"--active", "--history"}, "error: sessions: --active and --history exclude each other\n"},
		{[]string{"--since", "yesterday"}, "error: sessions: invalid --since \"yesterday\": not a duration\n"},
		{[]string{"--since", "-3d"}, "error: sessions: invalid --since \"-3d\": days must be a whole number from 0 to 3650\n"},
		{[]string{"--since", "0s"}, "error: sessions: invalid --since \"0s\": must be more than 0\n"},
		{[]string{"--owner", "alice"}, "error: sessions: invalid --owner \"alice\"\n"},
		{[]string{"--format", "junit"}, "error: sessions: unknown --format \"junit\"\n"},
		{[]string{"--terminate", "x;rm -rf /"}, "error: sessions: invalid session id \"x;rm -rf /\"\n"},
		{[]string{"--terminate", "ops-1", "web-1"}, "error: sessions: --terminate takes a session id alone, without TARGET, --active, --history, --since or --owner\n"},
		{[]string{"--yes"}, "error: sessions: --yes without --terminate\n"},
		{[]string{"web;1"}, "error: "},
	} {
		r := runInProcess(t, append([]string{"sessions"}, c.args...)...)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != exitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, c.err) || len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("sessions %q: exit %d\nstdout %q\nstderr %q\nwant exit 2 and %q", c.args, r.code, r.stdout, r.stderr, c.err)
		}
	}
}

// sessionsSim serves the demo with a clock the test sets, and opens three
// sessions as the demo's admin: an SSH session and a shell session still
// open, and a port forwarding session ended by TerminateSession.
func sessionsSim(t *testing.T) (*awssim.Sim, map[string]string) {
	t.Helper()
	st := awssim.DemoScenario()
	var mu sync.Mutex
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	sim := simtest.Start(t, st, awssim.Options{Now: clock})
	cl := simtest.Clients(t, sim, st, awssim.DemoAccessKey, awsapi.Options{Region: "us-east-1"})
	ctx := context.Background()
	ids := map[string]string{}
	start := func(name, target, doc string, params map[string][]string) {
		in := &ssm.StartSessionInput{Target: aws.String(target), Parameters: params, Reason: aws.String("demo: " + name)}
		if doc != "" {
			in.DocumentName = aws.String(doc)
		}
		out, err := cl.SSM.StartSession(ctx, in)
		if err != nil {
			t.Fatalf("StartSession %s: %v", name, err)
		}
		ids[aws.ToString(out.SessionId)] = "SESSION-" + name
		advance(time.Minute)
	}
	start("forward", "i-0a11600d000000009", "AWS-StartPortForwardingSession", map[string][]string{"portNumber": {"5432"}, "localPortNumber": {"5432"}})
	start("ssh", "i-0a11600d000000001", "AWS-StartSSHSession", map[string][]string{"portNumber": {"22"}})
	start("shell", "i-0a11600d000000001", "", nil)
	for id, name := range ids {
		if name == "SESSION-forward" {
			if _, err := cl.SSM.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(id)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	inProcessAWS(t, sim.URL(), awssim.DemoAccessKey, awssim.DemoSecretKey)
	t.Setenv("AWS_REGION", "us-east-1")
	return sim, ids
}

var sessionIDs = regexp.MustCompile(`demo-admin-[0-9a-f]{17}`)

func stableIDs(s string, ids map[string]string) string {
	return sessionIDs.ReplaceAllStringFunc(s, func(id string) string {
		if n, ok := ids[id]; ok {
			// Padded to the id's length, so that the columns still align.
			return n + strings.Repeat("_", len(id)-len(n))
		}
		return id
	})
}

// The human and JSON lists of the demo's sessions (golden files): both
// states, newest first, the target's Name, the kind from the document,
// the reason; TARGET and the filters narrow them.
func TestSessionsListGolden(t *testing.T) {
	_, ids := sessionsSim(t)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"sessions-all.txt", nil},
		{"sessions-all.json", []string{"--format", "json"}},
		{"sessions-healthy-active.txt", []string{"demo-healthy", "--active"}},
		{"sessions-history-owner.txt", []string{"--history", "--owner", "arn:aws:iam::123456789012:user/demo-admin"}},
		{"sessions-none.txt", []string{"--owner", "arn:aws:iam::123456789012:user/alice"}},
	} {
		r := runInProcess(t, append([]string{"sessions"}, c.args...)...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("sessions %q: exit %d\n%s", c.args, r.code, r.stderr)
		}
		golden.Assert(t, "golden/"+c.golden, []byte(stableIDs(r.stdout, ids)))
	}
}

// Ctrl-C at the terminate prompt: 130, the session still open, no
// TerminateSession; "n" declines (1); "y" terminates.
func TestSessionsTerminatePrompt(t *testing.T) {
	sim, ids := sessionsSim(t)
	fakeStdinTerminal(t)
	var ssh string
	for id, n := range ids {
		if n == "SESSION-ssh" {
			ssh = id
		}
	}
	stdin, answer := io.Pipe()
	defer answer.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"ssmdoctor", "sessions", "--terminate", ssh}, stdin, &stdout, &stderr)
	}()
	waitFor(t, "the prompt", func() bool { return strings.Contains(stderr.String(), "[y/N]") }, &stderr)
	cancel()
	select {
	case code := <-done:
		if code != exitInterrupted || !strings.HasSuffix(stderr.String(), "error: sessions: interrupted at the prompt: nothing was terminated\n") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the prompt outlived Ctrl-C")
	}
	if !strings.Contains(stdout.String(), ssh+"  arn:aws:iam::123456789012:user/demo-admin  i-0a11600d000000001 (demo-healthy)  ssh") {
		t.Fatalf("the session was not shown before the prompt:\n%s", stdout.String())
	}
	answer.Write([]byte("y\n"))
	if n := sim.Calls("ssm.TerminateSession"); n != 1 { // the setup's one
		t.Fatalf("%d TerminateSession calls", n)
	}

	for _, c := range []struct {
		answer string
		code   int
		calls  int
	}{{"n\n", exitProblems, 1}, {"y\n", exitOK, 2}} {
		var out, errb lockedBuffer
		code := run(context.Background(), []string{"ssmdoctor", "sessions", "--terminate", ssh}, strings.NewReader(c.answer), &out, &errb)
		if code != c.code || sim.Calls("ssm.TerminateSession") != c.calls {
			t.Fatalf("answer %q: exit %d, %d calls\n%s%s", c.answer, code, sim.Calls("ssm.TerminateSession"), out.String(), errb.String())
		}
	}
}
