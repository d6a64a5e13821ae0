package oninstance

import (
	"strings"
	"testing"
)

const sample = `ssmdoctor.oninstance=1
arg.user=ec2-user
arg.port=22
arg.config=/etc/ssh/sshd_config
clock.epoch=1767603600
uid=0
sshd.running=yes
listen.via=ss
listen.addr=0.0.0.0:22
listen.addr=[::]:22
sshd.path=/usr/sbin/sshd
sshd.version=OpenSSH_9.6p1
sshd.config.exists=yes
sshd.test=ok
sshd.opt.port=22
sshd.opt.allowusers=admin
sshd.opt.allowusers=ec2-user@10.0.0.*
sshd.opt.strictmodes=yes
sshd.opt.authorizedkeyscommand=/opt/aws/bin/eic_run_authorized_keys %u %f
sshd.opt.authorizedkeysfile=.ssh/authorized_keys
hostkey=SHA256:abc ED25519
user.exists=yes
user.uid=1000
user.gid=1000
user.home=/home/ec2-user
user.shell=/bin/bash
user.groups=ec2-user wheel
home.stat=755 1000 ec2-user
sshdir.stat=775 1000 ec2-user
akf.path=/home/ec2-user/.ssh/authorized_keys
akf.stat=600 0 root
akf.key=SHA256:k1 ED25519
akf.key=SHA256:k2 RSA
akf.path=/home/ec2-user/.ssh/authorized_keys2
akf.stat=missing
eic.command=/opt/aws/bin/eic_run_authorized_keys
eic.package=installed
agent.log=/var/log/amazon/ssm/errors.log
agent.error=2026-01-05 ERROR [x] a=b=c
disk=/ 91 1024
disk=/ 91 1024
this line is a shell's complaint
end=ok
`

func TestParse(t *testing.T) {
	r, err := Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Complete || r.User != "ec2-user" || r.Port != 22 || r.Epoch != 1767603600 || !r.SSHDRunning || len(r.ListenAddrs) != 2 {
		t.Fatalf("%+v", r)
	}
	if got := r.Options["allowusers"]; len(got) != 2 || got[1] != "ec2-user@10.0.0.*" {
		t.Fatalf("allowusers %q", got)
	}
	if len(r.KeyFiles) != 2 || len(r.KeyFiles[0].Keys) != 2 || r.KeyFiles[0].Keys[1] != (Fingerprint{"SHA256:k2", "RSA"}) || !r.KeyFiles[1].Stat.Missing {
		t.Fatalf("key files %+v", r.KeyFiles)
	}
	if r.SSHDirStat.Mode != 0o775 || r.KeyFiles[0].Stat.UID != "0" || len(r.Disks) != 1 || r.Disks[0].UsePct != 91 {
		t.Fatalf("stats %+v %+v %+v", r.SSHDirStat, r.KeyFiles[0].Stat, r.Disks)
	}
	if r.AgentErrors[0] != "2026-01-05 ERROR [x] a=b=c" || len(r.HostKeys) != 1 || !r.EICWired() {
		t.Fatalf("%q %v", r.AgentErrors, r.HostKeys)
	}
	// ec2-user@10.0.0.* does not match a connection from localhost.
	if got := r.RefusedBy(); !strings.HasPrefix(got, "AllowUsers admin ec2-user@10.0.0.*") {
		t.Fatalf("RefusedBy %q", got)
	}
	probs := r.StrictModesProblems()
	if len(probs) != 1 || !strings.Contains(probs[0], "/home/ec2-user/.ssh is 0775") {
		t.Fatalf("StrictModes %q", probs)
	}
}

func TestParseRejects(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "printed nothing",
		"hello\n":                          "not the on-instance script's output",
		"ssmdoctor.oninstance=2\nend=ok\n": "this ssmdoctor reads format 1",
	} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v, want %q", in, err, want)
		}
	}
	r, err := Parse("ssmdoctor.oninstance=1\narg.user=u\n")
	if err != nil || r.Complete {
		t.Fatalf("cut short: %v complete=%v", err, r.Complete)
	}
}

func TestReachableListeners(t *testing.T) {
	r := &Report{ListenAddrs: []string{"10.0.0.5:22", "127.0.0.1:22", "[::]:22", "*:22", "0100007F:0016", "0500000A:0016", "[::1]:22"}}
	got := strings.Join(r.ReachableListeners(), " ")
	if got != "127.0.0.1:22 [::]:22 *:22 0100007F:0016 [::1]:22" {
		t.Fatalf("reachable %q", got)
	}
}

func TestRefusedBy(t *testing.T) {
	base := func() *Report {
		return &Report{User: "alice", UID: "1000", Groups: []string{"alice", "dev"}, Options: map[string][]string{}}
	}
	cases := []struct {
		opts map[string][]string
		uid  string
		want string
	}{
		{map[string][]string{}, "1000", ""},
		{map[string][]string{"denyusers": {"al*"}}, "1000", "DenyUsers al*"},
		{map[string][]string{"allowusers": {"alice@127.0.0.1"}}, "1000", ""},
		{map[string][]string{"allowusers": {"alice@localhost"}}, "1000", ""},
		{map[string][]string{"denygroups": {"dev"}}, "1000", "DenyGroups dev"},
		{map[string][]string{"allowgroups": {"ops"}}, "1000", "AllowGroups ops"},
		{map[string][]string{"permitrootlogin": {"no"}}, "0", "PermitRootLogin no"},
		{map[string][]string{"permitrootlogin": {"without-password"}}, "0", ""},
	}
	for _, c := range cases {
		r := base()
		r.Options, r.UID = c.opts, c.uid
		if got := r.RefusedBy(); !strings.HasPrefix(got, c.want) || (c.want == "" && got != "") {
			t.Errorf("%v uid %s: %q, want %q", c.opts, c.uid, got, c.want)
		}
	}
}

func TestCommandsQuoting(t *testing.T) {
	got := Commands([]byte("body"), "o'brien", "22", "/etc/ssh/my config")
	if got[0] != `set -- 'o'\''brien' '22' '/etc/ssh/my config'` || got[1] != "body" {
		t.Fatalf("%q", got)
	}
	if _, err := AuthorizeKeyCommands("u", "ssh-ed25519 AAAA\nrm -rf /", ""); err == nil {
		t.Fatal("a key line with a newline was accepted")
	}
}

// A line far longer than the scanner's first buffer (here 200 KB, within
// the 1 MiB limit) is read whole, and the lines after it still count.
func TestParseLongLine(t *testing.T) {
	long := "ssmdoctor.oninstance=1\nnote=" + strings.Repeat("x", 200*1024) + "\nhostkey=SHA256:abc ED25519\n"
	r, err := Parse(long)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.HostKeys) != 1 || r.HostKeys[0].SHA256 != "SHA256:abc" {
		t.Fatalf("host keys after a long line: %+v", r.HostKeys)
	}
}
