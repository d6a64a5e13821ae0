package fix

import (
	"context"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
	"github.com/ssmdoctor/ssmdoctor/internal/tunnelaws"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// sshLogin logs in to the instance's port 22 through a Session Manager
// session (the simulator's data channel) with signer, as userName.
func sshLogin(ctx context.Context, c *awsapi.Clients, instanceID, userName string, signer ssh.Signer, hostKey ssh.PublicKey) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := tunnel.Open(ctx, tunnelaws.Sessions{Client: c.SSM}, tunnel.Options{Target: instanceID, Port: 22})
	if err != nil {
		return err
	}
	defer s.Close()
	local, remote := net.Pipe()
	defer local.Close()
	go s.Run(ctx, remote, remote)
	conn, chans, reqs, err := ssh.NewClientConn(local, "session-manager", &ssh.ClientConfig{
		User: userName, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.FixedHostKey(hostKey), Timeout: 15 * time.Second,
	})
	if err != nil {
		return err
	}
	ssh.NewClient(conn, chans, reqs).Close()
	return nil
}

// fix --authorize-key, then the key logs in: the simulator's agent runs
// the fix's script for real (Options.RealShell) against the tests' own
// sshd, whose AuthorizedKeysFile is in a temporary home, and the login
// goes through the simulator's data channel to that sshd. The check's
// --probe passes too. The runner's own ~/.ssh is never touched: the
// fix is pointed at the test sshd's config, which names the temp file.
func TestAuthorizeKeyThenLoginThroughSessionManager(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("skipping: the fixes' scripts cover Linux instances; this is %s", runtime.GOOS)
	}
	sh, err := exec.LookPath("dash")
	if err != nil {
		if sh, err = exec.LookPath("bash"); err != nil {
			t.Skip("skipping: neither dash nor bash")
		}
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	akf := filepath.Join(home, ".ssh", "authorized_keys")
	srv := testsshd.Start(t, testsshd.Options{AuthorizedKeysFile: akf})

	st := awssim.DemoScenario()
	st.Instances[healthyInst].Ports = map[string]string{"22": srv.Addr}
	sim := simtest.Start(t, st, awssim.Options{Logf: t.Logf, RealShell: sh})
	c := simtest.Clients(t, sim, st, awssim.DemoAccessKey, awsapi.Options{})
	a := NewAWS(c)
	ctx := context.Background()

	if err := sshLogin(ctx, c, healthyInst, me.Username, srv.UserSigner, srv.HostKey); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("before the fix the key must be refused, got %v", err)
	}
	key, err := ParsePublicKey([]byte(srv.UserPublicKey), srv.UserKeyPath+".pub")
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanAuthorizeKey(ctx, a, healthyInst, AuthorizeKeyRequest{User: me.Username, Key: key, SSHDConfig: srv.ConfigPath})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 {
		t.Fatalf("plan: %d steps, already %q", len(p.Steps), p.Already)
	}
	if err := p.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{filepath.Dir(akf): 0o700, akf: 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: %v %v, want %04o", path, fi, err, want)
		}
	}
	if err := sshLogin(ctx, c, healthyInst, me.Username, srv.UserSigner, srv.HostKey); err != nil {
		t.Fatalf("after the fix the key must log in: %v\nsshd log:\n%s", err, srv.Log())
	}
	again, err := PlanAuthorizeKey(ctx, a, healthyInst, AuthorizeKeyRequest{User: me.Username, Key: key, SSHDConfig: srv.ConfigPath})
	if err != nil || !again.Empty() {
		t.Fatalf("second plan: %v, %d steps", err, len(again.Steps))
	}

	// check --probe.
	env := &checks.Env{
		Options:  checks.Options{Probe: true, Port: 22},
		Target:   &checks.Target{Input: healthyInst, InstanceID: healthyInst, Region: "us-east-1"},
		Local:    checks.NewLocalEnv(),
		AWS:      awsfacts.NewAWSEnv(c),
		Sessions: checks.NewSessionOpener(c.SSM, c.KMS),
	}
	probed := false
	for _, o := range checks.Run(ctx, env, checks.Select(checks.All(), "session-probe"), checks.RunOptions{}) {
		if o.ID != "session-probe" {
			continue
		}
		probed = true
		if o.Result.Status != checks.StatusPass || !strings.HasPrefix(o.Result.Message, "sshd answered: SSH-2.0-") {
			t.Fatalf("session-probe: %s %q", o.Result.Status, o.Result.Message)
		}
	}
	if !probed {
		t.Fatal("session-probe did not run")
	}
}
