package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// Instances the resolution tests add to the end-to-end account (e2eID
// and e2eDown are there already).
const (
	resWeb    = "i-0e5e000000000000a" // "res-web": private, public and IPv6 addresses
	resOldWeb = "i-0e5e000000000000b" // "res-web" too, terminated
	resDupA   = "i-0e5e000000000000c" // "res-dup", running
	resDupB   = "i-0e5e000000000000d" // "res-dup", stopped
	resOregon = "i-0e5e000000000000e" // "res-oregon", us-west-2
	resHybrid = "mi-0e5e0000000000077"
)

// addResolutionInstances gives every form of TARGET an instance of its
// own. The state is edited after loading, so each instance carries every
// field the simulator would otherwise derive.
func addResolutionInstances(st *awssim.State) {
	inst := func(id, region, state, name, ip, dns string) *awssim.Instance {
		i := *st.Instances[e2eID]
		i.ID, i.Region, i.State, i.PrivateIP, i.PrivateDNS, i.PublicIP, i.IPv6, i.Ports = id, region, state, ip, dns, "", "", nil
		i.Tags = []awssim.Tag{{Key: "Name", Value: name}}
		return &i
	}
	st.Instances[resWeb] = inst(resWeb, "us-east-1", "running", "res-web", "10.0.0.20", "ip-10-0-0-20.ec2.internal")
	st.Instances[resWeb].PublicIP, st.Instances[resWeb].IPv6 = "3.80.9.20", "2600:1f18:aa::20"
	st.Instances[resOldWeb] = inst(resOldWeb, "us-east-1", "terminated", "res-web", "", "")
	st.Instances[resDupA] = inst(resDupA, "us-east-1", "running", "res-dup", "10.0.0.21", "ip-10-0-0-21.ec2.internal")
	st.Instances[resDupB] = inst(resDupB, "us-east-1", "stopped", "res-dup", "10.0.0.22", "ip-10-0-0-22.ec2.internal")
	st.Instances[resOregon] = inst(resOregon, "us-west-2", "running", "res-oregon", "172.31.0.30", "ip-172-31-0-30.us-west-2.compute.internal")
	st.Instances[resHybrid] = inst(resHybrid, "us-east-1", "running", "", "192.168.1.7", "ip-192-168-1-7")
	st.Instances[resHybrid].SubnetID, st.Instances[resHybrid].VpcID, st.Instances[resHybrid].InstanceProfileName = "", "", ""
}

// resolution is what a TARGET came to: an id (and its region when not
// the default one), or the kind of error.
type resolution struct{ id, kind, region string }

func checkResolution(ts []*awsfacts.Target, err error) resolution {
	var nf *awsfacts.TargetNotFoundError
	var amb *awsfacts.AmbiguousTargetError
	var bad *awsfacts.MalformedTargetError
	switch {
	case err == nil && len(ts) == 1:
		return resolution{id: ts[0].InstanceID, region: otherRegion(ts[0])}
	case errors.As(err, &nf):
		return resolution{kind: "not found"}
	case errors.As(err, &amb):
		return resolution{kind: "ambiguous"}
	case errors.As(err, &bad):
		return resolution{kind: "malformed"}
	}
	return resolution{kind: "other"}
}

// proxyResolution reads the kind back from what ssh and proxy report: the
// exit code and the hint.
func otherRegion(t *awsfacts.Target) string {
	if t.Region == "us-east-1" {
		return ""
	}
	return t.Region
}

func proxyResolution(t *awsfacts.Target, err error) resolution {
	var ee *exitError
	switch {
	case err == nil:
		return resolution{id: t.InstanceID, region: otherRegion(t)}
	case !errors.As(err, &ee):
		return resolution{kind: "other"}
	case ee.code == exitUsage && strings.Contains(ee.err.Error(), " matches "):
		return resolution{kind: "ambiguous"}
	case ee.code == exitUsage:
		return resolution{kind: "malformed"}
	case ee.code == exitProblems && strings.HasPrefix(ee.err.Error(), "no instance matches "):
		return resolution{kind: "not found"}
	}
	return resolution{kind: "other"}
}

// TestTargetResolutionSameAsCheck: for every form of TARGET, ssh's and
// proxy's resolution and check's give the same instance or the same kind
// of error, through the simulator's real API; and the errors read as
// ssh's own, with the exit codes ssh and proxy use.
func TestTargetResolutionSameAsCheck(t *testing.T) {
	st := e2eState()
	s := simtest.Start(t, st, awssim.Options{})
	s.WithState(addResolutionInstances)
	cl := simtest.Clients(t, s, st, e2eKeyID, awsapi.Options{})
	ctx := context.Background()
	cases := []struct {
		in   string
		want resolution
	}{
		{e2eID, resolution{id: e2eID}},
		{resHybrid, resolution{id: resHybrid}},
		{"res-web", resolution{id: resWeb}},
		{"10.0.0.20", resolution{id: resWeb}},
		{"3.80.9.20", resolution{id: resWeb}},
		{"2600:1f18:aa::20", resolution{id: resWeb}},
		{"ip-10-0-0-20.ec2.internal", resolution{id: resWeb}},
		{"ec2-3-80-9-20.compute-1.amazonaws.com", resolution{id: resWeb}},
		{"res-dup", resolution{kind: "ambiguous"}},
		{"res-nothing", resolution{kind: "not found"}},
		{"i-0e5e00000000000ff", resolution{kind: "not found"}},
		{resOregon, resolution{id: resOregon, region: "us-west-2"}},
		{"res-oregon", resolution{id: resOregon, region: "us-west-2"}},
		{"ip-172-31-0-30.us-west-2.compute.internal", resolution{id: resOregon, region: "us-west-2"}},
		{"web;id", resolution{kind: "malformed"}},
	}
	searching := func() *awsfacts.AWSEnv { // as every command without --region
		a := awsfacts.NewAWSEnv(cl)
		a.SearchOtherRegions(nil)
		return a
	}
	for _, tc := range cases {
		rt, perr := resolveTarget(ctx, searching(), tc.in)
		ours := proxyResolution(rt, perr)
		theirs := checkResolution(awsfacts.ResolveTargets(ctx, searching(), []string{tc.in}, nil, false))
		if ours != tc.want || theirs != tc.want {
			t.Errorf("%s: ssh/proxy %+v (%v), check %+v; want %+v", tc.in, ours, perr, theirs, tc.want)
			continue
		}
		var ee *exitError
		if perr == nil {
			continue
		}
		errors.As(perr, &ee)
		if msg := ee.err.Error(); strings.HasPrefix(msg, "check:") || !strings.Contains(msg, tc.in) {
			t.Errorf("%s: message %q should name the target in ssh's words", tc.in, msg)
		}
		switch tc.want.kind {
		case "ambiguous":
			if !strings.Contains(ee.err.Error(), resDupA+" (res-dup, running)") || !strings.Contains(ee.err.Error(), resDupB+" (res-dup, stopped)") {
				t.Errorf("%s: %q does not list the candidates", tc.in, ee.err)
			}
		case "not found":
			if !strings.Contains(ee.err.Error(), "other regions") {
				t.Errorf("%s: %q should say the other regions were searched", tc.in, ee.err)
			}
		}
	}
}

// TestTargetResolutionRefusesMalformedID: an id the API answers with
// must be an instance id before it becomes ssh's host name.
func TestTargetResolutionRefusesMalformedID(t *testing.T) {
	st := e2eState()
	s := simtest.Start(t, st, awssim.Options{})
	const evil = "i-0123456789abcdef0$(id)"
	s.WithState(func(st *awssim.State) {
		i := *st.Instances[e2eID]
		i.ID, i.Tags = evil, []awssim.Tag{{Key: "Name", Value: "innocent"}}
		st.Instances[evil] = &i
	})
	cl := simtest.Clients(t, s, st, e2eKeyID, awsapi.Options{})
	rt, err := resolveTarget(context.Background(), awsfacts.NewAWSEnv(cl), "innocent")
	var ee *exitError
	if rt != nil || !errors.As(err, &ee) || ee.code != exitProblems || !strings.Contains(ee.hint, "not a real instance id") {
		t.Fatalf("hostile id: %+v %v, want exit 1 naming the endpoint", rt, err)
	}
}
