package onetimekey

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
)

// The Windows agent's name and ACL, built here without a build constraint
// so that they are tested on every platform.

// pipeName is a fresh, unguessable pipe path: 128 random bits.
func pipeName() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("one-time key agent name: %w", err)
	}
	return `\\.\pipe\ssmdoctor-agent-` + hex.EncodeToString(b[:]), nil
}

var sidRE = regexp.MustCompile(`^S-1-[0-9]+(-[0-9]+)+$`)

// pipeSDDL is the pipe's security descriptor: owned by sid, with a
// protected DACL (nothing inherited) whose one entry gives sid full
// access. Everyone else, administrators and other sessions of the same
// machine included, is denied by omission. An invalid sid yields a DACL
// that admits nobody.
func pipeSDDL(sid string) string {
	if !sidRE.MatchString(sid) {
		return "D:P"
	}
	return "O:" + sid + "D:P(A;;GA;;;" + sid + ")"
}
