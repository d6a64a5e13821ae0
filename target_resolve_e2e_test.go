package main

import (
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestE2ESSHByAddress: ssh reaches the instance through the real sshd by
// its private DNS name, its public DNS name and its IPv6 address, each
// looked up once (the preflight and the proxy ask EC2 nothing more).
func TestE2ESSHByAddress(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	e.sim.WithState(func(st *awssim.State) {
		i := st.Instances[e2eID]
		i.PrivateIP, i.PrivateDNS, i.PublicIP, i.IPv6 = "10.0.0.11", "ip-10-0-0-11.ec2.internal", "3.80.9.11", "2600:1f18:aa::11"
	})
	for _, dest := range []string{
		e.sshd.User + "@ip-10-0-0-11.ec2.internal",
		e.sshd.User + "@ec2-3-80-9-11.compute-1.amazonaws.com",
		e.sshd.User + "@2600:1f18:aa::11",
	} {
		describes := e.sim.Calls("ec2.DescribeInstances")
		if r := e.ssh(nil, dest, "echo", "reached"); r.code != 0 || r.stdout != "reached\n" {
			t.Fatalf("ssh %s: exit %d stdout %q\nstderr:\n%s\nsshd:\n%s", dest, r.code, r.stdout, r.stderr, e.sshd.Log())
		}
		if n := e.sim.Calls("ec2.DescribeInstances") - describes; n != 1 {
			t.Errorf("ssh %s made %d DescribeInstances calls, want 1", dest, n)
		}
	}
	// scp writes an IPv6 host in brackets.
	e.scpRoundTripTo(e.sshd.User+"@[2600:1f18:aa::11]", 256<<10)
}

// TestE2ETargetErrors: a TARGET that names no instance here, or several,
// fails before any session with check's answer in ssh's and proxy's
// words: the region that has it, or the candidates.
func TestE2ETargetErrors(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	const far, twin = "i-0e5e0000000000f01", "i-0e5e0000000000f02"
	e.sim.WithState(func(st *awssim.State) {
		i := *st.Instances[e2eID]
		i.ID, i.Region, i.Ports, i.Tags = far, "us-west-2", nil, []awssim.Tag{{Key: "Name", Value: "far"}}
		i.PrivateIP, i.PrivateDNS = "172.31.9.9", "ip-172-31-9-9.us-west-2.compute.internal"
		st.Instances[far] = &i
		j := *st.Instances[e2eID]
		j.ID, j.Ports, j.Tags = twin, nil, []awssim.Tag{{Key: "Name", Value: "web-0"}}
		st.Instances[twin] = &j
	})
	sessions := e.sim.Calls("ssm.StartSession")
	const hint = "hint: found in us-west-2: run again with --region us-west-2\n"
	for _, target := range []string{"far", "ip-172-31-9-9.us-west-2.compute.internal"} {
		r := e.run(strings.NewReader(""), nil, "proxy", target, "22")
		if want := "error: no instance matches \"" + target + "\" in us-east-1\n" + hint; r.code != 1 || r.stderr != want {
			t.Errorf("proxy %s: exit %d stderr %q, want exit 1 and %q", target, r.code, r.stderr, want)
		}
		r = e.ssh(nil, e.sshd.User+"@"+target, "true")
		if r.code != 1 || !strings.HasSuffix(r.stderr, hint) {
			t.Errorf("ssh %s: exit %d stderr %q, want exit 1 and the region hint", target, r.code, r.stderr)
		}
	}
	if n := e.sim.Calls("ssm.StartSession") - sessions; n != 0 {
		t.Errorf("%d StartSession calls for targets that resolve to nothing", n)
	}
	// The proxy takes an id as it is (ssh hands it resolved ids); only when
	// the session is refused does it look for where the instance is.
	r := e.run(strings.NewReader(""), nil, "proxy", far, "22")
	if want := "error: no instance matches \"" + far + "\" in us-east-1\n" + hint; r.code != 1 || r.stderr != want {
		t.Errorf("proxy %s: exit %d stderr %q, want exit 1 and %q", far, r.code, r.stderr, want)
	}
	for _, args := range [][]string{{"proxy", "web-0", "22"}, append(append([]string{"ssh"}, e.sshOpts(true)...), e.sshd.User+"@web-0", "true")} {
		r := e.run(strings.NewReader(""), nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, e2eID+" (web-0, running)") || !strings.Contains(r.stderr, twin+" (web-0, running)") {
			t.Errorf("%s web-0 (two instances): exit %d stderr %q, want exit 2 listing both", args[0], r.code, r.stderr)
		}
	}
}
