package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// fixDemoInProcess serves the demo scenario to in-process runs as its
// admin, with ssh's home (and $HOME) a temp directory.
func fixDemoInProcess(t *testing.T) (*awssim.Sim, string) {
	t.Helper()
	sim := demoInProcess(t, awssim.DemoAccessKey, nil)
	home := os.Getenv("HOME")
	setPasswdHome(t, home)
	return sim, home
}

// Ctrl-C at a [y/N] prompt ends fix at once with 130 and nothing applied;
// a "y" typed afterwards is never read as the answer. The stdin pipe never
// gets a line while the prompt waits, as a person who pressed Ctrl-C
// instead of answering.
func TestFixPromptInterruptExits130(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"--start", []string{"fix", "--start", testStoppedInstanceID, "--poll", "5ms"}},
		{"--ssh-config", []string{"fix", "--ssh-config"}},
		{"interactive walk", []string{"fix", testStoppedInstanceID, "--poll", "5ms"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sim, home := fixDemoInProcess(t)
			fakeStdinTerminal(t)
			before := treeOf(t, home)
			stdin, answer := io.Pipe()
			defer answer.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stdout, stderr lockedBuffer
			done := make(chan int, 1)
			go func() { done <- run(ctx, append([]string{"ssmdoctor"}, c.args...), stdin, &stdout, &stderr) }()

			waitFor(t, "the prompt", func() bool { return strings.Contains(stderr.String(), "[y/N]") }, &stderr)
			cancel() // what main's signal.NotifyContext does on SIGINT
			var code int
			select {
			case code = <-done:
			case <-time.After(10 * time.Second):
				// Today's fix keeps waiting for a line: give it one.
				go answer.Write([]byte("y\n"))
				select {
				case code = <-done:
				case <-time.After(30 * time.Second):
				}
				t.Fatalf("fix did not end at the interrupt; after a \"y\" it exited %d with %d mutating calls\n%s\n%s",
					code, sim.MutatingCalls(), stdout.String(), stderr.String())
			}
			if code != exitInterrupted || !strings.Contains(stderr.String(), "error: fix: interrupted at the prompt: nothing was applied\n") {
				t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
			}
			// The answer typed after the interrupt applies nothing.
			answer.Write([]byte("y\n"))
			time.Sleep(200 * time.Millisecond)
			if n := sim.MutatingCalls(); n != 0 {
				t.Fatalf("%d mutating calls: %v", n, sim.AllCalls())
			}
			if !sameTree(before, treeOf(t, home)) {
				t.Fatalf("files changed under the home")
			}
		})
	}
}

// Interrupted while verifying (the fix was applied, the check re-runs): 130,
// not 0, and the message says the change was made. The ssh on PATH hangs
// on `ssh -G` so the interrupt lands in the verification.
func TestFixVerifyInterruptExits130(t *testing.T) {
	_, home := fixDemoInProcess(t)
	bin := t.TempDir()
	mark := filepath.Join(bin, "verifying")
	script := "#!/bin/sh\nif [ \"$1\" = -V ]; then echo OpenSSH_9.2p1 >&2; exit 0; fi\ntouch " + shellQuote(mark) + "\nexec sleep 30\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"ssmdoctor", "fix", "--ssh-config", "--yes"}, strings.NewReader(""), &stdout, &stderr)
	}()
	waitFor(t, "the verification", func() bool { _, err := os.Stat(mark); return err == nil }, &stderr)
	cancel()
	select {
	case code := <-done:
		if code != exitInterrupted || !strings.Contains(stderr.String(), "error: fix: interrupted while verifying\n") ||
			!strings.Contains(stderr.String(), "hint: the change was applied") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("fix did not end at the interrupt\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh", "ssmdoctor.conf")); err != nil {
		t.Fatalf("the fix was not applied before the verification: %v", err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool, stderr *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute\n%s", what, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Interrupted while applying (waiting for a started instance to come
// Online): 130, with what was and was not done.
func TestFixApplyInterruptExits130(t *testing.T) {
	sim, _ := fixDemoInProcess(t)
	sim.SetStartDelay(time.Hour) // the instance never comes Online
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"ssmdoctor", "fix", "--start", testStoppedInstanceID, "--yes", "--poll", "5ms"}, strings.NewReader(""), &stdout, &stderr)
	}()
	waitFor(t, "the wait", func() bool { return sim.Calls("ec2.StartInstances") == 1 }, &stderr)
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		if code != exitInterrupted || !strings.Contains(stderr.String(), "  done:     ec2 StartInstances") ||
			!strings.Contains(stderr.String(), "error: fix: interrupted while applying\nhint: run the same fix again") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("fix did not end at the interrupt\n%s", stderr.String())
	}
}
