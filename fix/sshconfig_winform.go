package fix

import (
	"fmt"
	"os/exec"
	"runtime"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// The Windows form of the ProxyCommand. Windows OpenSSH reads
// %USERPROFILE%\.ssh\config (the passwd home of a Windows account is its
// profile directory, so Home is already right) and runs the command
// without a shell: the program is an absolute, quoted path and there is no
// sh -c around the AWS CLI. This file has no build constraint: the form
// is written, and tested, on every platform.

func (o SSHConfigOptions) targetOS() string {
	if o.OS != "" {
		return o.OS
	}
	return runtime.GOOS
}

func windowsProxyCommand(o SSHConfigOptions) (string, error) {
	var opts []string
	if o.Profile != "" {
		if err := sshconfig.CheckProfile(o.Profile); err != nil {
			return "", fmt.Errorf("ssh config: %w", err)
		}
		opts = append(opts, "--profile", o.Profile)
	}
	if o.Region != "" {
		if err := sshconfig.CheckRegion(o.Region); err != nil {
			return "", fmt.Errorf("ssh config: %w", err)
		}
		opts = append(opts, "--region", o.Region)
	}
	var line string
	var err error
	switch o.Via {
	case "", ViaNative:
		line, err = sshconfig.WindowsCommandLine(o.Executable, append(append([]string{"proxy"}, opts...), "%h", "%p")...)
	case ViaAWSCLI:
		aws := o.AWSCLI
		if aws == "" {
			if aws, err = exec.LookPath("aws"); err != nil {
				return "", fmt.Errorf("ssh config: --via aws-cli needs the AWS CLI, and aws is not on PATH: install it, or use --via native")
			}
		}
		// No shell: each word is an argument of aws itself, and
		// portNumber=%p needs no quotes.
		args := []string{"ssm", "start-session", "--target", "%h", "--document-name", "AWS-StartSSHSession", "--parameters", "portNumber=%p"}
		line, err = sshconfig.WindowsCommandLine(aws, append(args, opts...)...)
	default:
		return "", fmt.Errorf("ssh config: --via must be %s or %s, got %q", ViaNative, ViaAWSCLI, o.Via)
	}
	if err != nil {
		return "", fmt.Errorf("ssh config: %w", err)
	}
	return line, nil
}
