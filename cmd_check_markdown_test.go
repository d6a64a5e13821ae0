package main

import (
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/golden"
)

// The job summary of a small fleet against the simulator: one row per
// target, the failing checks with their fixes. The workstation checks,
// which differ between machines, are skipped.
func TestCheckMarkdownGolden(t *testing.T) {
	demoInProcess(t, awssim.DemoAccessKey, nil)
	r := runInProcess(t, "check", demoHealthy, "demo-no-profile", "demo-stopped", "--format", "markdown", "--deterministic",
		"--skip", "ssh-client", "--skip", "ssh-config", "--skip", "ssh-identity", "--skip", "session-manager-plugin", "--skip", "proxy-env")
	if r.code != exitProblems || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	// The version depends on how the test binary was built.
	out := strings.Replace(r.stdout, "<sub>ssmdoctor "+version+"</sub>", "<sub>ssmdoctor VERSION</sub>", 1)
	golden.Assert(t, "golden/check-markdown.md", []byte(out))
}
