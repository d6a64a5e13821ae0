// Package script holds the shell scripts ssmdoctor sends to instances with
// Run Command (AWS-RunShellScript), embedded byte for byte: the read-only
// on-instance check and the two fixes. It is its own package so that the
// simulator can recognise them by hash without importing anything that
// reads their output.
package script

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
)

//go:embed oninstance.sh
var onInstance []byte

//go:embed authorize_key.sh
var authorizeKey []byte

//go:embed install_eic.sh
var installEIC []byte

// OnInstance is the read-only check script (`check --on-instance-script`).
func OnInstance() []byte { return bytes.Clone(onInstance) }

// AuthorizeKey is the script of `fix --authorize-key`.
func AuthorizeKey() []byte { return bytes.Clone(authorizeKey) }

// InstallEIC is the script of `fix --install-eic`.
func InstallEIC() []byte { return bytes.Clone(installEIC) }

// SHA256 is the hex SHA-256 of a script's bytes.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
