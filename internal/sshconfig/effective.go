// Package sshconfig reads OpenSSH client configuration: the effective
// settings `ssh -G` prints, and ~/.ssh/config itself (with Include, Host and
// enough of Match) to explain which block set a value.
package sshconfig

import (
	"bufio"
	"bytes"
	"strings"
)

// Effective is the output of `ssh -G HOST`: lowercase keyword -> values in
// the order printed (identityfile and a few others repeat).
type Effective map[string][]string

// ParseEffective parses `ssh -G` output. Unknown lines are kept as-is, so
// newer OpenSSH releases never break the parse.
func ParseEffective(out []byte) Effective {
	e := Effective{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		key = strings.ToLower(key)
		e[key] = append(e[key], strings.TrimSpace(val))
	}
	return e
}

// Get returns the first value of key, or "".
func (e Effective) Get(key string) string {
	if v := e[strings.ToLower(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// All returns every value of key.
func (e Effective) All(key string) []string { return e[strings.ToLower(key)] }

// ProxyCommand returns the proxy command, "" when none ("none" counts as none).
func (e Effective) ProxyCommand() string {
	pc := e.Get("proxycommand")
	if strings.EqualFold(pc, "none") {
		return ""
	}
	return pc
}
