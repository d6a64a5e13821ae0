package sshconfig

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestClassifyProxy(t *testing.T) {
	cases := []struct {
		cmd  string
		want ProxyKind
	}{
		{"", ProxyNone},
		{"none", ProxyNone},
		{"ssmdoctor proxy %h %p", ProxyNative},
		{"/usr/local/bin/ssmdoctor --profile dev proxy %h %p", ProxyNative},
		{`sh -c "aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters 'portNumber=%p'"`, ProxyAWSCLI},
		{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe "aws.exe ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p"`, ProxyAWSCLI},
		{"aws ssm start-session --target %h --document-name AWS-StartPortForwardingSession", ProxyOther},
		{"ssh -W %h:%p bastion", ProxyOther},
		{"ssmdoctor ssh %h", ProxyOther},
	}
	for _, c := range cases {
		if got := ClassifyProxy(c.cmd); got != c.want {
			t.Errorf("ClassifyProxy(%q) = %s, want %s", c.cmd, got, c.want)
		}
	}
}

func TestParseEffective(t *testing.T) {
	e := ParseEffective([]byte("user ec2-user\nhostname i-0abc\nport 22\nidentityfile ~/.ssh/a\nidentityfile ~/.ssh/b\nproxycommand sh -c \"x %h\"\n"))
	if e.Get("User") != "ec2-user" || e.Get("port") != "22" || e.ProxyCommand() != `sh -c "x %h"` {
		t.Fatalf("parsed %v", e)
	}
	if got := e.All("identityfile"); len(got) != 2 || got[1] != "~/.ssh/b" {
		t.Fatalf("identityfile = %v", got)
	}
	if ParseEffective([]byte("proxycommand none\n")).ProxyCommand() != "" {
		t.Fatal(`"none" must read as no proxy`)
	}
}

func TestMatchHost(t *testing.T) {
	cases := []struct {
		host string
		pats []string
		want bool
	}{
		{"i-0abc", []string{"i-*", "mi-*"}, true},
		{"mi-0abc", []string{"i-*", "mi-*"}, true},
		{"web", []string{"i-*"}, false},
		{"i-0abc", []string{"*", "!i-*"}, false},
		{"i-0abc", []string{"i-*,mi-*"}, true},
		{"I-0ABC", []string{"i-*"}, true},
		{"i-1", []string{"i-?"}, true},
	}
	for _, c := range cases {
		if got := MatchHost(c.host, c.pats); got != c.want {
			t.Errorf("MatchHost(%q, %v) = %v", c.host, c.pats, got)
		}
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSettingsShadowedThroughInclude(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"config":      "Include conf.d/*\n\nHost i-* mi-*\n  ProxyCommand ssmdoctor proxy %h %p\n  User ec2-user\n",
		"conf.d/corp": "Host *\n  ProxyCommand ssh -W %h:%p bastion\n",
	})
	cfg, err := Loader{SSHDir: dir}.Load(filepath.Join(dir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Settings("i-0abc", "ProxyCommand")
	if len(s) != 2 {
		t.Fatalf("want 2 settings, got %+v", s)
	}
	if !strings.HasSuffix(s[0].File, "conf.d/corp") || s[0].Line != 2 || s[0].Block.Header != "Host *" {
		t.Fatalf("first setting = %s", s[0].Where())
	}
	if ClassifyProxy(s[1].Value) != ProxyNative {
		t.Fatalf("second = %q", s[1].Value)
	}
	if got := cfg.Settings("web", "user"); len(got) != 0 {
		t.Fatalf("User must not apply to web: %+v", got)
	}
}

// The reader must agree with the real ssh about which ProxyCommand wins.
func TestSettingsAgreeWithSSH(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh client required in CI")
		}
		t.Skip("ssh client not installed")
	}
	dir := writeFiles(t, map[string]string{
		"config": "Host web\n  User alice\nMatch host i-*\n  ProxyCommand first %h\nHost i-*\n  ProxyCommand second %h\n",
	})
	out, err := exec.Command(ssh, "-G", "-F", filepath.Join(dir, "config"), "i-0abc").Output()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Loader{}.Load(filepath.Join(dir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Settings("i-0abc", "proxycommand")
	if len(s) == 0 || s[0].Value != ParseEffective(out).ProxyCommand() {
		t.Fatalf("reader says %+v, ssh says %q", s, ParseEffective(out).ProxyCommand())
	}
}

func TestLoadErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"noarg": "Host x\n  ProxyCommand\n",
		"quote": "Host \"x\n",
		"loop":  "Include loop\n",
	})
	for _, name := range []string{"noarg", "quote", "loop"} {
		_, err := Loader{}.Load(filepath.Join(dir, name))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: want ParseError, got %v", name, err)
		}
	}
	_, err := Loader{}.Load(filepath.Join(dir, "absent"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent: %v", err)
	}
}
