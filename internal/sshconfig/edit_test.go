package sshconfig

import (
	"bytes"
	"strings"
	"testing"
)

const ownName = "ssmdoctor.conf"

func TestEnsureInclude(t *testing.T) {
	cases := []struct {
		name, in, want string
		changed        bool
	}{
		{"empty", "", IncludeComment + "\nInclude ssmdoctor.conf\n", true},
		{"unrelated hosts", "Host web\n  User alice\n",
			IncludeComment + "\nInclude ssmdoctor.conf\n\nHost web\n  User alice\n", true},
		{"already first", "# mine\n\nInclude ssmdoctor.conf\nHost web\n", "# mine\n\nInclude ssmdoctor.conf\nHost web\n", false},
		{"already first, home form", "Include ~/.ssh/ssmdoctor.conf\n", "Include ~/.ssh/ssmdoctor.conf\n", false},
		{"already first, among others", "include conf.d/* ssmdoctor.conf\n", "include conf.d/* ssmdoctor.conf\n", false},
		// Present but after a Host line it is conditional: ours goes on top.
		{"inside a host block", "Host x\n  Include ssmdoctor.conf\n",
			IncludeComment + "\nInclude ssmdoctor.conf\n\nHost x\n  Include ssmdoctor.conf\n", true},
		// An earlier Include could set ProxyCommand for every host first.
		{"after another include", "Include conf.d/*\nInclude ssmdoctor.conf\n",
			IncludeComment + "\nInclude ssmdoctor.conf\n\nInclude conf.d/*\nInclude ssmdoctor.conf\n", true},
		{"crlf", "Host web\r\n  User alice\r\n",
			IncludeComment + "\r\nInclude ssmdoctor.conf\r\n\r\nHost web\r\n  User alice\r\n", true},
		{"no final newline", "Host web", IncludeComment + "\nInclude ssmdoctor.conf\n\nHost web", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, changed := EnsureInclude([]byte(c.in), ownName)
			if string(got) != c.want || changed != c.changed {
				t.Fatalf("EnsureInclude(%q) = %q, %v; want %q, %v", c.in, got, changed, c.want, c.changed)
			}
		})
	}
}

func TestIncludeLines(t *testing.T) {
	got := IncludeLines([]byte("Host a\nInclude ssmdoctor.conf\n\nInclude x ~/.ssh/ssmdoctor.conf\n"), ownName)
	if len(got) != 2 || got[0] != 2 || got[1] != 4 {
		t.Fatalf("IncludeLines = %v", got)
	}
}

func TestRenderOwnFile(t *testing.T) {
	b, err := RenderOwnFile("/usr/bin/ssmdoctor proxy %h %p")
	got := string(b)
	if err != nil || !strings.Contains(got, "\nHost i-* mi-*\n    ProxyCommand /usr/bin/ssmdoctor proxy %h %p\n") || !strings.HasPrefix(got, "# Managed by ssmdoctor") {
		t.Fatalf("RenderOwnFile = %q", got)
	}
}

// FuzzEnsureInclude: for any input, every original line survives in order
// (the input is a suffix of the output) and a second application changes
// nothing.
func FuzzEnsureInclude(f *testing.F) {
	for _, s := range []string{"", "Host *\n  ProxyCommand nc %h %p\n", "Include ssmdoctor.conf\n", "\r\n\r\n", "Host \"x\n",
		"Match exec \"true\"\r\n  User u\r\n", "#c\nInclude=ssmdoctor.conf\n", "\n\n# only comments", "Include \"ssmdoctor.conf\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		once, _ := EnsureInclude(in, ownName)
		if !bytes.HasSuffix(once, in) {
			t.Fatalf("original bytes not kept: in %q out %q", in, once)
		}
		inLines := strings.Split(string(in), "\n")
		outLines := strings.Split(string(once), "\n")
		if len(outLines) < len(inLines) {
			t.Fatalf("lines lost: %d -> %d", len(inLines), len(outLines))
		}
		twice, changed := EnsureInclude(once, ownName)
		if changed || !bytes.Equal(twice, once) {
			t.Fatalf("not idempotent: %q -> %q", once, twice)
		}
		if first, ok := firstDirective(once); !ok || !includesName(first, ownName) {
			t.Fatalf("first directive of %q is %q", once, first)
		}
	})
}
