package onetimekey

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh/agent"
)

// The key lives in its own agent: ssh is told to offer it and nothing
// else, the socket serves exactly this key, and Close removes it all.
func TestKeyAgentAndClose(t *testing.T) {
	k, err := New()
	if err != nil {
		t.Fatal(err)
	}
	opts := strings.Join(k.SSHOptions(), " ")
	agentOpt := "IdentityAgent=" + k.sock
	if runtime.GOOS == "windows" {
		agentOpt = "IdentityAgent=SSH_AUTH_SOCK" // and the pipe in Env (onetimekey_windows_test.go)
	}
	if !strings.Contains(opts, agentOpt) || !strings.Contains(opts, "IdentitiesOnly=yes") || !strings.Contains(opts, "-i "+k.pubPath) {
		t.Fatalf("ssh options %q", opts)
	}
	if fi, err := os.Stat(k.dir); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700) {
		t.Fatalf("key directory: %v %v", fi, err)
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
	k.Close()
	if _, err := os.Stat(k.dir); !os.IsNotExist(err) {
		t.Fatalf("Close left %s: %v", k.dir, err)
	}
}

// UserHasKey looks in the home it is given (the passwd home ssh reads),
// not in $HOME.
func TestUserHasKeyLooksInTheGivenHome(t *testing.T) {
	withKey, without := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(withKey, ".ssh"), 0o700)
	if err := os.WriteFile(filepath.Join(withKey, ".ssh", "id_ed25519"), []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", withKey)
	if UserHasKey(without, "") {
		t.Error("a key under $HOME counted though ssh reads another home")
	}
	if !UserHasKey(withKey, "") {
		t.Error("the key in the given home was not seen")
	}
}
