package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
)

// End-to-end tests: the real OpenSSH client runs `ssmdoctor proxy` (the
// binary built once in TestMain) as its ProxyCommand; the proxy talks to
// the simulator's SSM API and data channel, whose agent side dials a real
// sshd on loopback.

var ssmdoctorBin string

func TestMain(m *testing.M) {
	benchPipeProxy()
	dir, err := os.MkdirTemp("", "ssmdoctor-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ssmdoctorBin = filepath.Join(dir, "ssmdoctor")
	if out, err := exec.Command("go", "build", "-o", ssmdoctorBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ssmdoctor for end-to-end tests: %v\n%s", err, out)
		ssmdoctorBin = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	e2eID     = "i-0123456789abcdef0"
	e2eDown   = "i-0123456789abcdef1"
	e2eKeyID  = "AKIAE2EOPS"
	e2eSecret = "e2e-secret-Zq9vXk2"
	e2eNoKey  = "AKIAE2ENOSESSION"
	kmsKeyID  = "1234abcd-12ab-34cd-56ef-1234567890ab"
)

type e2eClock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *e2eClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.d) }
func (c *e2eClock) advance(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// e2eState is the smallest account the tunnel needs: one healthy
// instance (and one whose agent lost its connection), a user who may do
// everything Session Manager needs, and one who may not start sessions.
func e2eState() *awssim.State {
	st := &awssim.State{}
	st.Normalize()
	st.VPCs["vpc-1"] = &awssim.VPC{ID: "vpc-1", Region: "us-east-1", CidrBlock: "10.0.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true}
	st.Subnets["subnet-1"] = &awssim.Subnet{ID: "subnet-1", VpcID: "vpc-1", Region: "us-east-1", AvailabilityZone: "us-east-1a", CidrBlock: "10.0.0.0/24"}
	st.RouteTables["rtb-1"] = &awssim.RouteTable{ID: "rtb-1", VpcID: "vpc-1", Region: "us-east-1", Main: true, Routes: []awssim.Route{
		{DestinationCidrBlock: "10.0.0.0/16", GatewayID: "local", State: "active"},
		{DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-1", State: "active"}}}
	st.Roles["ssm-core"] = &awssim.Role{Name: "ssm-core", ID: "AROASSMCORE0000001", AttachedPolicies: []string{awssim.PolicySSMManagedInstanceCore}}
	st.InstanceProfile["prof-core"] = &awssim.InstanceProfile{Name: "prof-core", ID: "AIPACORE000000001", Roles: []string{"ssm-core"}}
	for i, id := range []string{e2eID, e2eDown} {
		// A public address: the agent's way out is the internet gateway.
		st.Instances[id] = &awssim.Instance{ID: id, Region: "us-east-1", State: "running", SubnetID: "subnet-1", VpcID: "vpc-1",
			InstanceProfileName: "prof-core", PlatformName: "Amazon Linux", PlatformVersion: "2023", PrivateIP: "10.0.0.10", PublicIP: fmt.Sprintf("3.80.0.%d", 10+i),
			Tags:     []awssim.Tag{{Key: "Name", Value: "web-" + id[len(id)-1:]}},
			Metadata: awssim.MetadataOptions{HTTPTokens: "required", HTTPEndpoint: "enabled", HopLimit: 2},
			Agent:    awssim.Agent{Installed: true, Version: "3.3.1142.0", IsLatest: true, ComputerName: "ip-10-0-0-10"}}
	}
	st.Instances[e2eDown].Agent.PingStatus = "ConnectionLost"
	st.KMSKeys[kmsKeyID] = &awssim.KMSKey{ID: kmsKeyID, Region: "us-east-1"}
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:*","ec2:Describe*","ec2-instance-connect:*","kms:*","sts:GetCallerIdentity","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`
	noSession := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:Describe*","ec2:Describe*","sts:GetCallerIdentity"],"Resource":"*"}]}`
	st.Users["ops"] = &awssim.User{Name: "ops", ID: "AIDAOPS00000000001", InlinePolicies: map[string]string{"all": allow}}
	st.Users["viewer"] = &awssim.User{Name: "viewer", ID: "AIDAVIEWER00000001", InlinePolicies: map[string]string{"p": noSession}}
	st.AccessKeys[e2eKeyID] = &awssim.AccessKey{ID: e2eKeyID, Secret: e2eSecret, UserName: "ops", Status: "Active"}
	st.AccessKeys[e2eNoKey] = &awssim.AccessKey{ID: e2eNoKey, Secret: e2eSecret, UserName: "viewer", Status: "Active"}
	return st
}

type e2e struct {
	t      testing.TB
	sim    *awssim.Sim
	sshd   *testsshd.Server
	clock  *e2eClock
	home   string
	tmp    string
	known  string
	env    []string
	simLog *bytes.Buffer
}

type e2eOpts struct {
	keysCommand bool // sshd admits only keys the simulator holds (EC2 Instance Connect)
	kms         bool // session preferences require KMS encryption
}

func startE2E(t testing.TB, o e2eOpts) *e2e {
	t.Helper()
	if ssmdoctorBin == "" {
		t.Fatal("the ssmdoctor binary could not be built (see TestMain output)")
	}
	for _, tool := range []string{"ssh", "scp"} {
		needTool(t, tool)
	}
	st := e2eState()
	if o.kms {
		st.SessionPreferences.KMSKeyID = kmsKeyID
	}
	clock := &e2eClock{}
	var logMu sync.Mutex
	simLog := &bytes.Buffer{}
	sim, err := awssim.New(st, awssim.Options{Now: clock.now, Logf: func(f string, a ...any) {
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
	so := testsshd.Options{}
	if o.keysCommand {
		so.AuthorizedKeysScript = awssim.AuthorizedKeysScript(sim.URL(), e2eID)
		so.NoAuthorizedKeysFile = true
	}
	sshd := testsshd.Start(t, so)
	sim.WithState(func(st *awssim.State) { st.Instances[e2eID].Ports = map[string]string{"22": sshd.Addr} })
	e := &e2e{t: t, sim: sim, sshd: sshd, clock: clock, home: t.TempDir(), tmp: t.TempDir(), simLog: simLog}
	e.known = filepath.Join(e.home, "known_hosts")
	// The alias is the instance id: HostKeyAlias makes ssh look the host
	// key up under it, whatever name the user typed.
	line := e2eID + " " + string(ssh.MarshalAuthorizedKey(sshd.HostKey))
	if err := os.WriteFile(e.known, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "SSH_AUTH_SOCK=") || strings.HasPrefix(kv, "HOME=") ||
			strings.HasPrefix(kv, "TMPDIR=") || strings.HasPrefix(kv, "XDG_CACHE_HOME=") || strings.HasPrefix(kv, "HTTP") {
			continue
		}
		e.env = append(e.env, kv)
	}
	e.env = append(e.env, "AWS_ENDPOINT_URL="+sim.URL(), "AWS_ACCESS_KEY_ID="+e2eKeyID, "AWS_SECRET_ACCESS_KEY="+e2eSecret,
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1",
		"HOME="+e.home, "TMPDIR="+e.tmp, "XDG_CACHE_HOME="+filepath.Join(e.home, ".cache"))
	return e
}

// sshOpts are the client options every test uses: no user config, the
// test key (unless keyless), strict host key checking, no prompts.
func (e *e2e) sshOpts(withKey bool) []string {
	o := []string{"-F", "/dev/null", "-o", "UserKnownHostsFile=" + e.known, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"}
	if withKey {
		o = append(o, "-i", e.sshd.UserKeyPath, "-o", "IdentitiesOnly=yes")
	}
	return o
}

// viaProxy are the client options that reach the instance through proxy
// as ProxyCommand, as a user writes them without our ssh.
func (e *e2e) viaProxy(proxy string) []string {
	return append(e.sshOpts(true), "-o", "ProxyCommand="+proxy, "-o", "HostKeyAlias="+e2eID)
}

type result struct {
	code           int
	stdout, stderr string
}

// run executes ssmdoctor with args and checks what it printed for
// secrets.
func (e *e2e) run(stdin io.Reader, env []string, args ...string) result {
	e.t.Helper()
	r := e.command(stdin, env, ssmdoctorBin, args...)
	e.checkNoSecrets(r.stdout, r.stderr)
	return r
}

// command runs a program (ssmdoctor or an OpenSSH tool) in the test's
// environment plus env; a run that outlives its budget is killed and
// fails the test rather than hanging it.
func (e *e2e) command(stdin io.Reader, env []string, name string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(append([]string(nil), e.env...), env...)
	cmd.Stdin = stdin
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		e.t.Fatalf("%s %s hung; stderr:\n%s", filepath.Base(name), strings.Join(args, " "), se.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run %s: %v", filepath.Base(name), err)
	}
	return result{code, so.String(), se.String()}
}

// checkNoSecrets fails when a credential, a token or a private key shows
// up in what ssmdoctor (or ssh through it) printed.
func (e *e2e) checkNoSecrets(outs ...string) {
	e.t.Helper()
	for _, s := range outs {
		for _, secret := range []string{e2eSecret, "PRIVATE KEY", "TokenValue"} {
			if strings.Contains(s, secret) {
				e.t.Fatalf("output contains a secret (%q)", secret)
			}
		}
	}
}

func (e *e2e) ssh(extra []string, args ...string) result {
	e.t.Helper()
	return e.run(nil, extra, append(append([]string{"ssh"}, e.sshOpts(true)...), args...)...)
}

func (e *e2e) dest() string { return e.sshd.User + "@" + e2eID }

func TestE2ESSHExitStatus(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	if r := e.ssh(nil, e.dest(), "true"); r.code != 0 {
		t.Fatalf("ssh true: exit %d\nstderr:\n%s\nsshd:\n%s", r.code, r.stderr, e.sshd.Log())
	}
	if r := e.ssh(nil, e.dest(), "exit 42"); r.code != 42 {
		t.Fatalf("ssh 'exit 42': exit %d, want 42\n%s", r.code, r.stderr)
	}
	// By Name tag, with options whose arguments look like destinations.
	r := e.ssh(nil, "-p", "22", "-o", "ConnectTimeout=30", "-l", e.sshd.User, "web-0", "echo", "hello")
	if r.code != 0 || r.stdout != "hello\n" {
		t.Fatalf("ssh by name: exit %d stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestE2EPreflightDescribesOnce: a Name tag is looked up among running
// instances, so the preflight does not ask EC2 about the instance again
// (and the proxy gets the id, which needs no lookup).
func TestE2EPreflightDescribesOnce(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	describes := e.sim.Calls("ec2.DescribeInstances")
	if r := e.ssh(nil, "-l", e.sshd.User, "web-0", "true"); r.code != 0 {
		t.Fatalf("ssh by name: exit %d\n%s", r.code, r.stderr)
	}
	if n := e.sim.Calls("ec2.DescribeInstances") - describes; n != 1 {
		t.Fatalf("ssh by name made %d DescribeInstances calls, want 1", n)
	}
}

func TestE2EProxyErrors(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	r := e.run(strings.NewReader(""), nil, "proxy", e2eDown, "22")
	want := "error: " + e2eDown + " is not connected (TargetNotConnected)\nhint: run: ssmdoctor check " + e2eDown + "\n"
	if r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Fatalf("proxy to a disconnected instance: exit %d stdout %q stderr %q, want exit 1 and %q", r.code, r.stdout, r.stderr, want)
	}
	r = e.run(strings.NewReader(""), []string{"AWS_ACCESS_KEY_ID=" + e2eNoKey}, "proxy", e2eID, "22")
	if r.code != 1 || !strings.Contains(r.stderr, "not allowed to start a session on "+e2eID+" (AccessDeniedException)") {
		t.Fatalf("proxy without ssm:StartSession: exit %d stderr %q", r.code, r.stderr)
	}
	r = e.ssh(nil, e.sshd.User+"@"+e2eDown, "true")
	if r.code != 1 || !strings.Contains(r.stderr, "preflight for "+e2eDown+" failed") || !strings.Contains(r.stderr, "ConnectionLost") {
		t.Fatalf("ssh to a disconnected instance: exit %d stderr %q, want the preflight report and exit 1", r.code, r.stderr)
	}
}

func TestE2ETargetInjection(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	marker := filepath.Join(e.tmp, "pwned")
	for _, target := range []string{"i-1;touch " + marker, "$(touch " + marker + ")", "`touch " + marker + "`", "a b", "web|sh", "-oProxyCommand=x"} {
		r := e.run(strings.NewReader(""), nil, "proxy", target, "22")
		if r.code != 2 {
			t.Fatalf("proxy %q: exit %d, want 2 (usage)\n%s", target, r.code, r.stderr)
		}
		r = e.ssh(nil, "root@"+target, "true")
		if r.code != 2 {
			t.Fatalf("ssh root@%q: exit %d, want 2\n%s", target, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a shell command in TARGET ran")
	}
}

// payload writes n deterministic pseudo-random bytes to a file and
// returns its sha256.
func payload(t testing.TB, path string, n int64, seed byte) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)); err != nil {
		t.Fatal(err)
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

func fileSum(t testing.TB, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// scpRoundTrip uploads n bytes with scp and downloads them again (both
// through the tunnel), checks both copies are byte-identical and returns
// what the two runs printed on stderr.
func (e *e2e) scpRoundTrip(n int64, extra ...string) string {
	e.t.Helper()
	return e.scpRoundTripTo(e.dest(), n, extra...)
}

// scpRoundTripTo copies n bytes to dest (scp's [user@]host form) and back.
func (e *e2e) scpRoundTripTo(dest string, n int64, extra ...string) string {
	e.t.Helper()
	dir := e.t.TempDir()
	src, remote, back := filepath.Join(dir, "src"), filepath.Join(dir, "remote"), filepath.Join(dir, "back")
	want := payload(e.t, src, n, byte(n))
	base := append([]string{"scp"}, e.sshOpts(true)...)
	base = append(base, extra...)
	up := e.run(nil, nil, append(base, src, dest+":"+remote)...)
	if up.code != 0 {
		e.t.Fatalf("scp upload: exit %d\n%s\nsim:\n%s", up.code, up.stderr, e.simLog.String())
	}
	if got := fileSum(e.t, remote); got != want {
		e.t.Fatalf("upload of %d bytes differs", n)
	}
	down := e.run(nil, nil, append(base, dest+":"+remote, back)...)
	if down.code != 0 {
		e.t.Fatalf("scp download: exit %d\n%s", down.code, down.stderr)
	}
	if got := fileSum(e.t, back); got != want {
		e.t.Fatalf("download of %d bytes differs", n)
	}
	return up.stderr + down.stderr
}

func TestE2ESCP(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	t.Run("64MiB_unpaced", func(t *testing.T) {
		e.t = t
		e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: 0})
		e.scpRoundTrip(64 << 20)
	})
	t.Run("4MiB_paced", func(t *testing.T) {
		e.t = t
		e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: time.Millisecond})
		e.scpRoundTrip(4 << 20)
	})
}

func TestE2ESFTP(t *testing.T) {
	needTool(t, "sftp")
	e := startE2E(t, e2eOpts{})
	e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: 0})
	dir := t.TempDir()
	src, remote, back := filepath.Join(dir, "src"), filepath.Join(dir, "remote"), filepath.Join(dir, "back")
	want := payload(t, src, 8<<20, 3)
	// sftp is not wrapped; it uses the same ProxyCommand ssh would get.
	args := append(e.viaProxy(ssmdoctorBin+" proxy %h %p"), "-b", "-", e.dest())
	cmd := exec.Command("sftp", args...)
	cmd.Env = e.env
	cmd.Stdin = strings.NewReader(fmt.Sprintf("put %s %s\nget %s %s\n", src, remote, remote, back))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	e.checkNoSecrets(string(out))
	if fileSum(t, remote) != want || fileSum(t, back) != want {
		t.Fatal("sftp copies differ")
	}
}

func TestE2EFaults(t *testing.T) {
	const n = 16 << 20
	cases := []struct {
		name   string
		faults awssim.DCFaults
		errHas string // "" = the transfer must succeed
	}{
		{"websocket_dropped", awssim.DCFaults{DropAfterMessages: 3000}, ""},
		{"duplicated", awssim.DCFaults{DuplicateEvery: 7}, ""},
		{"reordered", awssim.DCFaults{ReorderEvery: 5}, ""},
		{"delayed_messages", awssim.DCFaults{DelayMessages: time.Millisecond}, ""},
		{"delayed_acks", awssim.DCFaults{DelayAcks: 50 * time.Millisecond}, ""},
		{"corrupt_digest", awssim.DCFaults{CorruptDigestEvery: 101}, ""},
		{"pause_publication", awssim.DCFaults{PauseAfter: 2000}, ""},
		{"channel_closed", awssim.DCFaults{ChannelClosedAfter: 2000, ChannelClosedOutput: "Session terminated by the test"}, "Session terminated by the test"},
		{"handshake_refused", awssim.DCFaults{RefuseHandshake: true}, "closed"},
	}
	e := startE2E(t, e2eOpts{})
	e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: 0})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.sim.SetDataChannelFaults(tc.faults)
			defer e.sim.SetDataChannelFaults(awssim.DCFaults{})
			if tc.errHas == "" {
				// --verbose: the proxy's diagnostics are checked for
				// secrets like every other output.
				log := e.scpRoundTrip(n, "--verbose")
				if tc.name == "websocket_dropped" && !strings.Contains(log, "resumed") {
					t.Fatalf("no resume in the proxy's log:\n%s", log)
				}
				return
			}
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			payload(t, src, n, 9)
			// A download: the sshd side then sends thousands of messages,
			// so the fault lands mid-transfer.
			r := e.run(nil, nil, append(append([]string{"scp"}, e.sshOpts(true)...), e.dest()+":"+src, filepath.Join(dir, "back"))...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.errHas) {
				t.Fatalf("exit %d, stderr %q: want a failure that says %q", r.code, r.stderr, tc.errHas)
			}
			t.Logf("the user reads:\n%s", r.stderr)
		})
	}
}

// TestE2EKMS: with a KMS key in the session preferences, an SSH session
// is not encrypted with it, as the agent encrypts only shell sessions:
// scp works and no data key is asked for. Then with a simulated agent that
// encrypts Port sessions too, scp moves 16 MiB each way through the
// client's encryption.
func TestE2EKMS(t *testing.T) {
	e := startE2E(t, e2eOpts{kms: true})
	e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: 0})
	e.scpRoundTrip(1 << 20)
	if n := e.sim.Calls("kms.GenerateDataKey"); n != 0 {
		t.Errorf("%d kms:GenerateDataKey calls for an SSH session, want none", n)
	}
	e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: 0, EncryptPortSessions: true})
	e.scpRoundTrip(16 << 20)
	if n := e.sim.Calls("kms.GenerateDataKey"); n == 0 {
		t.Error("no kms:GenerateDataKey call: the session was not encrypted")
	}
}

func TestE2EOneTimeKey(t *testing.T) {
	e := startE2E(t, e2eOpts{keysCommand: true})
	// Without a key of its own, the user's ssh has nothing sshd accepts:
	// only the simulator's EC2 Instance Connect keys are authorized.
	opts := e.sshOpts(false)
	r := e.run(nil, nil, append(append([]string{"ssh"}, opts...), "-o", "IdentityAgent=none", "--no-preflight", e.dest(), "true")...)
	if r.code != 0 {
		t.Fatalf("ssh with the default one-time key: exit %d\n%s\nsshd:\n%s", r.code, r.stderr, e.sshd.Log())
	}
	r = e.run(nil, nil, append(append([]string{"ssh", "--ephemeral-key"}, opts...), e.dest(), "exit 7")...)
	if r.code != 7 {
		t.Fatalf("ssh --ephemeral-key: exit %d\n%s", r.code, r.stderr)
	}
	keys := e.eicKeys()
	if strings.Count(keys, "ssh-ed25519 ") != 2 {
		t.Fatalf("simulator holds %q, want the two pushed ed25519 keys", keys)
	}
	e.clock.advance(61 * time.Second)
	if keys := e.eicKeys(); strings.TrimSpace(keys) != "" {
		t.Fatalf("keys still held 61 s later: %q", keys)
	}
	if hasKeyDir(e.tmp) {
		t.Fatal("one-time key directory left behind")
	}
	// Ctrl-C while ssh runs: the one-time key directory still goes.
	cmd := exec.Command(ssmdoctorBin, append(append([]string{"ssh", "--ephemeral-key"}, opts...), e.dest(), "sleep 120")...)
	cmd.Env = e.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !hasKeyDir(e.tmp) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the one-time key directory never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	waitDone := make(chan error, 1)
	go func() { waitDone <- cmd.Wait() }()
	select {
	case <-waitDone:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("ssmdoctor ssh did not end after Ctrl-C")
	}
	if hasKeyDir(e.tmp) {
		t.Fatal("one-time key directory left behind after Ctrl-C")
	}
	// With the key expired and no key of its own, the user's plain ssh
	// (same proxy, no one-time key) is refused.
	r = e.ssh(nil, "-o", "IdentityAgent=none", e.dest(), "true")
	if r.code == 0 {
		t.Fatal("sshd accepted a key the simulator does not hold")
	}
}

func hasKeyDir(tmp string) bool {
	entries, _ := os.ReadDir(tmp)
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), "ssmdoctor-key-") {
			return true
		}
	}
	return false
}

func (e *e2e) eicKeys() string {
	e.t.Helper()
	q := url.Values{"instance": {e2eID}, "user": {e.sshd.User}}
	resp, err := http.Get(e.sim.URL() + "/_sim/eic-keys?" + q.Encode())
	if err != nil {
		e.t.Fatalf("read simulator keys: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("read simulator keys: HTTP %d %s", resp.StatusCode, b)
	}
	return string(b)
}
