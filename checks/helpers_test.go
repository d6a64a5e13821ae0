package checks

import (
	"os"
	"path/filepath"
	"testing"
)

// requireInCI skips with the reason, except in CI where absence is a failure.
func requireInCI(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(reason + " (required when CI=true)")
	}
	t.Skip(reason)
}

func writeConfig(t *testing.T, home, body string, mode os.FileMode) {
	t.Helper()
	dir := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

// awsChecks are the catalogue's caller, instance and session checks but
// the probe (which opens a real session): what the fake- and
// simulator-backed tests run.
func awsChecks() []Check {
	var out []Check
	for _, c := range catalogue() {
		if c.Layer() != LayerLocal && c.ID() != "session-probe" {
			out = append(out, c)
		}
	}
	return out
}

// localChecks are the catalogue's workstation checks.
func localChecks() []Check {
	var out []Check
	for _, c := range catalogue() {
		if c.Layer() == LayerLocal {
			out = append(out, c)
		}
	}
	return out
}
