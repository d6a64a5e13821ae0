package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// `fix TARGET` on a terminal offers each available fix in turn: the test
// drives a real pty (tmux), declines the first offer, accepts the rest,
// and reads the final report.
func TestFixCLIInteractiveOffersEachFix(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux required in CI")
		}
		t.Skip("skipping: tmux not found")
	}
	st := awssim.DemoScenario()
	sim, h := fixSim(t, st)
	const stopped = "i-0ff00000000000008"
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("#!/bin/sh\nexport PATH=" + shellQuote(h.path) + "\n")
	for _, kv := range h.env {
		k, v, _ := strings.Cut(kv, "=")
		b.WriteString("export " + k + "=" + shellQuote(v) + "\n")
	}
	b.WriteString(shellQuote(checkBinary(t)) + " fix " + stopped + " --poll 5ms --no-color\necho fix-exit=$?\nsleep 120\n")
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, []byte(b.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "tmux.sock")
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil && args[0] != "kill-server" {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-x", "200", "-y", "50", "-s", "fix", script)
	t.Cleanup(func() { tmux("kill-server") })

	answered, declined := 0, ""
	deadline := time.Now().Add(90 * time.Second)
	for {
		pane := tmux("capture-pane", "-p", "-J", "-S", "-2000", "-t", "fix")
		if strings.Contains(pane, "fix-exit=") {
			if answered < 2 {
				t.Fatalf("expected at least two offers, answered %d:\n%s", answered, pane)
			}
			if !strings.Contains(pane, " passed, ") {
				t.Fatalf("no final report:\n%s", pane)
			}
			break
		}
		if prompts := strings.Count(pane, "[y/N]"); prompts > answered {
			answer := "y"
			if answered == 0 {
				answer = "n"
				lines := strings.Split(strings.TrimRight(pane, "\n"), "\n")
				declined = lines[len(lines)-1]
			}
			tmux("send-keys", "-t", "fix", answer, "Enter")
			answered++
		}
		if time.Now().After(deadline) {
			t.Fatalf("fix did not finish; pane:\n%s", pane)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The first offer is the ssh config (local layer first); declining it
	// must leave the home untouched, accepting the start must start.
	if !strings.Contains(declined, "ssh config") {
		t.Fatalf("first offer was %q, want the ssh config fix", declined)
	}
	if _, err := os.Stat(filepath.Join(h.dir, ".ssh", "ssmdoctor.conf")); !os.IsNotExist(err) {
		t.Fatalf("declined ssh config fix still wrote ssmdoctor.conf (%v)", err)
	}
	if n := sim.Calls("ec2.StartInstances"); n != 1 {
		t.Fatalf("accepted the start fix but StartInstances was called %d times", n)
	}
	t.Logf("declined: %s; answered %d offers", declined, answered)
}
