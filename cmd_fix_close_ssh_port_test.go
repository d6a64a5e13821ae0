package main

import (
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestFixCloseSSHPortThenCheckPasses: on the demo's ssh-open instance,
// check warns (exposure-ssh-port, with the fix line); fix --close-ssh-port
// --yes revokes the rules with one call and verifies; check then passes;
// a second fix says so and makes no mutating call.
func TestFixCloseSSHPortThenCheckPasses(t *testing.T) {
	sim := demoInProcess(t, awssim.DemoAccessKey, nil)
	exposure := func() jsonOutcome {
		t.Helper()
		r := runInProcess(t, "check", "demo-ssh-open", "--format", "json", "--skip", "ssh-config", "--skip", "ssh-identity")
		return outcome(t, reportChecks(t, r)[0], "exposure-ssh-port")
	}
	before := exposure()
	if before.Status != "warn" || before.Fix != "ssmdoctor fix --close-ssh-port i-0bad000000000000b" || before.FixID != "close-ssh-port" {
		t.Fatalf("before the fix: %+v", before)
	}
	sim.ResetCalls()
	r := runInProcess(t, "fix", "--close-ssh-port", "demo-ssh-open", "--yes")
	if r.code != exitOK || sim.Calls("ec2.RevokeSecurityGroupIngress") != 1 || sim.MutatingCalls() != 1 ||
		!strings.Contains(r.stdout, "ec2 RevokeSecurityGroupIngress\n     GroupId: sg-0bad000000000000b (demo-ssh-open)\n     IpPermissions: tcp 22 from 0.0.0.0/0; tcp 22 from ::/0\n") ||
		!strings.Contains(r.stdout, "verify exposure-ssh-port: pass: no security group of i-0bad000000000000b admits TCP 22 from 0.0.0.0/0 or ::/0\n") {
		t.Fatalf("fix: exit %d, calls %v\n%s\n%s", r.code, sim.AllCalls(), r.stdout, r.stderr)
	}
	if after := exposure(); after.Status != "pass" {
		t.Fatalf("after the fix: %+v", after)
	}
	sim.ResetCalls()
	r = runInProcess(t, "fix", "--close-ssh-port", "demo-ssh-open", "--yes")
	if r.code != exitOK || sim.MutatingCalls() != 0 || !strings.Contains(r.stdout, "no security group of i-0bad000000000000b admits TCP 22 from 0.0.0.0/0 or ::/0") {
		t.Fatalf("second fix: exit %d, mutating calls %v\n%s\n%s", r.code, sim.AllCalls(), r.stdout, r.stderr)
	}
	// A TARGET is required.
	r = runInProcess(t, "fix", "--close-ssh-port")
	if r.code != exitUsage || r.stdout != "" {
		t.Fatalf("without TARGET: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
