package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/tunnelaws"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// markedBlock returns the indented code between <!-- name... --> and
// <!-- /name --> in a Markdown file, without the four-space indentation:
// the lines a reader copies.
func markedBlock(t *testing.T, path, name string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	open := strings.Index(text, "<!-- "+name)
	end := strings.Index(text, "<!-- /"+name+" -->")
	if open < 0 || end < open {
		t.Fatalf("%s has no block marked <!-- %s --> ... <!-- /%s -->", path, name, name)
	}
	body := text[open:end]
	body = body[strings.Index(body, "-->")+3:]
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if !strings.HasPrefix(l, "    ") {
			t.Fatalf("%s: line %q in the %s block is not code", path, l, name)
		}
		lines = append(lines, strings.TrimPrefix(l, "    "))
	}
	return strings.Join(lines, "\n") + "\n"
}

// runUserShell runs script under sh as a user would, in a fresh directory
// with the built ssmdoctor and a stand-in `aws` (which prints the endpoint
// it was given) first on PATH, and a HOME with no AWS credentials or
// config, so that lines that fail to point the shell at the simulator
// reach nothing. Whatever the script leaves running (a simulator) is
// killed with its process group when the test ends. stubs are more
// stand-ins, {name, script}. It returns stdout and stderr.
func runUserShell(t *testing.T, script string, stubs ...[2]string) (string, string) {
	t.Helper()
	if ssmdoctorBin == "" {
		t.Fatal("the ssmdoctor binary was not built (see TestMain)")
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "stub")
	home := filepath.Join(dir, "home")
	work := filepath.Join(dir, "work")
	for _, d := range []string{stub, home, work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	awsStub := "#!/bin/sh\necho \"aws-stub AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL\"\n"
	for _, st := range append([][2]string{{"aws", awsStub}}, stubs...) {
		if err := os.WriteFile(filepath.Join(stub, st[0]), []byte(st[1]), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// After the lines under test: stop the simulator they started, and
	// report how it ended.
	script += "kill \"$!\"; wait \"$!\"; echo \"sim exit $?\"\n" +
		"if [ -e sim.env ]; then echo 'sim.env left behind'; fi\n"
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Dir = work
	cmd.Env = []string{
		"PATH=" + stub + string(os.PathListSeparator) + filepath.Dir(ssmdoctorBin) + string(os.PathListSeparator) + "/usr/bin:/bin",
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"NO_COLOR=1",
	}
	// Files, not pipes: a simulator left running must not hold Wait.
	cmd.Stdout, cmd.Stderr = stdout, stderr
	newProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { killProcessGroup(pgid) })
	runErr := cmd.Wait()
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	if ctx.Err() != nil {
		t.Fatalf("the lines did not finish within a minute\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	t.Logf("sh: %v\nstdout:\n%s\nstderr:\n%s", runErr, out, errOut)
	return string(out), string(errOut)
}

// TestReadmeSimLines runs the README's simulator lines exactly as written:
// the commands after sourcing must reach the simulator, never real AWS,
// and the simulator must stop cleanly and take its file with it. (The old
// `ssmdoctor sim > sim.env &` then `. ./sim.env` sourced a file not yet
// written.)
func TestReadmeSimLines(t *testing.T) {
	script := markedBlock(t, "README.md", "sim-start")
	if !strings.Contains(script, "ssmdoctor sim") {
		t.Fatalf("the marked README block does not start the simulator:\n%s", script)
	}
	out, errOut := runUserShell(t, script)
	if !strings.Contains(out, "aws-stub AWS_ENDPOINT_URL=http://127.0.0.1:") {
		t.Errorf("the aws line after sourcing did not get the simulator's endpoint; stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	for _, want := range []string{"demo-healthy (i-0a11600d000000001)", "IAM user demo-admin in account 123456789012"} {
		if !strings.Contains(out, want) {
			t.Errorf("`ssmdoctor check demo-healthy` after sourcing did not reach the simulator (no %q); stdout:\n%s\nstderr:\n%s", want, out, errOut)
		}
	}
	if !strings.Contains(out, "sim exit 0") || strings.Contains(out, "sim.env left behind") {
		t.Errorf("the simulator did not stop cleanly or left its file; stdout:\n%s", out)
	}
}

// TestReadmeSimLinesSimFails: when the simulator cannot start, the
// README's lines stop waiting at once, and sourcing the missing file ends
// the script before any command could reach AWS.
func TestReadmeSimLinesSimFails(t *testing.T) {
	script := markedBlock(t, "README.md", "sim-start")
	failing := "#!/bin/sh\necho 'error: simulated failure to start' >&2\nexit 2\n"
	begin := time.Now()
	out, errOut := runUserShell(t, script, [2]string{"ssmdoctor", failing})
	if took := time.Since(begin); took > 20*time.Second {
		t.Errorf("the lines took %v to give up on a simulator that exited at once", took)
	}
	if strings.Contains(out, "aws-stub") {
		t.Errorf("the aws line ran although the simulator never started; stdout:\n%s", out)
	}
	if !strings.Contains(errOut, "error: simulated failure to start") || !strings.Contains(errOut, "sim.env") {
		t.Errorf("stderr does not show the failure and the missing file:\n%s", errOut)
	}
}

// TestDemoTryItYourselfLines runs the lines the demo ends with, and checks
// that the demo prints them.
func TestDemoTryItYourselfLines(t *testing.T) {
	lines := tryItYourself("us-east-1", "i-0a11600d000000001")
	var script strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(lines, "\n"), "\n") {
		if !strings.HasPrefix(l, "  ") {
			t.Fatalf("line %q is not indented", l)
		}
		script.WriteString(strings.TrimPrefix(l, "  ") + "\n")
	}
	out, errOut := runUserShell(t, script.String())
	for _, want := range []string{"i-0a11600d000000001 (demo-healthy) is running", "IAM user demo-admin in account 123456789012", "sim exit 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q; stdout:\n%s\nstderr:\n%s", want, out, errOut)
		}
	}
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"ssmdoctor", "demo", "--no-color"}, strings.NewReader(""), &stdout, &stderr)
	if !strings.HasSuffix(stdout.String(), "\nTry it yourself (the simulator serves until you stop it with kill %1):\n"+lines) {
		t.Errorf("the demo does not end with these lines:\n%s\nits output ends:\n%s", lines, stdout.String()[max(0, stdout.Len()-600):])
	}
}

// startSim runs `ssmdoctor sim args...` in-process until the test ends and
// returns its stdout and stderr buffers (read them after stop) and stop,
// which cancels it and returns its exit code.
func startSim(t *testing.T, args ...string) (stdout, stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"ssmdoctor", "sim"}, args...), strings.NewReader(""), stdout, stderr)
	}()
	stopped := false
	code := 0
	stop = func() int {
		if stopped {
			return code
		}
		stopped = true
		cancel()
		select {
		case code = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("sim did not stop after cancellation")
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

// TestSimEnvFileAtomic: --env-file writes the exports once serving, whole
// (never a partial file under the final name), mode 0600, nothing on
// stdout; the file works, and goes when the simulator stops.
func TestSimEnvFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.env")
	stdout, stderr, stop := startSim(t, "--as", "alice", "--env-file", path)
	var data []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if data, err = os.ReadFile(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 10 s; stderr %q", path, stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The first read of the file already sees all of it.
	if !bytes.HasSuffix(data, []byte("\n")) || !bytes.Contains(data, []byte("export AWS_ENDPOINT_URL_KMS=")) {
		t.Fatalf("first read of the env file is partial:\n%s", data)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("env file mode %v, want 0600", perm)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries (a temporary file left?): %v", len(entries), entries)
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			t.Fatalf("unexpected line %q", sc.Text())
		}
		env[k] = v
	}
	client := sts.New(sts.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the env file: %v", err)
	}
	if got := aws.ToString(out.Arn); !strings.HasSuffix(got, ":user/alice") {
		t.Fatalf("caller = %s, want user/alice", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("sim exited %d: %s", code, stderr.String())
	}
	if stdout.String() != "" {
		t.Errorf("stdout = %q, want nothing with --env-file", stdout.String())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("env file still there after the simulator stopped (err %v)", err)
	}
	if !strings.Contains(stderr.String(), "its environment is in "+path) {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestSimEnvFileUnwritable: a directory that does not exist is an error
// naming the file, exit 3, and no simulator left serving.
func TestSimEnvFileUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "sim.env")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"ssmdoctor", "sim", "--env-file", path}, strings.NewReader(""), &stdout, &stderr)
	if code != exitInternal {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitInternal, stderr.String())
	}
	if !strings.Contains(stderr.String(), "error: sim: write --env-file "+path) || !strings.Contains(stderr.String(), "hint: choose a writable path for --env-file") {
		t.Errorf("stderr = %q", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q", stdout.String())
	}
}

// TestSimScenarioSizeLimit: `sim --scenario /dev/zero` used to read
// without end; now a file over 16 MiB is a usage error naming the limit.
func TestSimScenarioSizeLimit(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, bytes.Repeat([]byte(" "), awssim.MaxScenarioSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/zero", big} {
		var stdout, stderr bytes.Buffer
		done := make(chan int, 1)
		go func() {
			done <- run(context.Background(), []string{"ssmdoctor", "sim", "--scenario", p}, strings.NewReader(""), &stdout, &stderr)
		}()
		select {
		case code := <-done:
			if code != exitUsage {
				t.Errorf("%s: exit %d, want %d", p, code, exitUsage)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: sim still reading after 20 s", p)
		}
		want := "error: read scenario " + p + ": larger than the limit of 16 MiB"
		if !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "hint:") {
			t.Errorf("%s: stderr %q, want %q and a hint", p, stderr.String(), want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: stdout = %q", p, stdout.String())
		}
	}
}

// TestSimVerboseLogs: `sim --verbose` used to print nothing more; now each
// API call is a line (method, service, operation, status) on stderr, and
// no secret reaches it.
func TestSimVerboseLogs(t *testing.T) {
	stdout, stderr, stop := startSim(t, "--verbose", "--as", "alice")
	env := waitExports(t, stdout)
	client := sts.New(sts.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
	if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	bad := sts.New(sts.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], "wrong-secret-xyz", ""),
	})
	bad.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	stop()
	log := stderr.String()
	for _, want := range []string{"ssmdoctor sim: POST sts GetCallerIdentity 200 ", "ssmdoctor sim: POST sts GetCallerIdentity 403 "} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr has no %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{env["AWS_SECRET_ACCESS_KEY"], "wrong-secret-xyz", env["AWS_ACCESS_KEY_ID"], "Signature="} {
		if strings.Contains(log, secret) {
			t.Errorf("stderr shows a secret (%q):\n%s", secret, log)
		}
	}
	// Without --verbose, no request lines.
	stdout2, quiet, stop2 := startSim(t, "--as", "alice")
	env2 := waitExports(t, stdout2)
	sts.New(sts.Options{
		Region:       env2["AWS_REGION"],
		BaseEndpoint: aws.String(env2["AWS_ENDPOINT_URL"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env2["AWS_ACCESS_KEY_ID"], env2["AWS_SECRET_ACCESS_KEY"], ""),
	}).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	stop2()
	if strings.Contains(quiet.String(), "GetCallerIdentity") {
		t.Errorf("request logged without --verbose:\n%s", quiet.String())
	}
}

// waitExports waits for the exports sim prints on stdout, up to the last.
func waitExports(t *testing.T, stdout *syncBuffer) map[string]string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out := stdout.String(); strings.Contains(out, "export AWS_ENDPOINT_URL_KMS=") && strings.HasSuffix(out, "\n") {
			env := map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				k, v, _ := strings.Cut(strings.TrimPrefix(l, "export "), "=")
				env[k] = v
			}
			return env
		}
		if time.Now().After(deadline) {
			t.Fatalf("sim printed no environment after 10 s: %q", stdout.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSimNoPacing: --no-pacing turns the agent-like 1 ms per 1 KiB
// message off: 256 KiB from the instance take at least 256 ms paced and
// far less unpaced, through a real session of the simulator sim serves.
func TestSimNoPacing(t *testing.T) {
	const size = 256 << 10
	download := func(t *testing.T, args ...string) (time.Duration, awssim.DCOptions) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write(make([]byte, size))
			c.Close()
		}()
		started := make(chan awssim.DCOptions, 1)
		simStarted = func(s *awssim.Sim) {
			s.WithState(func(st *awssim.State) {
				st.Instances["i-0a11600d000000001"].Ports = map[string]string{"22": ln.Addr().String()}
			})
			started <- s.DataChannelOptions()
		}
		defer func() { simStarted = nil }()
		stdout, stderr, stop := startSim(t, args...)
		defer stop()
		var opts awssim.DCOptions
		select {
		case opts = <-started:
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: simulator did not start: %s", args, stderr.String())
		}
		env := waitExports(t, stdout)
		api := ssm.New(ssm.Options{
			Region:       env["AWS_REGION"],
			BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
			Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
		})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sess, err := tunnel.Open(ctx, tunnelaws.Sessions{Client: api}, tunnel.Options{Target: "i-0a11600d000000001", Port: 22})
		if err != nil {
			t.Fatalf("open a session: %v", err)
		}
		defer sess.Close()
		stdin, stdinW := io.Pipe() // open until the session ends
		defer stdinW.Close()
		var got countWriter
		begin := time.Now()
		err = sess.Run(ctx, stdin, &got)
		took := time.Since(begin)
		if got.n != size {
			t.Fatalf("%v: received %d bytes, want %d (run: %v)", args, got.n, size, err)
		}
		return took, opts
	}
	paced, popts := download(t)
	unpaced, uopts := download(t, "--no-pacing")
	t.Logf("256 KiB: paced %v, unpaced %v", paced, unpaced)
	if popts.PerMessageDelay != time.Millisecond || uopts.PerMessageDelay != 0 {
		t.Errorf("PerMessageDelay paced %v, with --no-pacing %v; want 1ms and 0", popts.PerMessageDelay, uopts.PerMessageDelay)
	}
	if paced < 256*time.Millisecond {
		t.Errorf("paced download took %v, under 1 ms per 1 KiB message", paced)
	}
	if unpaced > paced/2 {
		t.Errorf("--no-pacing download took %v, paced %v: not unpaced", unpaced, paced)
	}
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// syncBuffer is a bytes.Buffer safe for the simulator's goroutines to
// write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSimEnvFileQuotesValues: a scenario's keys are anyone's
// text and the environment file is sourced; a value with shell syntax in
// it must arrive as text, never run.
func TestSimEnvFileQuotesValues(t *testing.T) {
	st := awssim.DemoScenario()
	const hostile = "s'; touch pwned1; echo '$(touch pwned2)`touch pwned3`\"x\\"
	found := false
	for _, k := range st.AccessKeys {
		if k.UserName == "alice" && k.SessionToken == "" {
			k.Secret = hostile
			found = true
		}
	}
	if !found {
		t.Fatal("the demo scenario has no access key for alice")
	}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(t.TempDir(), "hostile.json")
	if err := os.WriteFile(scenario, data, 0o600); err != nil {
		t.Fatal(err)
	}
	script := "rm -f sim.env; ssmdoctor sim --scenario " + scenario + " --as alice --env-file sim.env &\n" +
		"until [ -s sim.env ] || ! kill -0 $! 2>/dev/null; do sleep 0.1; done\n" +
		". ./sim.env\n" +
		"printf 'secret=[%s]\\n' \"$AWS_SECRET_ACCESS_KEY\"\n" +
		"ls pwned* 2>/dev/null; true\n"
	out, errOut := runUserShell(t, script)
	if !strings.Contains(out, "secret=["+hostile+"]\n") {
		t.Errorf("values did not arrive intact; stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	// ls lists any pwned file the sourcing created.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "pwned") {
			t.Errorf("sourcing the file ran a command (%s exists); stdout:\n%s", l, out)
		}
	}
}

// TestSimEnvFileNotRegular: --env-file naming a symlink (/dev/stdout, say),
// a directory or a device is refused before anything starts: renaming
// over it would destroy it.
func TestSimEnvFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, kind string }{{link, "a symbolic link"}, {dir, "a directory"}, {"/dev/null", "a device"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"ssmdoctor", "sim", "--env-file", tc.path}, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d; stderr %q", tc.path, code, exitUsage, stderr.String())
		}
		want := "error: sim: --env-file " + tc.path + " exists and is not a regular file (" + tc.kind + ")"
		if !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "hint: ") || stdout.Len() != 0 {
			t.Errorf("%s: stdout %q stderr %q, want %q", tc.path, stdout.String(), stderr.String(), want)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced (%v)", err)
	}
}

// TestSimVerboseLogsDialError: with --verbose, the simulated agent's
// failure to reach the instance's port reaches stderr (it was invisible).
func TestSimVerboseLogsDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now
	simStarted = func(s *awssim.Sim) {
		s.WithState(func(st *awssim.State) { st.Instances["i-0a11600d000000001"].Ports = map[string]string{"22": closed} })
	}
	defer func() { simStarted = nil }()
	stdout, stderr, stop := startSim(t, "--verbose")
	env := waitExports(t, stdout)
	api := ssm.New(ssm.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := tunnel.Open(ctx, tunnelaws.Sessions{Client: api}, tunnel.Options{Target: "i-0a11600d000000001", Port: 22})
	if err == nil {
		stdin, stdinW := io.Pipe()
		defer stdinW.Close()
		sess.Run(ctx, stdin, io.Discard)
		sess.Close()
	}
	stop()
	log := stderr.String()
	for _, want := range []string{"ssmdoctor sim: POST ssm StartSession 200 ", ": connect to the target: dial tcp " + closed + ": connect: connection refused"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr has no %q:\n%s", want, log)
		}
	}
}

// TestSimEnvFileKeepsAnothersFile: a simulator stopping removes its env
// file only if it is still the one it wrote, not a second simulator's.
func TestSimEnvFileKeepsAnothersFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.env")
	_, stderr1, stop1 := startSim(t, "--env-file", path)
	first := waitFile(t, path, "")
	_, stderr2, stop2 := startSim(t, "--env-file", path)
	second := waitFile(t, path, first)
	if code := stop1(); code != 0 {
		t.Fatalf("first sim exited %d: %s", code, stderr1.String())
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != second {
		t.Fatalf("the first simulator's exit removed or changed the second's file (%v)", err)
	}
	if code := stop2(); code != 0 {
		t.Fatalf("second sim exited %d: %s", code, stderr2.String())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("env file still there after both stopped (err %v)", err)
	}
}

// waitFile waits until path exists with contents other than not, and
// returns them.
func waitFile(t *testing.T, path, not string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if data, err := os.ReadFile(path); err == nil && string(data) != not {
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new %s after 10 s", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
