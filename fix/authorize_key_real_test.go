package fix

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
	"github.com/ssmdoctor/ssmdoctor/internal/oninstance/script"
	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
)

// The authorize-key script run for real under dash, bash (and busybox's
// ash where it is installed), for the user running the test, against a
// temporary home: an sshd config whose
// AuthorizedKeysFile lies in a temp dir (the script writes where sshd -T
// says). The runner's own ~/.ssh is never touched: the test first makes
// sure sshd -T resolves the temp path.
func TestAuthorizeKeyScriptReal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("skipping: the fixes' scripts cover Linux instances; this is %s", runtime.GOOS)
	}
	sshd, err := testsshd.Find(testsshd.Options{})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("skipping: " + err.Error())
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range []string{"dash", "bash", "busybox"} {
		t.Run(sh, func(t *testing.T) {
			shPath, err := exec.LookPath(sh)
			if err != nil {
				if os.Getenv("CI") == "true" && sh != "busybox" {
					t.Fatalf("%s is required in CI", sh)
				}
				t.Skipf("skipping: %s not installed", sh)
			}
			shArgs := []string{shPath}
			if sh == "busybox" {
				shArgs = append(shArgs, "sh") // its ash
			}
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			if err := os.Mkdir(home, 0o755); err != nil {
				t.Fatal(err)
			}
			akf := filepath.Join(home, ".ssh", "authorized_keys")
			hostKey := filepath.Join(dir, "hostkey")
			if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen: %v\n%s", err, out)
			}
			cfg := filepath.Join(dir, "sshd_config")
			if err := os.WriteFile(cfg, []byte("HostKey "+hostKey+"\nAuthorizedKeysFile "+akf+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(sshd, "-T", "-f", cfg, "-C", "user="+me.Username+",host=localhost,addr=127.0.0.1").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "authorizedkeysfile "+akf+"\n") {
				t.Fatalf("sshd -T does not resolve the temp file (refusing to run the script, which would write elsewhere): %v\n%s", err, out)
			}
			run := func() string {
				commands := oninstance.Commands(script.AuthorizeKey(), me.Username, otherKey, cfg)
				f := filepath.Join(dir, "_script.sh")
				if err := os.WriteFile(f, []byte(strings.Join(commands, "\n")+"\n"), 0o700); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(shArgs[0], append(shArgs[1:], f)...).CombinedOutput()
				if err != nil {
					t.Fatalf("%s authorize-key: %v\n%s", sh, err, out)
				}
				return string(out)
			}
			first := run()
			if !strings.Contains(first, "result=added\n") || !strings.Contains(first, "path="+akf+"\n") || !strings.HasSuffix(first, "end=ok\n") {
				t.Fatalf("first run:\n%s", first)
			}
			second := run()
			if !strings.Contains(second, "result=present\n") {
				t.Fatalf("second run:\n%s", second)
			}
			for path, want := range map[string]os.FileMode{filepath.Dir(akf): 0o700, akf: 0o600} {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != want {
					t.Errorf("%s is %04o, want %04o", path, fi.Mode().Perm(), want)
				}
			}
			b, err := os.ReadFile(akf)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != otherKey+"\n" {
				t.Fatalf("authorized_keys after two runs:\n%q", b)
			}
			// A wrong mode left by hand is put right, and still no line added.
			if err := os.Chmod(akf, 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Dir(akf), 0o777); err != nil {
				t.Fatal(err)
			}
			run()
			if fi, _ := os.Stat(akf); fi.Mode().Perm() != 0o600 {
				t.Errorf("after a third run authorized_keys is %04o", fi.Mode().Perm())
			}
			if fi, _ := os.Stat(filepath.Dir(akf)); fi.Mode().Perm() != 0o700 {
				t.Errorf("after a third run ~/.ssh is %04o", fi.Mode().Perm())
			}
			if b, _ := os.ReadFile(akf); strings.Count(string(b), "\n") != 1 {
				t.Errorf("a third run added a line:\n%s", b)
			}
		})
	}
}
