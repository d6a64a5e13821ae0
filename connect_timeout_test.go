package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/internal/testnet"
)

// silentHost is a loopback host that accepts and never answers.
func silentHost(t *testing.T) string {
	addr, _ := testnet.Silent(t)
	return addr
}

// timeoutEnv is a workstation with static credentials whose every AWS
// call goes to endpoint; nothing leaves loopback.
func timeoutEnv(t *testing.T, endpoint string) {
	t.Helper()
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, ".cache"), "TMPDIR": t.TempDir(),
		"AWS_CONFIG_FILE": filepath.Join(home, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "aws-credentials"),
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_MAX_ATTEMPTS": "", "AWS_RETRY_MODE": "", "AWS_CA_BUNDLE": "",
		"AWS_ACCESS_KEY_ID": e2eKeyID, "AWS_SECRET_ACCESS_KEY": e2eSecret, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": endpoint, "NO_COLOR": "1",
	} {
		t.Setenv(k, v)
	}
}

// runWithin runs the command in-process, with a deadline of its own so
// that a command without time limits fails the test instead of hanging
// the suite.
func runWithin(t *testing.T, limit time.Duration, args ...string) (result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(ctx, append([]string{"ssmdoctor"}, args...), strings.NewReader(""), &stdout, &stderr)
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("ssmdoctor %s: still running after %v (exit %d)\nstderr:\n%s", strings.Join(args, " "), limit, code, stderr.String())
	}
	return result{code, stdout.String(), stderr.String()}, took
}

// TestConnectTimeoutSilentEndpoint: with an endpoint that accepts and
// never answers, check TARGET, proxy and ssh's preflight each end well
// within their bound, exit 3, and say which endpoint did not answer and
// what to do.
func TestConnectTimeoutSilentEndpoint(t *testing.T) {
	addr := silentHost(t)
	timeoutEnv(t, "http://"+addr)
	const id = "i-0123456789abcdef0"
	for _, tc := range []struct {
		args []string
		call string
	}{
		{[]string{"--connect-timeout", "1s", "check", id}, "check: ec2 DescribeInstances"},
		{[]string{"check", "--connect-timeout", "1s", id}, "check: ec2 DescribeInstances"},
		{[]string{"proxy", "--connect-timeout", "1s", id, "22"}, "session on " + id + ": ssm StartSession"},
		{[]string{"ssh", "--connect-timeout", "1s", id, "true"}, "ec2 DescribeInstances"},
		{[]string{"--connect-timeout", "1s", "ssh", id, "true"}, "ec2 DescribeInstances"},
	} {
		r, took := runWithin(t, 30*time.Second, tc.args...)
		want := "error: " + tc.call + ": no answer within 1s from " + addr + " (response)\n" +
			"hint: check the endpoint (AWS_ENDPOINT_URL or the profile's endpoint_url) and the network, or raise --connect-timeout\n"
		if r.code != exitInternal || r.stdout != "" || !strings.HasSuffix(r.stderr, want) {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit 3 and stderr ending:\n%s", tc.args, r.code, r.stdout, r.stderr, want)
		}
		// Two attempts of 1 s and the SDK's back-off between them.
		if took > 20*time.Second {
			t.Errorf("%q took %v", tc.args, took)
		}
	}
}

// TestConnectTimeoutDefault: without the flag an endpoint that never
// answers still ends the command, within a minute.
func TestConnectTimeoutDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the default connect timeout (about 20 s)")
	}
	addr := silentHost(t)
	timeoutEnv(t, "http://"+addr)
	r, took := runWithin(t, time.Minute, "proxy", "i-0123456789abcdef0", "22")
	if r.code != exitInternal || !strings.Contains(r.stderr, "no answer within 10s from "+addr) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("gave up after %v", took)
}

// TestConnectTimeoutFlagValidation: a connect timeout that is not a
// positive duration is a usage error, before any AWS call.
func TestConnectTimeoutFlagValidation(t *testing.T) {
	timeoutEnv(t, "http://127.0.0.1:1")
	for _, args := range [][]string{
		{"--connect-timeout", "0s", "check"},
		{"check", "--connect-timeout", "-1s"},
		{"check", "--connect-timeout", "soon"},
		{"proxy", "--connect-timeout", "0", "i-0123456789abcdef0", "22"},
		{"fix", "--connect-timeout", "-5s", "--ssh-config"},
		{"ssh", "--connect-timeout", "0", "i-0123456789abcdef0"},
		{"ssh", "--connect-timeout=-2s", "i-0123456789abcdef0"},
		{"ssh", "--connect-timeout", "soon", "i-0123456789abcdef0"},
	} {
		r, _ := runWithin(t, 30*time.Second, args...)
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "connect-timeout") {
			t.Errorf("%q: exit %d stdout %q stderr %q, want a usage error (2) naming --connect-timeout", args, r.code, r.stdout, r.stderr)
		}
	}
}

// TestConnectTimeoutSilentProxy: an HTTPS proxy that accepts and never
// answers the CONNECT is named (without its password), with the next step.
// The endpoint is a name under .invalid: through a proxy the client never
// resolves it, so nothing leaves the machine. Run as a separate process:
// net/http reads HTTPS_PROXY once per process.
func TestConnectTimeoutSilentProxy(t *testing.T) {
	if ssmdoctorBin == "" {
		t.Fatal("the ssmdoctor binary could not be built (see TestMain output)")
	}
	addr := silentHost(t)
	home := t.TempDir()
	const id = "i-0123456789abcdef0"
	for _, args := range [][]string{
		{"--connect-timeout", "1s", "check", id},
		{"proxy", "--connect-timeout", "1s", id, "22"},
		{"ssh", "--connect-timeout", "1s", id, "true"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, ssmdoctorBin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
			"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
			"AWS_ACCESS_KEY_ID=" + e2eKeyID, "AWS_SECRET_ACCESS_KEY=" + e2eSecret, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_ENDPOINT_URL=https://ssm.us-east-1.example.invalid", "HTTPS_PROXY=http://proxyuser:pr0xy-Secret@" + addr}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.WaitDelay = 5 * time.Second
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		hung := ctx.Err() != nil
		cancel()
		if hung {
			t.Fatalf("%q: still running after 30s\n%s", args, stderr.String())
		}
		var ee *exec.ExitError
		code := 0
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		want := "no answer within 1s from the proxy http://" + addr + " (CONNECT ssm.us-east-1.example.invalid:443)\n" +
			"hint: check the proxy (HTTPS_PROXY, NO_PROXY) and the network, or raise --connect-timeout\n"
		if code != exitInternal || stdout.Len() != 0 || !strings.HasSuffix(stderr.String(), want) {
			t.Errorf("%q: exit %d stdout %q stderr:\n%s\nwant exit 3 and stderr ending:\n%s", args, code, stdout.String(), stderr.String(), want)
		}
		if strings.Contains(stderr.String(), "pr0xy-Secret") || strings.Contains(stderr.String(), "proxyuser") {
			t.Errorf("%q: the proxy's credentials reached stderr:\n%s", args, stderr.String())
		}
		if took > 20*time.Second {
			t.Errorf("%q took %v", args, took)
		}
	}
}

// TestConnectTimeoutSilentDataChannel: StartSession answers, but the data
// channel's host (here through --stream-endpoint) accepts and never
// answers the websocket upgrade: proxy ends within its bound naming it.
func TestConnectTimeoutSilentDataChannel(t *testing.T) {
	sim := simtest.Start(t, e2eState(), awssim.Options{Logf: func(string, ...any) {}})
	timeoutEnv(t, sim.URL())
	addr := silentHost(t)
	const id = "i-0123456789abcdef0"
	r, took := runWithin(t, 40*time.Second, "proxy", "--connect-timeout", "1s", "--stream-endpoint", "https://"+addr, id, "22")
	want := "error: session on " + id + ": open data channel: no answer within 1s from " + addr + "\n" +
		"hint: check the network's way to ssmmessages (or --stream-endpoint), or raise --connect-timeout\n"
	if r.code != exitInternal || r.stdout != "" || !strings.HasSuffix(r.stderr, want) {
		t.Fatalf("exit %d stdout %q stderr:\n%s\nwant exit 3 and stderr ending:\n%s", r.code, r.stdout, r.stderr, want)
	}
	if took > 20*time.Second {
		t.Errorf("took %v", took)
	}
	if n := sim.Calls("ssm.TerminateSession"); n != 1 {
		t.Errorf("%d TerminateSession calls, want 1: the session must not be left open", n)
	}
}

// TestConnectTimeoutReachesProxyCommand: ssh and scp hand their
// --connect-timeout to the proxy they start; the default is left out.
func TestConnectTimeoutReachesProxyCommand(t *testing.T) {
	p, err := parseSSHArgs([]string{"--connect-timeout", "3s", "i-0123456789abcdef0"})
	if err != nil || p.ours.connectTimeout != 3*time.Second {
		t.Fatalf("parse: %v %+v", err, p.ours)
	}
	if got := proxyCommandFor("/bin/ssmdoctor", p.ours); got != "/bin/ssmdoctor proxy --connect-timeout 3s %h %p" {
		t.Errorf("ProxyCommand %q", got)
	}
	if got := proxyCommandFor("/bin/ssmdoctor", ourFlags{connectTimeout: 10 * time.Second}); got != "/bin/ssmdoctor proxy %h %p" {
		t.Errorf("ProxyCommand with the default %q", got)
	}
}
