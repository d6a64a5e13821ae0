package main

import (
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestFixVPCEndpointsBlockedEndpointGroup: the demo's private instance
// behind endpoints whose security group admits nothing is not registered
// and check says why; `fix --vpc-endpoints` admits 443 from the instance on
// that group (and creates the ec2messages endpoint an unregistered agent
// of unknown version may need), after which check passes and the simulator
// registers the instance; a second fix changes nothing.
func TestFixVPCEndpointsBlockedEndpointGroup(t *testing.T) {
	const target = "i-0a11600d00000000a"
	const blocked = "no security group admits TCP 443 from the instance"
	st := awssim.DemoScenario()
	st.SecurityGroups["sg-0a11600d000000002"].Ingress = nil
	sim, h := fixSim(t, st)
	before := checkStatuses(t, h, target)
	if !strings.HasPrefix(before["instance-network"], "fail") || !strings.Contains(before["instance-network"], blocked) {
		t.Fatalf("before the fix instance-network is %s", before["instance-network"])
	}
	if !strings.HasPrefix(before["instance-registered"], "fail") {
		t.Fatalf("before the fix the simulator registered the instance: %s", before["instance-registered"])
	}

	r := h.run(t, "fix", "--yes", "--poll", "5ms", "--vpc-endpoints", target)
	t.Logf("fix --vpc-endpoints:\n%s%s", r.stdout, r.stderr)
	if sim.MutatingCalls() == 0 {
		t.Fatalf("fix changed nothing: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"ec2 AuthorizeSecurityGroupIngress\n     GroupId: sg-0a11600d000000002\n     IpPermissions: tcp 443 from sg-0a11600d000000001"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan does not show %q:\n%s", want, r.stdout)
		}
	}
	after := checkStatuses(t, h, target)
	network, registered := after["instance-network"], after["instance-registered"]
	if strings.HasPrefix(network, "pass") != strings.HasPrefix(registered, "pass") {
		t.Fatalf("check and the simulator disagree after the fix: instance-network %s; instance-registered %s", network, registered)
	}
	if r.code != 0 || !strings.HasPrefix(network, "pass") || !strings.HasPrefix(registered, "pass") {
		t.Fatalf("after the fix (code %d): instance-network %s; instance-registered %s\n%s\n%s", r.code, network, registered, r.stdout, r.stderr)
	}

	sim.ResetCalls()
	again := h.run(t, "fix", "--yes", "--poll", "5ms", "--vpc-endpoints", target)
	if n := sim.MutatingCalls(); n != 0 || again.code != 0 || !strings.Contains(again.stdout, "already configured") {
		t.Errorf("second fix: %d mutating calls, code %d\n%s\n%s", n, again.code, again.stdout, again.stderr)
	}
}
