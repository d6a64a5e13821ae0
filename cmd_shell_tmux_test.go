//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// The terminal tests: `ssmdoctor shell` in a real terminal (tmux).

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
	assertTerminalRestored(t, tm, before, after)
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
	assertTerminalRestored(t, tm, before, after)
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
	assertTerminalRestored(t, tm, before, after)
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

// SIGHUP (the terminal went away) ends the session with its cause, exit
// 1, and the terminal (here still there) is restored.
func TestShellTmuxSIGHUP(t *testing.T) {
	e := startShellE2E(t, false)
	tm := startTmux(t, e)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before"), filepath.Join(dir, "after")
	tm.waitPane(`local\$ ?$`, 10*time.Second)
	tm.keys(fmt.Sprintf("stty -g > %s; %s shell %s; echo rc=$?; stty -g > %s", before, shellQuote(ssmdoctorBin), e2eID, after), "Enter")
	tm.waitPane(`(?m)^[$#] $`, 20*time.Second)
	pid := childOf(t, strings.TrimSpace(tm.tmux("display-message", "-p", "-t", "t", "#{pane_pid}")), ssmdoctorBin)
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p := tm.waitPane(`(?m)^rc=1$`, 10*time.Second)
	if !strings.Contains(p, "the terminal hung up") {
		t.Errorf("no cause on the terminal:\n%s", p)
	}
	assertTerminalRestored(t, tm, before, after)
	if n := e.sim.Calls("ssm.TerminateSession"); n != 1 {
		t.Errorf("%d TerminateSession calls, want 1", n)
	}
}

// assertTerminalRestored waits for the local prompt again and compares the
// terminal's settings (stty -g) saved before and after ssmdoctor ran.
func assertTerminalRestored(t *testing.T, tm *tmuxShell, before, after string) {
	t.Helper()
	tm.waitPane(`local\$ ?$`, 10*time.Second)
	b, err1 := os.ReadFile(before)
	a, err2 := os.ReadFile(after)
	if err1 != nil || err2 != nil || len(b) == 0 || string(a) != string(b) {
		t.Errorf("terminal state not restored: before %q, after %q (%v %v)", b, a, err1, err2)
	}
}
