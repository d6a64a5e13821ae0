package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
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

// The hint of ssh, scp and proxy after a failed lookup depends on what was
// given: an id is checked, not replaced by itself; a name is replaced by
// the id.
func TestConnectLookupHintDependsOnTarget(t *testing.T) {
	fail := errors.New("resolve: operation error EC2: DescribeInstances, https response error StatusCode: 403")
	var ee *exitError
	if !errors.As(targetError("i-0123456789abcdef0", fail), &ee) {
		t.Fatal("not an exitError")
	}
	if strings.Contains(ee.hint, "instance id instead") || !strings.Contains(ee.hint, "check the instance id i-0123456789abcdef0, --region and the account") ||
		!strings.Contains(ee.hint, "run: ssmdoctor check i-0123456789abcdef0") {
		t.Errorf("id: hint %q", ee.hint)
	}
	if !errors.As(targetError("web-1", fail), &ee) {
		t.Fatal("not an exitError")
	}
	if ee.hint != "give the instance id instead, or run: ssmdoctor check web-1" {
		t.Errorf("name: hint %q", ee.hint)
	}
	// Credentials that do not resolve are neither: check says why.
	creds := errors.New("resolve i-0123456789abcdef0: ec2:DescribeInstances: operation error EC2: DescribeInstances, get identity: get credentials: failed to refresh cached credentials, failed to read cached SSO token file")
	for _, target := range []string{"i-0123456789abcdef0", "web-1"} {
		if !errors.As(targetError(target, creds), &ee) {
			t.Fatal("not an exitError")
		}
		if strings.Contains(ee.hint, "instance id") || !strings.Contains(ee.hint, "credentials did not resolve") || !strings.Contains(ee.hint, "run: ssmdoctor check "+target) {
			t.Errorf("%s, credentials: hint %q", target, ee.hint)
		}
	}
}

// ssh, scp and proxy with a profile that does not exist: the profile and
// the ones there are, in plain words, not the SDK's chain.
func TestConnectMissingProfile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte(brokenCredsConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
	} {
		t.Setenv(k, v)
	}
	_, err := loadClients(t.Context(), systemDeps(nil, io.Discard, io.Discard), awsapi.Options{Profile: "nosuch"})
	var ee *exitError
	if !errors.As(err, &ee) {
		t.Fatalf("%v", err)
	}
	if ee.err.Error() != "AWS profile nosuch is not in AWS_CONFIG_FILE ("+cfg+")" ||
		ee.hint != "run: aws configure --profile nosuch, or pick one of: default, dev, ops" {
		t.Errorf("error %q, hint %q", ee.err, ee.hint)
	}
}

// Text from AWS in the errors of ssh, scp and proxy (Name tags of the
// candidates, API error messages, an agent's output) cannot rewrite the
// terminal.
func TestConnectErrorsEscapeAWSText(t *testing.T) {
	evil := "evil\r\x1b[2J"
	errs := []error{
		targetError("web", &awsfacts.AmbiguousTargetError{Input: "web", Candidates: []string{"i-0aaaaaaaaaaaaaaaa (" + evil + ", running)", "i-0bbbbbbbbbbbbbbbb (web, running)"}}),
		sessionError("i-0aaaaaaaaaaaaaaaa", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied " + evil}),
		sessionError("i-0aaaaaaaaaaaaaaaa", &smithy.GenericAPIError{Code: "Throttling", Message: "slow " + evil}),
		sessionError("i-0aaaaaaaaaaaaaaaa", &tunnel.ClosedError{SessionID: "s-1", Output: "bye " + evil}),
		targetError("web", errors.New("resolve web: "+evil)),
	}
	for i, err := range errs {
		var b bytes.Buffer
		renderError(&b, err)
		if strings.ContainsAny(b.String(), "\r\x1b") || !strings.Contains(b.String(), `evil\r\x1b[2J`) {
			t.Errorf("%d: %q", i, b.String())
		}
	}
}
