package fix

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// The Windows form is written on every platform: a quoted absolute
// program, no shell, % doubled in the path only.
func TestSSHConfigWindowsForms(t *testing.T) {
	const exe = `C:\Program Files\ssmdoctor\ssmdoctor.exe`
	const aws = `C:\Program Files\Amazon\AWSCLIV2\aws.exe`
	for _, c := range []struct {
		o    SSHConfigOptions
		want string
	}{
		{SSHConfigOptions{Executable: exe}, `"C:\Program Files\ssmdoctor\ssmdoctor.exe" proxy %h %p`},
		{SSHConfigOptions{Executable: exe, Profile: "dev", Region: "eu-west-1"}, `"C:\Program Files\ssmdoctor\ssmdoctor.exe" proxy --profile dev --region eu-west-1 %h %p`},
		{SSHConfigOptions{Executable: `C:\Users\a 100%\ssmdoctor.exe`}, `"C:\Users\a 100%%\ssmdoctor.exe" proxy %h %p`},
		{SSHConfigOptions{Via: ViaAWSCLI, AWSCLI: aws, Profile: "dev"},
			`"C:\Program Files\Amazon\AWSCLIV2\aws.exe" ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p --profile dev`},
	} {
		c.o.OS = "windows"
		got, err := ProxyCommandFor(c.o)
		if err != nil || got != c.want {
			t.Errorf("%+v:\n got  %s (%v)\n want %s", c.o, got, err, c.want)
		}
		if strings.Contains(got, "sh -c") {
			t.Errorf("a shell in the Windows form: %s", got)
		}
	}
	for _, o := range []SSHConfigOptions{
		{Executable: "ssmdoctor.exe"},             // Windows OpenSSH does not search PATH
		{Executable: "/usr/local/bin/ssmdoctor"},  // not a Windows path
		{Executable: exe, Profile: "dev & calc"},  // not a profile name
		{Via: ViaAWSCLI, AWSCLI: `aws.exe`},       // relative
		{Executable: exe, Region: "eu-west-1\nX"}, // not a region
	} {
		o.OS = "windows"
		if got, err := ProxyCommandFor(o); err == nil {
			t.Errorf("%+v accepted: %s", o, got)
		}
	}
}

// The file written for Windows is read by OpenSSH's own parser (the same
// in Windows OpenSSH) into exactly the command line meant: ssh -G shows it
// verbatim, quotes and backslashes included.
func TestSSHConfigWindowsFormReadByOpenSSH(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the OpenSSH client is required when CI=true")
		}
		t.Skip("the OpenSSH client is not installed")
	}
	home := t.TempDir()
	o := SSHConfigOptions{Home: home, Executable: `C:\Program Files\ssm doctor\ssmdoctor.exe`, OS: "windows", Profile: "dev", Now: fixedNow}
	applySSH(t, o)
	b, err := os.ReadFile(filepath.Join(home, ".ssh", OwnConfigName))
	if err != nil {
		t.Fatal(err)
	}
	want := `"C:\Program Files\ssm doctor\ssmdoctor.exe" proxy --profile dev %h %p`
	if !strings.Contains(string(b), "    ProxyCommand "+want+"\n") {
		t.Fatalf("%s:\n%s", OwnConfigName, b)
	}
	cmd := exec.Command(ssh, "-F", filepath.Join(home, ".ssh", "config"), "-G", "i-0123456789abcdef0")
	cmd.Env = append(os.Environ(), "HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ssh -G: %v\n%s", err, stderr.String())
	}
	if got := sshconfig.ParseEffective(out).ProxyCommand(); got != want {
		t.Fatalf("ssh -G: proxycommand %q, want %q", got, want)
	}
	// After ssh's expansion, the program receives these arguments.
	line := strings.NewReplacer("%h", "i-0123456789abcdef0", "%p", "22").Replace(want)
	args := sshconfig.SplitWindowsCommandLine(line)
	if strings.Join(args, "|") != `C:\Program Files\ssm doctor\ssmdoctor.exe|proxy|--profile|dev|i-0123456789abcdef0|22` {
		t.Fatalf("the program would get %q", args)
	}
}
