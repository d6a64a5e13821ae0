package main

import (
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// `fix TARGET` with no selector: runs the checks, applies each available
// fix (--yes), re-runs the checks and prints the final report; without a
// terminal and without --yes it offers nothing and refuses.
func TestFixCLIBareTargetAppliesAvailableFixes(t *testing.T) {
	st := awssim.DemoScenario()
	sim, h := fixSim(t, st)
	const stopped = "i-0ff00000000000008"

	refused := h.run(t, "fix", stopped)
	if refused.code != 2 || sim.MutatingCalls() != 0 || !strings.Contains(refused.stderr, "--yes") {
		t.Fatalf("without a terminal or --yes: code %d, %d mutating calls\n%s", refused.code, sim.MutatingCalls(), refused.stderr)
	}

	r := h.run(t, "fix", stopped, "--yes", "--poll", "5ms", "--no-color")
	if sim.Calls("ec2.StartInstances") != 1 {
		t.Fatalf("StartInstances called %d times\n%s\n%s", sim.Calls("ec2.StartInstances"), r.stdout, r.stderr)
	}
	// The final report is the check's, run after the fixes.
	if !strings.Contains(r.stdout, "instance exists and is running: "+stopped) || !strings.Contains(r.stdout, " passed, ") {
		t.Fatalf("no final report after the fixes (code %d)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	after := checkStatuses(t, h, stopped)
	for _, id := range []string{"instance-exists", "instance-registered"} {
		if !strings.HasPrefix(after[id], "pass") {
			t.Errorf("after bare fix, %s is %s", id, after[id])
		}
	}
}
