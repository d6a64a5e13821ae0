package checks

import (
	"context"
	"os/user"
	"strings"
	"testing"
)

// The local checks know the home directory as ssh does: the passwd
// entry's. $HOME pointing elsewhere (a container job, sudo -E) changes
// nothing about which ~/.ssh/config ssh reads, so it must not change which
// file the checks explain either.
func TestLocalHomeIsPasswdHome(t *testing.T) {
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		t.Skipf("no passwd entry for the current user: %v", err)
	}
	t.Setenv("HOME", t.TempDir())
	l := NewLocalEnv()
	home, err := l.HomeDir()
	if err != nil || home != u.HomeDir {
		t.Fatalf("HomeDir = %q, %v; want the passwd home %q", home, err, u.HomeDir)
	}
	if p, _ := l.UserSSHConfigPath(); p != u.HomeDir+"/.ssh/config" {
		t.Fatalf("UserSSHConfigPath = %q", p)
	}
}

// With no Session Manager route and $HOME not the passwd home, the
// warning says which file ssh reads, and that the one under $HOME is
// ignored.
func TestLocalSSHConfigNamesPasswdHome(t *testing.T) {
	const host = "i-0123456789abcdef0"
	m := newFakeMachine()
	m.sshG(host, baseG)
	m.env["HOME"] = "/tmp/y"
	m.files["/tmp/y/.ssh/config"] = fakeFile{mode: 0o600, data: "Host i-*\n  ProxyCommand ssmdoctor proxy %h %p\n"}
	r := sshConfigCheck().Run(context.Background(), &Env{Local: m.local()})
	want := "ssh reads /home/u/.ssh/config (your passwd home), not $HOME/.ssh/config: $HOME is /tmp/y, and the /tmp/y/.ssh/config there is ignored"
	if r.Status != StatusWarn || !strings.Contains(strings.Join(r.Details, "\n"), want) {
		t.Fatalf("got %s %q details %q", r.Status, r.Message, r.Details)
	}
}
