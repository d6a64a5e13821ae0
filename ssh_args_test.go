package main

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseSSHArgs(t *testing.T) {
	cases := []struct {
		args                 []string
		opts                 []string
		user, target         string
		command              []string
		login, identity, eph bool
		profile              string
	}{
		{args: []string{"i-0123456789abcdef0"}, target: "i-0123456789abcdef0"},
		{args: []string{"ec2-user@web", "uname", "-a"}, user: "ec2-user", target: "web", command: []string{"uname", "-a"}},
		// Option arguments are never taken for the destination.
		{args: []string{"-p", "22", "-L", "8080:localhost:80", "-o", "ServerAliveInterval=5", "-v", "web", "true"},
			opts: []string{"-p", "22", "-L", "8080:localhost:80", "-o", "ServerAliveInterval=5", "-v"}, target: "web", command: []string{"true"}},
		{args: []string{"-vp22", "-tt", "-lroot", "web"}, opts: []string{"-vp22", "-tt", "-lroot"}, login: true, target: "web"},
		{args: []string{"-i", "k", "-D", "1080", "-N", "web"}, opts: []string{"-i", "k", "-D", "1080", "-N"}, identity: true, target: "web"},
		{args: []string{"--profile", "prod", "--ephemeral-key", "-A", "u@web"}, opts: []string{"-A"}, eph: true, profile: "prod", user: "u", target: "web"},
		{args: []string{"--profile=dev", "--", "web", "-x"}, profile: "dev", target: "web", command: []string{"-x"}},
	}
	for _, tc := range cases {
		p, err := parseSSHArgs(tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if !sameArgs(p.opts, tc.opts) || p.user != tc.user || p.target != tc.target || !sameArgs(p.command, tc.command) ||
			p.loginOpt != tc.login || p.identity != tc.identity || p.ours.ephemeral != tc.eph || p.ours.profile != tc.profile {
			t.Fatalf("%q parsed as %+v", tc.args, p)
		}
	}
	if p, err := parseSSHArgs([]string{"--no-color", "--timeout", "5s", "web"}); err != nil || p.ours.timeout.String() != "5s" || p.target != "web" {
		t.Fatalf("global flags: %+v, %v", p, err)
	}
	for _, bad := range [][]string{{}, {"-p"}, {"-v"}, {"--profile"}, {"--bogus", "web"}, {"--timeout", "soon", "web"}} {
		_, err := parseSSHArgs(bad)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Fatalf("%q: err = %v, want a usage error", bad, err)
		}
	}
}

func sameArgs(a, b []string) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

func TestParseSCPArgs(t *testing.T) {
	p, err := parseSCPArgs([]string{"-P", "22", "-r", "-l", "1000", "dir/", "ec2-user@web:/tmp/x", "./local:file"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.opts, []string{"-P", "22", "-r", "-l", "1000"}) || len(p.remotes) != 1 ||
		p.remotes[0] != (scpOperand{index: 1, user: "ec2-user", host: "web", path: "/tmp/x"}) {
		t.Fatalf("parsed %+v", p)
	}
	for _, c := range []struct {
		in   string
		want scpOperand
		ok   bool
	}{
		{"web:x", scpOperand{host: "web", path: "x"}, true},
		{"u@web:", scpOperand{user: "u", host: "web"}, true},
		{"u@[2600:1f18:aa::11]:/tmp/x", scpOperand{user: "u", host: "2600:1f18:aa::11", path: "/tmp/x"}, true},
		{"[2600:1f18:aa::11]:x@y", scpOperand{host: "2600:1f18:aa::11", path: "x@y"}, true},
		{"web:/p@q", scpOperand{host: "web", path: "/p@q"}, true},
		{"dir/a@b:c", scpOperand{}, false},
		{"[2600::1]", scpOperand{}, false},
		{"[]:x", scpOperand{}, false},
		{"./x:y", scpOperand{}, false},
	} {
		u, h, path, ok := splitRemote(c.in)
		if ok != c.ok || (ok && (scpOperand{user: u, host: h, path: path}) != c.want) {
			t.Errorf("splitRemote(%q) = %q %q %q %v, want %+v %v", c.in, u, h, path, ok, c.want, c.ok)
		}
	}
	for _, bad := range [][]string{{"a:x", "b:y"}, {"/a", "/b"}, {"web:x"}, {"-P"}} {
		_, err := parseSCPArgs(bad)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Fatalf("%q: err = %v, want a usage error", bad, err)
		}
	}
}

func TestProxyCommandQuoting(t *testing.T) {
	got := proxyCommandFor("/opt/my tools/ssmdoctor", ourFlags{profile: "prod", region: "eu-west-1"})
	want := `'/opt/my tools/ssmdoctor' proxy --profile prod --region eu-west-1 %h %p`
	if got != want {
		t.Fatalf("ProxyCommand %q, want %q", got, want)
	}
	if got := proxyCommandFor("/tmp/100%/ssmdoctor", ourFlags{}); got != `'/tmp/100%%/ssmdoctor' proxy %h %p` {
		t.Fatalf("ProxyCommand %q: a literal %% must be doubled", got)
	}
	if q := shellQuote("it's"); q != `'it'\''s'` {
		t.Fatalf("shellQuote = %s", q)
	}
}

func TestValidateTarget(t *testing.T) {
	for _, ok := range []string{"i-0123456789abcdef0", "mi-0123456789abcdef0", "web-1", "10.0.0.5", "db.internal", "fe80::1"} {
		if err := validateTarget(ok); err != nil {
			t.Fatalf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a;b", "$(id)", "`id`", "a b", "a|b", "a&b", "-oProxyCommand=x", "a'b", "a\nb", "a>b"} {
		err := validateTarget(bad)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Fatalf("%q: err = %v, want exit 2", bad, err)
		}
	}
}

func TestDefaultUser(t *testing.T) {
	for platform, want := range map[string]string{
		"Amazon Linux": "ec2-user", "Ubuntu": "ubuntu", "Debian GNU/Linux": "admin", "CentOS Linux": "centos",
		"Red Hat Enterprise Linux": "ec2-user", "SLES": "ec2-user", "": "ec2-user",
	} {
		if got := defaultUser(platform); got != want {
			t.Fatalf("defaultUser(%q) = %q, want %q", platform, got, want)
		}
	}
}
