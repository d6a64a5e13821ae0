package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveLoopback accepts TCP connections on a loopback port until the
// test ends, each handled by handle in its own goroutine.
func serveLoopback(t *testing.T, handle func(net.Conn)) *net.TCPAddr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln.Addr().(*net.TCPAddr)
}

// startEcho runs a TCP echo server on loopback for forwarding tests.
func startEcho(t *testing.T) int {
	return serveLoopback(t, func(c net.Conn) { defer c.Close(); io.Copy(c, c) }).Port
}

func freeLocalPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// background starts `ssmdoctor ssh ...` that keeps running (-N) and
// stops it with SIGTERM when the test ends.
func (e *e2e) background(t *testing.T, args ...string) *bytes.Buffer {
	t.Helper()
	cmd := exec.Command(ssmdoctorBin, append(append([]string{"ssh"}, e.sshOpts(true)...), args...)...)
	cmd.Env = e.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("ssmdoctor ssh ignored SIGTERM")
		}
	})
	return &stderr
}

// dialUntil connects to addr, retrying while ssh sets up its listener.
func dialUntil(t *testing.T, addr string, stderr *bytes.Buffer) net.Conn {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("forwarded port %s never opened: %v\nssh stderr:\n%s", addr, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func echoThrough(t *testing.T, c net.Conn) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	msg := []byte("through the tunnel and back\n")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo through the forward: %q, %v", got, err)
	}
}

func TestE2ELocalForward(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	echo, local := startEcho(t), freeLocalPort(t)
	stderr := e.background(t, "-N", "-o", "ExitOnForwardFailure=yes", "-L", strconv.Itoa(local)+":127.0.0.1:"+strconv.Itoa(echo), e.dest())
	echoThrough(t, dialUntil(t, "127.0.0.1:"+strconv.Itoa(local), stderr))
}

func TestE2ESocksForward(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	echo, local := startEcho(t), freeLocalPort(t)
	stderr := e.background(t, "-N", "-o", "ExitOnForwardFailure=yes", "-D", strconv.Itoa(local), e.dest())
	c := dialUntil(t, "127.0.0.1:"+strconv.Itoa(local), stderr)
	c.SetDeadline(time.Now().Add(60 * time.Second))
	// SOCKS5: no authentication, then CONNECT 127.0.0.1:echo.
	req := []byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 0}
	binary.BigEndian.PutUint16(req[11:], uint16(echo))
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 12)
	if _, err := io.ReadFull(c, reply); err != nil || reply[0] != 5 || reply[1] != 0 || reply[3] != 0 {
		t.Fatalf("SOCKS5 reply %v, %v\n%s", reply, err, stderr.String())
	}
	echoThrough(t, c)
}

// TestE2EInteractive drives a login shell under a real pseudo-terminal
// (tmux) through `ssmdoctor ssh`.
func TestE2EInteractive(t *testing.T) {
	needTool(t, "tmux")
	e := startE2E(t, e2eOpts{})
	dir := t.TempDir()
	script := filepath.Join(dir, "run.sh")
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, kv := range e.env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || k == "HOME" || k == "TMPDIR" || k == "XDG_CACHE_HOME" || k == "PATH" {
			b.WriteString("export " + k + "=" + shellQuote(v) + "\n")
		}
	}
	// Not exec: the exit status stays on the pane for the test to read
	// (and to show when something fails).
	b.WriteString(shellQuote(ssmdoctorBin) + " ssh")
	for _, a := range e.sshOpts(true) {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString(" -tt " + e.dest() + "\necho ssh-exit=$?\nsleep 120\n")
	if err := os.WriteFile(script, []byte(b.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "tmux.sock")
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil && args[0] != "kill-server" && args[0] != "has-session" {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", "e2e", script)
	t.Cleanup(func() { tmux("kill-server") })
	waitPane := func(want string) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			pane := tmux("capture-pane", "-p", "-t", "e2e")
			if strings.Contains(pane, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("pane never showed %q:\n%s", want, pane)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	tmux("send-keys", "-t", "e2e", "tty; echo answer-$((6*7))", "Enter")
	waitPane("answer-42")
	waitPane("/dev/pts/")
	tmux("send-keys", "-t", "e2e", "exit 0", "Enter")
	waitPane("ssh-exit=0")
}
