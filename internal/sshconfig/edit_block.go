package sshconfig

import "strings"

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
// argument, so an unchanged command yields identical bytes (no write).
func RenderOwnFile(proxyCommand string) []byte {
	var b strings.Builder
	b.WriteString(OwnHeader)
	b.WriteString("Host " + OwnHostPatterns + "\n")
	b.WriteString("    ProxyCommand " + proxyCommand + "\n")
	return []byte(b.String())
}
