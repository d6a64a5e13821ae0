package main

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

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
// fails before any session in ssh's and proxy's words. With an explicit
// --region no other region is searched: an instance of another region is
// not found there, and nothing asks DescribeRegions.
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
	sessions, regions := e.sim.Calls("ssm.StartSession"), e.sim.Calls("ec2.DescribeRegions")
	const hint = "hint: check the id, name or address, the account and --region (leave --region out to search every region)\n"
	for _, target := range []string{"far", "ip-172-31-9-9.us-west-2.compute.internal"} {
		r := e.run(strings.NewReader(""), nil, "--region", "us-east-1", "proxy", target, "22")
		if want := "error: no instance matches \"" + target + "\" in us-east-1\n" + hint; r.code != 1 || r.stderr != want {
			t.Errorf("proxy %s: exit %d stderr %q, want exit 1 and %q", target, r.code, r.stderr, want)
		}
		r = e.run(nil, nil, append(append([]string{"--region", "us-east-1", "ssh"}, e.sshOpts(true)...), e.sshd.User+"@"+target, "true")...)
		if r.code != 1 || !strings.HasSuffix(r.stderr, hint) {
			t.Errorf("ssh %s: exit %d stderr %q, want exit 1 and the --region hint", target, r.code, r.stderr)
		}
	}
	if n := e.sim.Calls("ssm.StartSession") - sessions; n != 0 {
		t.Errorf("%d StartSession calls for targets that resolve to nothing", n)
	}
	// The proxy takes an id as it is (ssh hands it resolved ids); only when
	// the session is refused does it look the id up.
	r := e.run(strings.NewReader(""), nil, "proxy", "--region", "us-east-1", far, "22")
	if want := "error: no instance matches \"" + far + "\" in us-east-1\n" + hint; r.code != 1 || r.stderr != want {
		t.Errorf("proxy %s: exit %d stderr %q, want exit 1 and %q", far, r.code, r.stderr, want)
	}
	if n := e.sim.Calls("ec2.DescribeRegions") - regions; n != 0 {
		t.Errorf("--region was given, yet %d DescribeRegions calls", n)
	}
	for _, args := range [][]string{{"proxy", "web-0", "22"}, append(append([]string{"ssh"}, e.sshOpts(true)...), e.sshd.User+"@web-0", "true")} {
		r := e.run(strings.NewReader(""), nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, e2eID+" (web-0, running)") || !strings.Contains(r.stderr, twin+" (web-0, running)") {
			t.Errorf("%s web-0 (two instances): exit %d stderr %q, want exit 2 listing both", args[0], r.code, r.stderr)
		}
	}
}

// TestE2EOtherRegion: without --region, an instance of another region is
// found and reached through its own region, by name with ssh, and by id
// with a bare proxy as ssh config's ProxyCommand runs it (no region
// pinned: one ssh config serves every region). A name in two regions is
// ambiguous, both listed, exit 2.
func TestE2EOtherRegion(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	const far, twinA, twinB = "i-0e5e0000000000f11", "i-0e5e0000000000f12", "i-0e5e0000000000f13"
	e.sim.WithState(func(st *awssim.State) {
		i := *st.Instances[e2eID]
		i.ID, i.Region, i.Tags = far, "us-west-2", []awssim.Tag{{Key: "Name", Value: "far"}}
		st.Instances[far] = &i
		for _, tw := range []struct{ id, region string }{{twinA, "eu-west-1"}, {twinB, "us-west-2"}} {
			j := *st.Instances[e2eID]
			j.ID, j.Region, j.Ports, j.Tags = tw.id, tw.region, nil, []awssim.Tag{{Key: "Name", Value: "twin"}}
			st.Instances[tw.id] = &j
		}
	})
	line := far + " " + string(ssh.MarshalAuthorizedKey(e.sshd.HostKey))
	f, err := os.OpenFile(e.known, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(line)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	opts := e.sshOpts(true)
	r := e.run(nil, nil, append(append([]string{"ssh"}, opts...), e.sshd.User+"@far", "echo", "reached")...)
	if r.code != 0 || r.stdout != "reached\n" {
		t.Fatalf("ssh far (us-west-2): exit %d stdout %q\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// A bare id through the proxy, as a `Host i-*` ProxyCommand without a
	// region: refused in us-east-1, found in us-west-2 (or remembered).
	self := ssmdoctorBin
	r = e.command(nil, nil, "ssh", append(append(opts, "-o", "ProxyCommand="+self+" proxy %h %p", "-o", "HostKeyAlias="+far),
		e.sshd.User+"@"+far, "echo", "reached")...)
	if r.code != 0 || r.stdout != "reached\n" {
		t.Fatalf("ssh with ProxyCommand 'ssmdoctor proxy %%h %%p' to %s (us-west-2): exit %d stdout %q\nstderr:\n%s", far, r.code, r.stdout, r.stderr)
	}
	r = e.run(strings.NewReader(""), nil, "proxy", "twin", "22")
	if r.code != 2 || !strings.Contains(r.stderr, twinA+" (twin, running, eu-west-1)") || !strings.Contains(r.stderr, twinB+" (twin, running, us-west-2)") {
		t.Errorf("proxy twin (two regions): exit %d stderr %q, want exit 2 listing both with regions", r.code, r.stderr)
	}
	r = e.run(strings.NewReader(""), nil, "check", "twin")
	if r.code != 2 || !strings.Contains(r.stderr, twinA+" (twin, running, eu-west-1)") {
		t.Errorf("check twin (two regions): exit %d stderr %q, want exit 2 listing both", r.code, r.stderr)
	}
}
