package main

import (
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// windowsProxyCommandFor is proxyCommandFor for Windows OpenSSH, which
// runs the ProxyCommand without a shell (internal/sshconfig/windows.go):
// this binary as a quoted absolute path, each argument quoted by the
// Windows rules. No build constraint: it is tested on every platform.
func windowsProxyCommandFor(self string, f ourFlags) string {
	args := []string{"proxy"}
	if f.profile != "" {
		args = append(args, "--profile", f.profile)
	}
	if f.region != "" {
		args = append(args, "--region", f.region)
	}
	if f.verbose {
		args = append(args, "--verbose")
	}
	if f.connectTimeout > 0 && f.connectTimeout != awsapi.DefaultConnectTimeout {
		args = append(args, "--connect-timeout", f.connectTimeout.String())
	}
	args = append(args, "%h", "%p")
	line, err := sshconfig.WindowsCommandLine(self, args...)
	if err != nil {
		// os.Executable is absolute on Windows and no Windows path holds
		// a quote, so only self can fail here: profile and region were
		// validated (no blank, quote or %), and the rest are ours. Should
		// it ever fail, ssh reports the command it could not start; the
		// flags stay, so a typed --profile is never traded for the
		// environment's.
		return `"` + sshconfig.EscapePercent(self) + `" ` + strings.Join(args, " ")
	}
	return line
}
