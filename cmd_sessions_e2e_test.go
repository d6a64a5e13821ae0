package main

import (
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

type sessionsDoc struct {
	SchemaVersion int      `json:"schemaVersion"`
	Region        string   `json:"region"`
	States        []string `json:"states"`
	Sessions      []struct {
		SessionID, State, Owner, Target, TargetName, Kind, Document, Status, Reason string
		Start                                                                       time.Time
		End                                                                         *time.Time
	} `json:"sessions"`
}

func (e *e2e) sessionsJSON(args ...string) sessionsDoc {
	e.t.Helper()
	r := e.run(nil, nil, append([]string{"sessions", "--format", "json"}, args...)...)
	var doc sessionsDoc
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &doc) != nil {
		e.t.Fatalf("sessions %v: exit %d\nstdout %s\nstderr %s", args, r.code, r.stdout, r.stderr)
	}
	return doc
}

// openSSH starts ssh running `cat` on the instance with stdin held open:
// the session lasts until the returned func closes it, and that func
// returns ssh's exit code.
func (e *e2e) openSSH(args ...string) (*exec.Cmd, func() int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append([]string(nil), e.env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cancel(); cmd.Wait() })
	return cmd, func() int {
		in.Close()
		cmd.Wait()
		return cmd.ProcessState.ExitCode()
	}
}

// waitSessions polls `sessions` until ok accepts its answer.
func (e *e2e) waitSessions(what string, ok func(sessionsDoc) bool, args ...string) sessionsDoc {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		doc := e.sessionsJSON(args...)
		if ok(doc) {
			return doc
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no %s within a minute: %+v", what, doc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestE2ESessionsListsSSHAndProxy: sessions opened by `ssmdoctor ssh` and
// by OpenSSH with `ssmdoctor proxy` as its ProxyCommand are listed active
// (owner, target with its Name, kind ssh) while open, and in history
// (Terminated, with an end) once ssh exits.
func TestE2ESessionsListsSSHAndProxy(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	const owner = "arn:aws:iam::123456789012:user/ops"
	for _, c := range []struct {
		name string
		cmd  []string
	}{
		{"ssmdoctor ssh", append(append([]string{ssmdoctorBin, "ssh"}, e.sshOpts(true)...), e.dest(), "cat")},
		{"ssh with ssmdoctor proxy", append(append([]string{"ssh"}, e.viaProxy(ssmdoctorBin+" proxy %h %p")...), e.dest(), "cat")},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			before := e.sessionsJSON("--history")
			_, closeSSH := e.openSSH(c.cmd...)
			active := e.waitSessions("active session", func(d sessionsDoc) bool { return len(d.Sessions) == 1 }, "--active")
			s := active.Sessions[0]
			if active.SchemaVersion != 1 || active.Region != "us-east-1" || strings.Join(active.States, ",") != "active" ||
				s.State != "active" || s.Owner != owner || s.Target != e2eID || s.TargetName != "web-0" || s.Kind != "ssh" ||
				s.Document != "AWS-StartSSHSession" || s.Status != "Connected" || s.End != nil || !strings.HasPrefix(s.SessionID, "ops-") {
				t.Fatalf("active session: %+v", active)
			}
			// The human list, by Name tag.
			r := e.run(nil, nil, "sessions", "web-0", "--active")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "1 active session in us-east-1\nSESSION") ||
				!strings.Contains(r.stdout, s.SessionID+"  "+owner) || !strings.Contains(r.stdout, e2eID+" (web-0)  ssh") {
				t.Fatalf("human list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if code := closeSSH(); code != 0 {
				t.Fatalf("ssh exited %d", code)
			}
			hist := e.waitSessions("the session in history", func(d sessionsDoc) bool { return len(d.Sessions) == len(before.Sessions)+1 }, "--history", "--since", "1h")
			h := hist.Sessions[0] // newest first
			if h.SessionID != s.SessionID || h.State != "history" || h.Status != "Terminated" || h.End == nil || h.End.Before(h.Start) || h.TargetName != "web-0" {
				t.Fatalf("history: %+v", hist)
			}
			if a := e.sessionsJSON("--active"); len(a.Sessions) != 0 {
				t.Fatalf("still active after ssh exited: %+v", a)
			}
			// Filters: another owner has none; both states by default.
			if d := e.sessionsJSON("--owner", "arn:aws:iam::123456789012:user/viewer"); len(d.Sessions) != 0 || strings.Join(d.States, ",") != "active,history" {
				t.Fatalf("--owner viewer: %+v", d)
			}
		})
	}
}

// TestE2ESessionsTerminate: --terminate --yes ends an open session (the
// ssh running through it ends too) and it is history; a second
// --terminate says it already ended and calls nothing; without --yes and
// without a terminal it refuses (2).
func TestE2ESessionsTerminate(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	_, closeSSH := e.openSSH(append(append([]string{ssmdoctorBin, "ssh"}, e.sshOpts(true)...), e.dest(), "cat")...)
	active := e.waitSessions("active session", func(d sessionsDoc) bool { return len(d.Sessions) == 1 }, "--active")
	id := active.Sessions[0].SessionID

	r := e.run(strings.NewReader(""), nil, "sessions", "--terminate", id)
	if r.code != exitUsage || r.stderr != "error: sessions: refusing to terminate without confirmation: stdin is not a terminal\nhint: re-run with --yes to terminate it\n" {
		t.Fatalf("--terminate without --yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := e.sim.Calls("ssm.TerminateSession"); n != 0 {
		t.Fatalf("%d TerminateSession calls before confirmation", n)
	}
	r = e.run(nil, nil, "sessions", "--terminate", id, "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, id+"  arn:aws:iam::123456789012:user/ops  "+e2eID+" (web-0)  ssh") ||
		!strings.HasSuffix(r.stdout, "terminated session "+id+"\n") {
		t.Fatalf("--terminate --yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	done := make(chan int, 1)
	go func() { done <- closeSSH() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("ssh kept running after its session was terminated")
	}
	hist := e.sessionsJSON("--history")
	if len(hist.Sessions) != 1 || hist.Sessions[0].SessionID != id || hist.Sessions[0].Status != "Terminated" {
		t.Fatalf("history after terminate: %+v", hist)
	}
	calls := e.sim.Calls("ssm.TerminateSession")
	r = e.run(nil, nil, "sessions", "--terminate", id, "--yes")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "session "+id+" already ended: Terminated at ") || e.sim.Calls("ssm.TerminateSession") != calls {
		t.Fatalf("second --terminate: exit %d, %d more calls\n%s%s", r.code, e.sim.Calls("ssm.TerminateSession")-calls, r.stdout, r.stderr)
	}
	r = e.run(nil, nil, "sessions", "--terminate", "ops-00000000000000000", "--yes")
	if r.code != exitProblems || !strings.HasPrefix(r.stderr, "error: no session ops-00000000000000000 in us-east-1\n") {
		t.Fatalf("unknown session: exit %d\n%s", r.code, r.stderr)
	}
}

// A caller who may not list sessions gets exit 3 and the permission named.
func TestE2ESessionsDenied(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	e.sim.WithState(func(st *awssim.State) {
		st.Users["viewer"].InlinePolicies["p"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*"}]}`
	})
	r := e.run(nil, []string{"AWS_ACCESS_KEY_ID=" + e2eNoKey}, "sessions")
	if r.code != exitInternal || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: list sessions: ssm:DescribeSessions failed: AccessDeniedException") ||
		!strings.HasSuffix(r.stderr, "hint: the caller needs the IAM permission ssm:DescribeSessions; ask an administrator to allow it\n") {
		t.Fatalf("denied: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	// Allowed to list sessions but not to describe instances: the list
	// comes without names, and a warning says why.
	_, closeSSH := e.openSSH(append(append([]string{ssmdoctorBin, "ssh"}, e.sshOpts(true)...), e.dest(), "cat")...)
	defer closeSSH()
	e.waitSessions("active session", func(d sessionsDoc) bool { return len(d.Sessions) == 1 }, "--active")
	e.sim.WithState(func(st *awssim.State) {
		st.Users["viewer"].InlinePolicies["p"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:DescribeSessions"],"Resource":"*"}]}`
	})
	r = e.run(nil, []string{"AWS_ACCESS_KEY_ID=" + e2eNoKey}, "sessions", "--active")
	if r.code != 0 || !strings.Contains(r.stdout, "  "+e2eID+"  ssh  ") ||
		!strings.HasPrefix(r.stderr, "warning: no instance names: UnauthorizedOperation") {
		t.Fatalf("without ec2:DescribeInstances: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
}
