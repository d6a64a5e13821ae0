//go:build windows

package onetimekey

import (
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/sys/windows"
)

// On Windows the one-time key is served on a named pipe that only the
// current user may open, named to ssh through SSH_AUTH_SOCK.
func TestWindowsPipeAgent(t *testing.T) {
	k, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if !strings.HasPrefix(k.sock, `\\.\pipe\ssmdoctor-agent-`) {
		t.Fatalf("agent at %q, want a named pipe", k.sock)
	}
	if env := k.Env(); len(env) != 1 || env[0] != "SSH_AUTH_SOCK="+k.sock {
		t.Fatalf("Env() = %q", env)
	}
	c, err := dialAgent(k.sock)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := agent.NewClient(c).List()
	c.Close()
	if err != nil || len(keys) != 1 || keys[0].Type() != "ssh-ed25519" {
		t.Fatalf("agent keys %v %v", keys, err)
	}
	sd, err := windows.GetNamedSecurityInfo(k.sock, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := currentUserSID()
	if err != nil {
		t.Fatal(err)
	}
	sddl := sd.String()
	trustees := regexp.MustCompile(`\(A;[^;]*;[^;]*;[^;]*;[^;]*;([^)]+)\)`).FindAllStringSubmatch(sddl, -1)
	if !strings.Contains(sddl, "D:P") || len(trustees) != 1 || trustees[0][1] != sid {
		t.Fatalf("pipe DACL %s: want one entry, for %s only, not inherited", sddl, sid)
	}
	k.Close()
	if c, err := dialAgent(k.sock); err == nil {
		c.Close()
		t.Fatal("the pipe still answers after Close")
	}
}
