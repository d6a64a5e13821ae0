package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// ssmdoctor ssh on Windows hands ssh.exe a ProxyCommand that Windows
// OpenSSH runs without a shell.
func TestWindowsProxyCommandForSSH(t *testing.T) {
	self := `C:\Users\Zoë\AppData\Local\Programs\ssm doctor\ssmdoctor.exe`
	got := windowsProxyCommandFor(self, ourFlags{profile: "dev", region: "eu-west-1", verbose: true, connectTimeout: 30 * time.Second})
	want := `"C:\Users\Zoë\AppData\Local\Programs\ssm doctor\ssmdoctor.exe" proxy --profile dev --region eu-west-1 --verbose --connect-timeout 30s %h %p`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	args := sshconfig.SplitWindowsCommandLine(strings.NewReplacer("%h", "i-0123456789abcdef0", "%p", "22").Replace(got))
	if args[0] != self || strings.Join(args[1:], " ") != "proxy --profile dev --region eu-west-1 --verbose --connect-timeout 30s i-0123456789abcdef0 22" {
		t.Fatalf("the proxy would get %q", args)
	}
}

// A program path Windows OpenSSH cannot take (not absolute) still keeps
// the typed flags: a --profile is never dropped for the environment's.
func TestWindowsProxyCommandKeepsFlagsOnABadPath(t *testing.T) {
	got := windowsProxyCommandFor("ssmdoctor.exe", ourFlags{profile: "dev", region: "eu-west-1"})
	if want := `"ssmdoctor.exe" proxy --profile dev --region eu-west-1 %h %p`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
