package sshconfig

import "strings"

// ProxyKind says which Session Manager client a ProxyCommand uses.
type ProxyKind string

const (
	ProxyNone   ProxyKind = "none"      // no ProxyCommand at all
	ProxyNative ProxyKind = "ssmdoctor" // `ssmdoctor ... proxy %h %p`: needs neither CLI nor plugin
	ProxyAWSCLI ProxyKind = "aws-cli"   // `aws ssm start-session ... AWS-StartSSHSession`: needs the plugin
	ProxyOther  ProxyKind = "other"     // something else (a bastion, nc, another tool)
)

// ClassifyProxy recognises the two Session Manager forms by their words, not
// their exact spelling, since users quote and wrap them in many ways
// (sh -c, powershell, full paths).
func ClassifyProxy(cmd string) ProxyKind {
	if strings.TrimSpace(cmd) == "" || strings.EqualFold(strings.TrimSpace(cmd), "none") {
		return ProxyNone
	}
	words := strings.FieldsFunc(cmd, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '"' || r == '\'' || r == '\\' || r == '/'
	})
	has := func(w string) int {
		for i, x := range words {
			if x == w || strings.TrimSuffix(x, ".exe") == w {
				return i
			}
		}
		return -1
	}
	if i := has("ssmdoctor"); i >= 0 {
		for _, w := range words[i+1:] {
			if w == "proxy" {
				return ProxyNative
			}
		}
	}
	if has("start-session") >= 0 && (has("aws") >= 0 || has("ssm") >= 0) {
		if strings.Contains(cmd, "AWS-StartSSHSession") {
			return ProxyAWSCLI
		}
	}
	return ProxyOther
}
