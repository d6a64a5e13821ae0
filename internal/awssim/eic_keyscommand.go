package awssim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AuthorizedKeysScript is a /bin/sh script body that prints the keys EC2
// Instance Connect holds for instanceID and the OS user given as $1, read
// from the simulator's /_sim/eic-keys endpoint with python3 (present on
// the machines and in CI, unlike curl). Use it as sshd's
//
//	AuthorizedKeysCommand /path/to/script %u
//	AuthorizedKeysCommandUser <the current user>
//
// sshd runs such a command only from a root-owned path that no one else can
// write (every parent directory included), so /tmp does not qualify.
func AuthorizedKeysScript(simURL, instanceID string) string {
	const py = `import sys, urllib.parse, urllib.request
q = urllib.parse.urlencode({"instance": sys.argv[2], "user": sys.argv[3]})
with urllib.request.urlopen(sys.argv[1] + "/_sim/eic-keys?" + q, timeout=5) as r:
    sys.stdout.write(r.read().decode())`
	return "#!/bin/sh\nexec python3 -c " + shellQuote(py) + " " + shellQuote(strings.TrimRight(simURL, "/")) + " " + shellQuote(instanceID) + " \"$1\"\n"
}

// WriteAuthorizedKeysCommand writes AuthorizedKeysScript as an executable
// (0755) file "eic-keys-<instance>" in dir and returns its path. See
// AuthorizedKeysScript for the sshd settings and the ownership rule.
func WriteAuthorizedKeysCommand(dir, simURL, instanceID string) (string, error) {
	path := filepath.Join(dir, "eic-keys-"+instanceID)
	if err := os.WriteFile(path, []byte(AuthorizedKeysScript(simURL, instanceID)), 0o755); err != nil {
		return "", fmt.Errorf("write AuthorizedKeysCommand script: %w", err)
	}
	// WriteFile's mode is filtered by the umask; sshd needs exactly this.
	if err := os.Chmod(path, 0o755); err != nil {
		return "", fmt.Errorf("write AuthorizedKeysCommand script: %w", err)
	}
	return path, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
