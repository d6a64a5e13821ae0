package main

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
)

// ssmdoctor fix --authorize-key, then ssmdoctor check --probe, against a
// real sshd behind the simulator's data channel: the simulator's agent
// runs the fix's script for real (Options.RealShell), writing into the
// test sshd's AuthorizedKeysFile in a temporary home (named by
// --sshd-config, so the runner's own ~/.ssh is never touched). The fix
// verifies itself with check --on-instance's instance-authorized-keys;
// the probe then reads sshd's banner, and a second fix changes nothing.
func TestFixAuthorizeKeyThenProbe(t *testing.T) {
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
	instHome := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(instHome, 0o755); err != nil {
		t.Fatal(err)
	}
	akf := filepath.Join(instHome, ".ssh", "authorized_keys")
	srv := testsshd.Start(t, testsshd.Options{AuthorizedKeysFile: akf})

	const id = "i-0a11600d000000001"
	st := awssim.DemoScenario()
	st.Instances[id].Ports = map[string]string{"22": srv.Addr}
	sim := simtest.Start(t, st, awssim.Options{Logf: t.Logf, RealShell: sh})
	home := inProcessAWS(t, sim.URL(), awssim.DemoAccessKey, awssim.DemoSecretKey)
	t.Setenv("AWS_REGION", "us-east-1")
	setPasswdHome(t, home)
	// ssh offers the test sshd's user key: it is the default key of the
	// (seamed) passwd home.
	for _, ext := range []string{"", ".pub"} {
		b, err := os.ReadFile(srv.UserKeyPath + ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"+ext), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	fix := []string{"fix", "--authorize-key", id, "--user", me.Username, "--key", srv.UserKeyPath + ".pub", "--sshd-config", srv.ConfigPath, "--yes", "--poll", "10ms"}
	r := runInProcess(t, fix...)
	if r.code != exitOK || !strings.Contains(r.stdout, "ssm SendCommand") || !strings.Contains(r.stdout, "verify instance-authorized-keys: pass") {
		t.Fatalf("fix --authorize-key: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if fi, err := os.Stat(akf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("authorized_keys after the fix: %v %v", fi, err)
	}
	r = runInProcess(t, "check", id, "--probe", "--format", "json", "--skip", "local-known-hosts")
	probe := jsonCheck(t, r.stdout, "session-probe")
	if probe["status"] != "pass" || !strings.HasPrefix(probe["message"].(string), "sshd answered: SSH-2.0-") {
		t.Fatalf("check --probe after the fix: %v\n%s", probe, r.stderr)
	}
	r = runInProcess(t, fix...)
	if r.code != exitOK || !strings.Contains(r.stdout, "already configured") {
		t.Fatalf("second fix: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(akf); strings.Count(string(b), "\n") != 1 {
		t.Fatalf("authorized_keys after two fixes:\n%s", b)
	}
}
