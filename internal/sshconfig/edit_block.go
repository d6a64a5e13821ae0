package sshconfig

import (
	"fmt"
	"strings"
)

// OwnHeader opens the file ssmdoctor owns (~/.ssh/ssmdoctor.conf). The file
// is rewritten whole by each fix, so nothing the user adds there survives;
// the header says so.
const OwnHeader = "# Managed by ssmdoctor: `ssmdoctor fix --ssh-config` rewrites this file.\n" +
	"# Put your own settings in ~/.ssh/config; delete this file and the Include line to undo.\n"

// OwnHostPatterns are the hosts sent through Session Manager: EC2 instance
// ids and hybrid managed-node ids.
const OwnHostPatterns = "i-* mi-*"

// RenderOwnFile returns the whole content of ssmdoctor's own config file:
// one Host block carrying proxyCommand. The output depends only on its
// argument, so an unchanged command yields identical bytes (no write). A
// command that would end its line (a line break or NUL in it) is refused:
// the rest would be read as directives of their own.
func RenderOwnFile(proxyCommand string) ([]byte, error) {
	if strings.ContainsAny(proxyCommand, "\r\n\x00") {
		return nil, fmt.Errorf("ssh config: refusing a ProxyCommand with a line break or NUL in it: %q", proxyCommand)
	}
	var b strings.Builder
	b.WriteString(OwnHeader)
	b.WriteString("Host " + OwnHostPatterns + "\n")
	b.WriteString("    ProxyCommand " + proxyCommand + "\n")
	return []byte(b.String()), nil
}
