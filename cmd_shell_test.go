package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
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

// tmuxShell drives `ssmdoctor shell` in a real terminal: a tmux server of
// its own runs an interactive bash that starts it.
type tmuxShell struct {
	t    *testing.T
	sock string
	env  []string
}

func startTmux(t *testing.T, e *e2e) *tmuxShell {
	t.Helper()
	needTool(t, "tmux")
	needTool(t, "bash")
	tm := &tmuxShell{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock"), env: e.env}
	tm.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "100", "-y", "30", "env PS1='local$ ' HISTFILE=/dev/null bash --norc --noprofile")
	t.Cleanup(func() { exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	return tm
}

func (tm *tmuxShell) tmux(args ...string) string {
	tm.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...)
	cmd.Env = tm.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (tm *tmuxShell) keys(keys ...string) {
	tm.tmux(append([]string{"send-keys", "-t", "t"}, keys...)...)
}

func (tm *tmuxShell) pane() string {
	return tm.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "t")
}

// waitPane waits until the pane matches re and returns the pane.
func (tm *tmuxShell) waitPane(re string, within time.Duration) string {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	end := time.Now().Add(within)
	for {
		p := strings.TrimRight(tm.pane(), "\n")
		if rx.MatchString(p) {
			return p
		}
		if time.Now().After(end) {
			tm.t.Fatalf("the terminal did not show %s within %v:\n%s", re, within, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestShellTmux(t *testing.T) {
	e := startShellE2E(t, false)
	tm := startTmux(t, e)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before"), filepath.Join(dir, "after")
	tm.waitPane(`local\$ ?$`, 10*time.Second)
	tm.keys(fmt.Sprintf("stty -g > %s; %s shell %s; echo rc=$?; stty -g > %s", before, shellQuote(ssmdoctorBin), e2eID, after), "Enter")

	// The remote prompt (dash or bash as sh: "$ " or "# ").
	tm.waitPane(`(?m)^[$#] $`, 20*time.Second)
	tm.keys("echo out-$((20+22))", "Enter")
	tm.waitPane(`(?m)^out-42$`, 10*time.Second)

	// The size at the start, then a resize seen by the remote stty.
	tm.keys("stty size", "Enter")
	tm.waitPane(`(?m)^30 100$`, 10*time.Second)
	tm.tmux("resize-window", "-t", "t", "-x", "120", "-y", "40")
	time.Sleep(300 * time.Millisecond)
	tm.keys("stty size", "Enter")
	tm.waitPane(`(?m)^40 120$`, 10*time.Second)

	// Ctrl-C reaches the remote sleep, not ssmdoctor: the remote prompt
	// comes back quickly and the session goes on.
	tm.keys("sleep 100", "Enter")
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	tm.keys("C-c")
	// The prompt comes back (typing before it would be flushed with the
	// interrupted line, as a terminal does on Ctrl-C).
	tm.waitPane(`\^C\n[$#] $`, 5*time.Second)
	// Answered by the remote shell (its working directory), not by a
	// local one that a killed ssmdoctor would have left.
	tm.keys("echo after-$(pwd)", "Enter")
	p := tm.waitPane(`(?m)^after-/.*ssmdoctor-sim-shell-`, 5*time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Ctrl-C took %v", d)
	}
	if regexp.MustCompile(`(?m)^rc=`).MatchString(p) {
		t.Fatalf("Ctrl-C ended ssmdoctor instead of the remote sleep:\n%s", p)
	}

	// Ctrl-Z stops the remote job, not ssmdoctor.
	tm.keys("sleep 100", "Enter")
	time.Sleep(500 * time.Millisecond)
	tm.keys("C-z")
	tm.waitPane(`Stopped\s+sleep 100`, 5*time.Second)
	tm.keys("fg", "Enter")
	time.Sleep(300 * time.Millisecond)
	tm.keys("C-c")
	tm.waitPane(`\^C\n[$#] $`, 5*time.Second)
	tm.keys("echo resumed-$((1+1))", "Enter")
	tm.waitPane(`(?m)^resumed-2$`, 5*time.Second)

	// The agent does not report an interactive shell's status: a normal
	// end is 0 whatever `exit` said.
	tm.keys("exit 3", "Enter")
	tm.waitPane(`(?m)^rc=0$`, 10*time.Second)
	tm.waitPane(`local\$ ?$`, 10*time.Second)
	b, err1 := os.ReadFile(before)
	a, err2 := os.ReadFile(after)
	if err1 != nil || err2 != nil || len(b) == 0 || string(a) != string(b) {
		t.Errorf("terminal state not restored: before %q, after %q (%v %v)", b, a, err1, err2)
	}
}

// The terminal is restored when the session ends from the other side too
// (TerminateSession by someone else).
func TestShellTmuxRestoredOnRemoteEnd(t *testing.T) {
	e := startShellE2E(t, false)
	tm := startTmux(t, e)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before"), filepath.Join(dir, "after")
	tm.waitPane(`local\$ ?$`, 10*time.Second)
	tm.keys(fmt.Sprintf("stty -g > %s; %s shell %s; echo rc=$?; stty -g > %s", before, shellQuote(ssmdoctorBin), e2eID, after), "Enter")
	tm.waitPane(`(?m)^[$#] $`, 20*time.Second)
	// Someone else ends it: the agent-side channel closes with a reason.
	cl := simtest.Clients(t, e.sim, e2eState(), e2eKeyID, awsapi.Options{})
	ctx := context.Background()
	ds, err := cl.SSM.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateActive})
	if err != nil || len(ds.Sessions) != 1 {
		t.Fatalf("active sessions: %v %v, want one", ds, err)
	}
	if _, err := cl.SSM.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: ds.Sessions[0].SessionId}); err != nil {
		t.Fatal(err)
	}
	p := tm.waitPane(`(?m)^rc=1$`, 10*time.Second)
	if !strings.Contains(p, "was terminated") {
		t.Errorf("no reason on the terminal:\n%s", p)
	}
	tm.waitPane(`local\$ ?$`, 10*time.Second)
	b, _ := os.ReadFile(before)
	a, _ := os.ReadFile(after)
	if len(b) == 0 || string(a) != string(b) {
		t.Errorf("terminal state not restored: before %q, after %q", b, a)
	}
}

// SIGTSTP sent to ssmdoctor reaches the remote job; SIGTERM (a
// supervisor, kill) ends the session and restores the terminal; the exit
// status is 130.
func TestShellTmuxRestoredOnSIGTERM(t *testing.T) {
	e := startShellE2E(t, false)
	tm := startTmux(t, e)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before"), filepath.Join(dir, "after")
	tm.waitPane(`local\$ ?$`, 10*time.Second)
	tm.keys(fmt.Sprintf("stty -g > %s; %s shell %s; echo rc=$?; stty -g > %s", before, shellQuote(ssmdoctorBin), e2eID, after), "Enter")
	tm.waitPane(`(?m)^[$#] $`, 20*time.Second)
	pid := childOf(t, strings.TrimSpace(tm.tmux("display-message", "-p", "-t", "t", "#{pane_pid}")), ssmdoctorBin)
	// SIGTSTP from outside goes to the remote job as Ctrl-Z would, and
	// does not suspend ssmdoctor with the terminal raw.
	tm.keys("sleep 100", "Enter")
	time.Sleep(500 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGTSTP); err != nil {
		t.Fatal(err)
	}
	tm.waitPane(`Stopped\s+sleep 100`, 5*time.Second)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p := tm.waitPane(`(?m)^rc=130$`, 10*time.Second)
	if !strings.Contains(p, "interrupted") {
		t.Errorf("no reason on the terminal:\n%s", p)
	}
	tm.waitPane(`local\$ ?$`, 10*time.Second)
	b, _ := os.ReadFile(before)
	a, _ := os.ReadFile(after)
	if len(b) == 0 || string(a) != string(b) {
		t.Errorf("terminal state not restored: before %q, after %q", b, a)
	}
}

// childOf is the pid of parent's child process running exe.
func childOf(t *testing.T, parent, exe string) int {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for time.Now().Before(end) {
		kids, _ := os.ReadFile("/proc/" + parent + "/task/" + parent + "/children")
		for _, k := range strings.Fields(string(kids)) {
			if p, err := os.Readlink("/proc/" + k + "/exe"); err == nil && p == exe {
				var pid int
				fmt.Sscan(k, &pid)
				return pid
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Skipf("cannot find ssmdoctor's pid under %s (no /proc children file?)", parent)
	return 0
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
