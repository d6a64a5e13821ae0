package testsshd

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestStartBannerAndLogin(t *testing.T) {
	s := Start(t, Options{})
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Addr, err)
	}
	banner, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil {
		t.Fatalf("read banner: %v", err)
	}
	if !strings.HasPrefix(banner, "SSH-2.0-OpenSSH") {
		t.Fatalf("banner = %q, want SSH-2.0-OpenSSH...", banner)
	}
	if got := runGo(t, s, "echo hello-$USER"); got != "hello-"+s.User {
		t.Fatalf("remote echo = %q, want %q", got, "hello-"+s.User)
	}
}

func TestSSHArgsWithOpenSSHClient(t *testing.T) {
	s := Start(t, Options{})
	if _, err := exec.LookPath("ssh"); err != nil {
		skipOrFail(t, "ssh client not found")
	}
	out, err := exec.Command("ssh", append(s.SSHArgs(), "echo", "via-openssh")...).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh %v: %v\n%s\nsshd log:\n%s", s.SSHArgs(), err, out, s.Log())
	}
	if strings.TrimSpace(string(out)) != "via-openssh" {
		t.Fatalf("ssh output = %q", out)
	}
}

func TestAuthorizedKeysScriptOnlyAdmitsItsKeys(t *testing.T) {
	// The script prints the key it is asked about only when it is the
	// user's key, so a login proves sshd ran it with the documented args.
	s := Start(t, Options{
		NoAuthorizedKeysFile: true,
		AuthorizedKeysScript: `cat "$(dirname "$0")/keys"` + "\n",
	})
	// Without any admitted key, login must fail.
	if _, err := ssh.Dial("tcp", s.Addr, s.ClientConfig()); err == nil {
		t.Fatal("login succeeded with no authorized key")
	}
	keys := filepath.Join(filepath.Dir(s.KeysCommandPath), "keys")
	if err := os.WriteFile(keys, []byte(s.UserPublicKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runGo(t, s, "echo admitted"); got != "admitted" {
		t.Fatalf("remote echo = %q", got)
	}
}

func runGo(t *testing.T, s *Server, cmd string) string {
	t.Helper()
	cl, err := ssh.Dial("tcp", s.Addr, s.ClientConfig())
	if err != nil {
		t.Fatalf("ssh dial %s: %v\nsshd log:\n%s", s.Addr, err, s.Log())
	}
	defer cl.Close()
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatalf("ssh session: %v", err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput(cmd)
	if err != nil {
		t.Fatalf("ssh run %q: %v\n%s", cmd, err, out)
	}
	return strings.TrimSpace(string(out))
}
