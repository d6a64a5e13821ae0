package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// `ssmdoctor shell` end to end: the binary built in TestMain against an
// in-process simulator whose agent runs /bin/sh under a pseudo-terminal.

// startShellE2E is the e2e account with shell sessions enabled on e2eID
// (its scenario names /bin/sh), encrypted with a KMS key when kms is set.
func startShellE2E(t *testing.T, kms bool) *e2e {
	t.Helper()
	if ssmdoctorBin == "" {
		t.Fatal("the ssmdoctor binary could not be built (see TestMain output)")
	}
	st := e2eState()
	st.Instances[e2eID].Shell = "/bin/sh"
	if kms {
		st.SessionPreferences.KMSKeyID = kmsKeyID
	}
	var logMu sync.Mutex
	simLog := &bytes.Buffer{}
	sim, err := awssim.New(st, awssim.Options{Logf: func(f string, a ...any) {
		logMu.Lock()
		fmt.Fprintf(simLog, f+"\n", a...)
		logMu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	e := &e2e{t: t, sim: sim, home: t.TempDir(), tmp: t.TempDir(), simLog: simLog}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "TMPDIR=") ||
			strings.HasPrefix(kv, "XDG_CACHE_HOME=") || strings.HasPrefix(kv, "HTTP") || strings.HasPrefix(kv, "TMUX") {
			continue
		}
		e.env = append(e.env, kv)
	}
	e.env = append(e.env, "AWS_ENDPOINT_URL="+sim.URL(), "AWS_ACCESS_KEY_ID="+e2eKeyID, "AWS_SECRET_ACCESS_KEY="+e2eSecret,
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1",
		"HOME="+e.home, "TMPDIR="+e.tmp, "XDG_CACHE_HOME="+filepath.Join(e.home, ".cache"))
	return e
}

// Piped input: the commands run, their output reaches stdout, and the
// end of input ends the shell (Ctrl-D) when the script does not.
func TestShellPipedStdin(t *testing.T) {
	e := startShellE2E(t, false)
	r := e.run(strings.NewReader("echo hi; exit\n"), nil, "shell", e2eID)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstderr:\n%s\nsim:\n%s", r.code, r.stderr, e.simLog)
	}
	if !regexp.MustCompile(`(?m)^hi\r$`).MatchString(r.stdout) {
		t.Errorf("stdout has no line hi:\n%q", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr: %q, want nothing", r.stderr)
	}
	// No exit in the script: Ctrl-D after the input ends the shell.
	r = e.run(strings.NewReader("echo no-exit-$((2+3))\n"), nil, "shell", "web-0")
	if r.code != 0 || !strings.Contains(r.stdout, "no-exit-5\r\n") {
		t.Errorf("without exit: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestShellCommandFlag(t *testing.T) {
	e := startShellE2E(t, false)
	r := e.run(strings.NewReader(""), nil, "shell", "--command", "echo ran-$((3*3))", e2eID)
	if r.code != 0 || !strings.Contains(r.stdout, "ran-9\r\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(e.simLog.String(), "InteractiveCommands session: started") {
		t.Errorf("the simulator did not run an InteractiveCommands session:\n%s", e.simLog)
	}
	// Without a terminal on the agent's side: no \r, no echo.
	r = e.run(strings.NewReader(""), nil, "shell", "--document", "AWS-StartNonInteractiveCommand", "--command", "echo plain", e2eID)
	if r.code != 0 || r.stdout != "plain\n" {
		t.Fatalf("non-interactive: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestShellKMS(t *testing.T) {
	e := startShellE2E(t, true)
	r := e.run(strings.NewReader("echo sealed-$((6*7)); exit\n"), nil, "shell", e2eID)
	if r.code != 0 || !strings.Contains(r.stdout, "sealed-42\r\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q\nsim:\n%s", r.code, r.stdout, r.stderr, e.simLog)
	}
}

// Off by default: the agent-like failure, named, exit 1.
func TestShellNotEnabled(t *testing.T) {
	e := startShellE2E(t, false)
	e.sim.WithState(func(st *awssim.State) { st.Instances[e2eID].Shell = "" })
	r := e.run(strings.NewReader(""), nil, "shell", e2eID)
	if r.code != 1 || !strings.Contains(r.stderr, "Unable to start command: no shell on "+e2eID) || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q: want 1 and the agent's failure", r.code, r.stdout, r.stderr)
	}
}

// The preflight evaluates the document the session will use: a caller
// allowed only AWS-StartSSHSession may not open a shell.
func TestShellPreflightDocument(t *testing.T) {
	e := startShellE2E(t, false)
	e.sim.WithState(func(st *awssim.State) {
		st.Users["ops"].InlinePolicies["all"] = `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:TerminateSession","ssm:ResumeSession","ec2:Describe*","kms:*","sts:GetCallerIdentity","iam:SimulatePrincipalPolicy"],"Resource":"*"},
{"Effect":"Allow","Action":"ssm:StartSession","Resource":["arn:aws:ec2:us-east-1:123456789012:instance/*","arn:aws:ssm:us-east-1::document/AWS-StartSSHSession"]}]}`
	})
	r := e.run(strings.NewReader(""), nil, "shell", e2eID)
	if r.code != 1 || !strings.Contains(r.stderr, "no policy allows ssm:StartSession on arn:aws:ssm:us-east-1:123456789012:document/SSM-SessionManagerRunShell") {
		t.Fatalf("exit %d, stderr:\n%s\nwant the preflight to refuse SSM-SessionManagerRunShell", r.code, r.stderr)
	}
	if strings.Contains(e.simLog.String(), "StartSession 200") {
		t.Error("a session was started although the preflight failed")
	}
}

func TestShellUsageErrors(t *testing.T) {
	e := startShellE2E(t, false)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"shell"}, "error: shell: want one TARGET, got 0 arguments"},
		{[]string{"shell", e2eID, "extra"}, "error: shell: want one TARGET, got 2 arguments"},
		{[]string{"shell", "--document", "bad name!", e2eID}, `error: shell: invalid --document "bad name!"`},
		{[]string{"shell", "--command", "", e2eID}, "error: shell: --command needs a command"},
		{[]string{"shell", "--connect-timeout", "0s", e2eID}, "error: invalid --connect-timeout 0s"},
	} {
		r := e.run(strings.NewReader(""), nil, tc.args...)
		if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, tc.want) || !strings.Contains(r.stderr, "\nhint: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2, nothing on stdout, %q and a hint", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

// Every step of the setup has a deadline: a silent AWS endpoint, a
// silent data channel host, and an agent that sends nothing at all.
func TestShellSetupDeadlines(t *testing.T) {
	const id = "i-0123456789abcdef0"
	t.Run("endpoint", func(t *testing.T) {
		addr := silentHost(t)
		timeoutEnv(t, "http://"+addr)
		r, took := runWithin(t, 30*time.Second, "shell", "--connect-timeout", "1s", id)
		want := "error: ec2 DescribeInstances: no answer within 1s from " + addr + " (response)\n"
		if r.code != exitInternal || r.stdout != "" || !strings.Contains(r.stderr, want) || took > 20*time.Second {
			t.Errorf("exit %d after %v, stdout %q, stderr:\n%s\nwant exit 3 and %q", r.code, took, r.stdout, r.stderr, want)
		}
	})
	t.Run("data channel", func(t *testing.T) {
		st := e2eState()
		st.Instances[id].Shell = "/bin/sh"
		sim := simtest.Start(t, st, awssim.Options{Logf: func(string, ...any) {}})
		timeoutEnv(t, sim.URL())
		addr := silentHost(t)
		r, took := runWithin(t, 40*time.Second, "shell", "--connect-timeout", "1s", "--no-preflight", "--stream-endpoint", "https://"+addr, id)
		want := "error: session on " + id + ": open data channel: no answer within 1s from " + addr + "\n"
		if r.code != exitInternal || r.stdout != "" || !strings.Contains(r.stderr, want) || took > 20*time.Second {
			t.Errorf("exit %d after %v, stdout %q, stderr:\n%s\nwant exit 3 and %q", r.code, took, r.stdout, r.stderr, want)
		}
		if n := sim.Calls("ssm.TerminateSession"); n != 1 {
			t.Errorf("%d TerminateSession calls, want 1: the session must not be left open", n)
		}
	})
	t.Run("silent agent", func(t *testing.T) {
		st := e2eState()
		st.Instances[id].Shell = "/bin/sh"
		sim := simtest.Start(t, st, awssim.Options{Logf: func(string, ...any) {}})
		timeoutEnv(t, sim.URL())
		// A command that prints nothing: no handshake (no KMS) and no
		// first output, the only two signs of a started shell.
		r, took := runWithin(t, 40*time.Second, "shell", "--connect-timeout", "1s", "--command", "sleep 60", id)
		want := "error: session on " + id + ": session setup did not finish within 3s (shell start): the agent sent neither a handshake nor the shell's first output\n" +
			"hint: a command that prints nothing at first looks like a silent agent"
		if r.code != exitProblems || r.stdout != "" || !strings.Contains(r.stderr, want) || took > 20*time.Second {
			t.Errorf("exit %d after %v, stdout %q, stderr:\n%s\nwant exit 1 and %q", r.code, took, r.stdout, r.stderr, want)
		}
	})
}

// Ctrl-C during the setup (before the terminal is raw) interrupts
// ssmdoctor itself: exit 130 at once, whatever call was waiting.
func TestShellInterruptedDuringSetup(t *testing.T) {
	addr := silentHost(t)
	timeoutEnv(t, "http://"+addr)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"ssmdoctor", "shell", "--connect-timeout", "10s", "i-0123456789abcdef0"}, strings.NewReader(""), &stdout, &stderr)
	if took := time.Since(start); code != exitInterrupted || stdout.Len() != 0 || stderr.String() != "error: shell: interrupted\n" || took > 5*time.Second {
		t.Fatalf("exit %d after %v, stdout %q, stderr %q; want 130 and one error line at once", code, took, stdout.String(), stderr.String())
	}
}
