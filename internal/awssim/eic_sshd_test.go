package awssim

import (
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
	"golang.org/x/crypto/ssh"
)

// TestEICRealSSHD: a real OpenSSH sshd admits a key only while EC2 Instance
// Connect holds it, through the AuthorizedKeysCommand script.
func TestEICRealSSHD(t *testing.T) {
	needPython3(t)
	s, clk := startSSMSim(t)
	srv := testsshd.Start(t, testsshd.Options{AuthorizedKeysScript: AuthorizedKeysScript(s.URL(), idHealthy), NoAuthorizedKeysFile: true})
	login := func() error {
		cfg := srv.ClientConfig()
		cfg.Timeout = 10 * time.Second
		cl, err := ssh.Dial("tcp", srv.Addr, cfg)
		if err == nil {
			cl.Close()
		}
		return err
	}
	if err := login(); err == nil {
		t.Fatal("sshd admitted a key nobody pushed")
	}
	if _, err := sendKey(eicAs(s, "ops"), idHealthy, srv.User, srv.UserPublicKey); err != nil {
		t.Fatal(err)
	}
	if err := login(); err != nil {
		t.Fatalf("pushed key refused: %v\nsshd log:\n%s", err, srv.Log())
	}
	clk.Advance(eicKeyLifetime)
	if err := login(); err == nil {
		t.Fatal("sshd admitted the key after 60 s")
	}
}
