// Package oninstance is the doctor's side of the on-instance check: the
// commands that run the embedded script with Run Command
// (AWS-RunShellScript), and the parser of the lines it prints. What the
// lines mean for the user is the checks' to say (checks/instance_*.go);
// the simulator writes the same lines from its own model and never
// imports this package.
package oninstance

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/oninstance/script"
)

// DefaultSSHDConfig is where the script reads sshd's configuration unless
// told otherwise.
const DefaultSSHDConfig = "/etc/ssh/sshd_config"

// Document is the Run Command document the scripts are sent with.
const Document = "AWS-RunShellScript"

// Script is the exact script `check --on-instance` runs, as
// `check --on-instance-script` prints it.
func Script() []byte { return script.OnInstance() }

// Commands is the AWS-RunShellScript "commands" parameter that runs body
// with args as its positional parameters: a first line `set -- 'a' 'b'`
// and the script itself, byte for byte, as the second element (the agent
// joins the elements with newlines into one file it runs with sh).
func Commands(body []byte, args ...string) []string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = ShellQuote(a)
	}
	return []string{"set -- " + strings.Join(q, " "), string(body)}
}

// CheckCommands runs the on-instance script for user on port, reading
// sshd's configuration from config ("" for the default).
func CheckCommands(user string, port int, config string) []string {
	if config == "" {
		config = DefaultSSHDConfig
	}
	return Commands(script.OnInstance(), user, strconv.Itoa(port), config)
}

// AuthorizeKeyCommands runs the authorize-key fix for user with the
// public key line pubkey, reading sshd's configuration from config (""
// for the default).
func AuthorizeKeyCommands(user, pubkey, config string) ([]string, error) {
	if strings.ContainsAny(pubkey, "\r\n\x00") {
		return nil, fmt.Errorf("a public key is one line")
	}
	if config == "" {
		config = DefaultSSHDConfig
	}
	return Commands(script.AuthorizeKey(), user, pubkey, config), nil
}

// InstallEICCommands runs the install-eic fix.
func InstallEICCommands() []string { return Commands(script.InstallEIC()) }

// ShellQuote quotes s for sh: in single quotes, each quote inside closed, escaped and reopened.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
