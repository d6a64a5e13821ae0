package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// sftp is not wrapped by ssmdoctor; users reach an instance with it either
// through `ssmdoctor ssh` as sftp's ssh program (-S) or through the bare
// ProxyCommand. Both are exercised here, each way, byte-identical.

// needTool skips the test when an OpenSSH tool is missing, except in CI,
// where the missing tool is a failure.
func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s required in CI: %v", name, err)
		}
		t.Skipf("skipping: %s not found", name)
	}
}

// sftpViaSSH makes `ssmdoctor ssh` sftp's ssh program. sftp's -S takes a
// program, not a command line, hence the one-line script.
func (e *e2e) sftpViaSSH(t testing.TB) []string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "ssmdoctor-ssh")
	body := "#!/bin/sh\nexec " + shellQuote(ssmdoctorBin) + ` ssh "$@"` + "\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return append([]string{"-S", script}, e.sshOpts(true)...)
}

// sftpBatch runs sftp in batch mode (it stops at the first failing
// command) and returns what it printed; a run that outlives its budget
// fails the test instead of hanging it.
func (e *e2e) sftpBatch(t testing.TB, opts []string, commands ...string) string {
	t.Helper()
	batch := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(batch, []byte(strings.Join(commands, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sessions := e.sim.Calls("ssm.StartSession")
	r := e.command(nil, nil, "sftp", append(append(opts, "-b", batch), e.dest())...)
	out := r.stdout + r.stderr
	if r.code != 0 {
		t.Fatalf("sftp %s: exit %d\n%s\nsim:\n%s", strings.Join(commands, "; "), r.code, out, e.simLog.String())
	}
	e.checkNoSecrets(out)
	// One session per run proves the bytes went through the tunnel, not
	// some other route to the sshd.
	if n := e.sim.Calls("ssm.StartSession") - sessions; n != 1 {
		t.Fatalf("sftp run started %d sessions, want 1", n)
	}
	return out
}

// sftpRoundTrip puts n bytes and gets them back in two separate sftp runs
// (each a session of its own), checking both copies by sha256.
func (e *e2e) sftpRoundTrip(t testing.TB, opts []string, n int64, seed byte) {
	t.Helper()
	dir := t.TempDir()
	src, remote, back := filepath.Join(dir, "src"), filepath.Join(dir, "remote"), filepath.Join(dir, "back")
	want := payload(t, src, n, seed)
	start := time.Now()
	e.sftpBatch(t, opts, "put "+src+" "+remote)
	up := time.Since(start)
	if got := fileSum(t, remote); got != want {
		t.Fatalf("sftp upload of %d bytes differs (sha256 %x, want %x)", n, got, want)
	}
	start = time.Now()
	e.sftpBatch(t, opts, "get "+remote+" "+back)
	down := time.Since(start)
	if got := fileSum(t, back); got != want {
		t.Fatalf("sftp download of %d bytes differs (sha256 %x, want %x)", n, got, want)
	}
	// Reported, not asserted: throughput belongs to the benchmarks.
	mbps := func(d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }
	t.Logf("%d MiB: upload %.1f MB/s, download %.1f MB/s (whole sftp runs, session set-up included)", n>>20, mbps(up), mbps(down))
}

func TestE2ESFTPEachWay(t *testing.T) {
	needTool(t, "sftp")
	e := startE2E(t, e2eOpts{})
	cases := []struct {
		name  string
		delay time.Duration // agent side, per 1 KiB Output message
		size  int64
		via   func(testing.TB) []string
	}{
		{"64MiB_unpaced_ssmdoctor_ssh", 0, 64 << 20, e.sftpViaSSH},
		{"4MiB_paced_ssmdoctor_ssh", time.Millisecond, 4 << 20, e.sftpViaSSH},
		{"4MiB_paced_proxycommand", time.Millisecond, 4 << 20, func(testing.TB) []string { return e.viaProxy(ssmdoctorBin + " proxy %h %p") }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			e.sim.SetDataChannelOptions(awssim.DCOptions{ChunkSize: 1024, PerMessageDelay: c.delay})
			e.sftpRoundTrip(t, c.via(t), c.size, byte(40+i))
		})
	}
	if w := e.sim.DataChannelWarnings(); len(w) > 0 {
		t.Fatalf("the proxy sent non-conformant frames: %v", w)
	}
}

// TestE2ESFTPListing: sftp's directory and metadata requests (many small
// round trips, not bulk data) come back right through the tunnel.
func TestE2ESFTPListing(t *testing.T) {
	needTool(t, "sftp")
	e := startE2E(t, e2eOpts{})
	dir := t.TempDir()
	for i := 0; i < 50; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.txt", i)), []byte(strings.Repeat("x", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := e.sftpBatch(t, e.sftpViaSSH(t), "cd "+dir, "ls -1", "mkdir sub", "rename f07.txt sub/seven", "ls -l sub")
	for i := 0; i < 50; i++ {
		if name := fmt.Sprintf("f%02d.txt", i); !strings.Contains(out, name) {
			t.Fatalf("listing lacks %s:\n%s", name, out)
		}
	}
	st, err := os.Stat(filepath.Join(dir, "sub", "seven"))
	if err != nil || st.Size() != 7 {
		t.Fatalf("rename through sftp: %v, %v", st, err)
	}
	if !strings.Contains(out, " 7 ") || !strings.Contains(out, "seven") {
		t.Fatalf("long listing of sub lacks seven's size:\n%s", out)
	}
}
