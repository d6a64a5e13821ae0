package awsfacts

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

const (
	tgtKey    = "AKIATARGETRESOLVE001"
	tgtWeb    = "i-07a1000000000000a" // "web": private, public and IPv6 addresses
	tgtOldWeb = "i-07a1000000000000b" // "web" too, terminated
	tgtDupA   = "i-07a1000000000000c" // "dup", running
	tgtDupB   = "i-07a1000000000000d" // "dup", stopped
	tgtOregon = "i-07a1000000000000e" // "oregon-db", us-west-2
	tgtHybrid = "mi-0c0ffee0000000077"
)

// targetState has one instance for each form a TARGET takes, a name
// shared with a terminated instance, an ambiguous name, a hybrid node and
// an instance in another region.
func targetState() *awssim.State {
	st := &awssim.State{}
	st.Normalize()
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","ssm:Describe*"],"Resource":"*"}]}`
	st.Users["resolver"] = &awssim.User{Name: "resolver", ID: "AIDATARGETRESOLVER01", InlinePolicies: map[string]string{"p": pol}}
	st.AccessKeys[tgtKey] = &awssim.AccessKey{ID: tgtKey, Secret: "target-secret", UserName: "resolver", Status: "Active"}
	named := func(id, region, state, name string) *awssim.Instance {
		return &awssim.Instance{ID: id, Region: region, State: state, Tags: []awssim.Tag{{Key: "Name", Value: name}}}
	}
	st.Instances[tgtWeb] = named(tgtWeb, "us-east-1", "running", "web")
	st.Instances[tgtWeb].PrivateIP, st.Instances[tgtWeb].PublicIP, st.Instances[tgtWeb].IPv6 = "172.31.0.20", "3.80.9.20", "2600:1f18:aa::20"
	st.Instances[tgtOldWeb] = named(tgtOldWeb, "us-east-1", "terminated", "web")
	st.Instances[tgtDupA] = named(tgtDupA, "us-east-1", "running", "dup")
	st.Instances[tgtDupB] = named(tgtDupB, "us-east-1", "stopped", "dup")
	st.Instances[tgtOregon] = named(tgtOregon, "us-west-2", "running", "oregon-db")
	st.Instances[tgtOregon].PrivateIP = "172.31.0.30"
	st.Instances[tgtHybrid] = &awssim.Instance{ID: tgtHybrid, Region: "us-east-1", PrivateIP: "192.168.1.7",
		Agent: awssim.Agent{Installed: true, ComputerName: "rack-7", PingStatus: "Online"}}
	return st
}

type targetCase struct {
	in     string
	id     string // the instance, or "" for an error
	kind   string // "not found", "ambiguous", "malformed"
	region string // where id is, when not the default region
}

func targetCases() []targetCase {
	return []targetCase{
		{in: tgtWeb, id: tgtWeb},
		{in: tgtHybrid, id: tgtHybrid},
		{in: "web", id: tgtWeb}, // the terminated "web" is left out
		{in: "172.31.0.20", id: tgtWeb},
		{in: "3.80.9.20", id: tgtWeb},
		{in: "2600:1f18:aa::20", id: tgtWeb},
		{in: "2600:1F18:AA:0::20", id: tgtWeb}, // not the form EC2 reports
		{in: "ip-172-31-0-20.ec2.internal", id: tgtWeb},
		{in: "ec2-3-80-9-20.compute-1.amazonaws.com", id: tgtWeb},
		{in: "dup", kind: "ambiguous"},
		{in: "no-such-name", kind: "not found"},
		{in: "10.9.9.9", kind: "not found"},
		{in: tgtOregon, id: tgtOregon, region: "us-west-2"},
		{in: "oregon-db", id: tgtOregon, region: "us-west-2"},
		{in: "ip-172-31-0-30.us-west-2.compute.internal", id: tgtOregon, region: "us-west-2"},
		{in: "172.31.0.30", id: tgtOregon, region: "us-west-2"},
		{in: "web;id", kind: "malformed"},
		{in: "-oProxyCommand=x", kind: "malformed"},
	}
}

// errKind names the resolution error the way the commands tell them apart.
func errKind(err error) (string, []string) {
	var nf *TargetNotFoundError
	var amb *AmbiguousTargetError
	var bad *MalformedTargetError
	switch {
	case errors.As(err, &nf):
		return "not found", nf.Searched
	case errors.As(err, &amb):
		return "ambiguous", nil
	case errors.As(err, &bad):
		return "malformed", nil
	case err != nil:
		return "other: " + err.Error(), nil
	}
	return "", nil
}

// TestTargetForms: every form of TARGET resolves through the simulator's
// EC2 and SSM APIs to the instance it names, and ResolveTarget (ssh, scp,
// proxy) answers as ResolveTargets (check) does.
func TestTargetForms(t *testing.T) {
	a, _ := simEnv(t, targetState(), tgtKey)
	a.SearchOtherRegions(nil) // as every command does without --region
	ctx := context.Background()
	for _, tc := range targetCases() {
		one, err := ResolveTarget(ctx, a, tc.in)
		kind, foundIn := errKind(err)
		if tc.id != "" {
			region := tc.region
			if region == "" {
				region = "us-east-1"
			}
			if err != nil || one.InstanceID != tc.id || one.Input != tc.in || one.Region != region {
				t.Errorf("%s: %+v %v, want %s in %s", tc.in, one, err, tc.id, region)
			}
		} else if kind != tc.kind {
			t.Errorf("%s: %v (%s), want %s", tc.in, err, kind, tc.kind)
		}
		many, err2 := ResolveTargets(ctx, a, []string{tc.in}, nil, false)
		kind2, foundIn2 := errKind(err2)
		if kind2 != kind || !slices.Equal(foundIn2, foundIn) || (err == nil) != (err2 == nil) {
			t.Errorf("%s: check resolves to %v %v, ssh to %v %v", tc.in, many, err2, one, err)
		} else if err == nil && (len(many) != 1 || *many[0] != *one) {
			t.Errorf("%s: check resolves to %+v, ssh to %+v", tc.in, many[0], one)
		}
	}
}

// TestTargetNameHybrid: a hybrid node's target carries its activation
// name and is marked hybrid.
func TestTargetNameHybrid(t *testing.T) {
	a, _ := simEnv(t, targetState(), tgtKey)
	got, err := ResolveTarget(context.Background(), a, tgtHybrid)
	if err != nil || !got.Hybrid || got.Name != "rack-7" {
		t.Fatalf("hybrid: %+v %v", got, err)
	}
	got, err = ResolveTarget(context.Background(), a, "web")
	if err != nil || got.Hybrid || got.Name != "web" {
		t.Fatalf("web: %+v %v", got, err)
	}
}

// TestTargetLookupIsRemembered: what resolution learnt answers the next
// question about the instance (ssh's preflight asks for its state), so
// the instance is described once.
func TestTargetLookupIsRemembered(t *testing.T) {
	a, s := simEnv(t, targetState(), tgtKey)
	ctx := context.Background()
	for _, in := range []string{"web", tgtWeb, "ip-172-31-0-20.ec2.internal", "3.80.9.20"} {
		a2 := &AWSEnv{Region: a.Region, ec2: a.ec2, ssm: a.ssm, iam: a.iam, sts: a.sts, regional: a.regional} // nothing remembered yet
		before := s.Calls("ec2.DescribeInstances")
		got, err := ResolveTarget(ctx, a2, in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		lookups := s.Calls("ec2.DescribeInstances") - before
		inst, err := a2.Instance(ctx, got.InstanceID)
		if err != nil || inst == nil || inst.State == nil || inst.State.Name != "running" {
			t.Fatalf("%s: instance after resolution: %+v %v", in, inst, err)
		}
		if n := s.Calls("ec2.DescribeInstances") - before; n != lookups {
			t.Errorf("%s: %d DescribeInstances calls for resolution and state, want the resolution's %d", in, n, lookups)
		}
	}
}

// TestTargetMalformedAnswer: an id from the API that is not an instance
// id (a hostile or broken endpoint) is refused, never handed on to ssh.
func TestTargetMalformedAnswer(t *testing.T) {
	a, s := simEnv(t, targetState(), tgtKey)
	const evil = "i-0123456789abcdef0;touch${IFS}pwned"
	s.WithState(func(st *awssim.State) {
		inst := *st.Instances[tgtDupA]
		inst.ID = evil
		inst.Tags = []awssim.Tag{{Key: "Name", Value: "innocent"}}
		st.Instances[evil] = &inst
	})
	got, err := ResolveTarget(context.Background(), a, "innocent")
	var bad *MalformedAnswerError
	if !errors.As(err, &bad) || bad.Value != evil || got != nil {
		t.Fatalf("hostile id: %+v %v, want MalformedAnswerError", got, err)
	}
}

// TestTargetFilters: which EC2 filter each form of TARGET is looked up
// with, in order.
func TestTargetFilters(t *testing.T) {
	cases := map[string]string{
		"10.0.0.1":                                        "private-ip-address=10.0.0.1 ip-address=10.0.0.1",
		"2600:1f18:0:0::1":                                "ipv6-address=2600:1f18::1",
		"ip-10-0-0-1.ec2.internal":                        "private-dns-name=ip-10-0-0-1.ec2.internal",
		"ip-10-0-0-1.us-west-2.compute.internal":          "private-dns-name=ip-10-0-0-1.us-west-2.compute.internal",
		"i-0123456789abcdef0.us-west-2.compute.internal":  "private-dns-name=i-0123456789abcdef0.us-west-2.compute.internal",
		"ec2-1-2-3-4.compute-1.amazonaws.com":             "dns-name=ec2-1-2-3-4.compute-1.amazonaws.com",
		"ec2-1-2-3-4.eu-west-1.compute.amazonaws.com":     "dns-name=ec2-1-2-3-4.eu-west-1.compute.amazonaws.com",
		"ec2-1-2-3-4.cn-north-1.compute.amazonaws.com.cn": "dns-name=ec2-1-2-3-4.cn-north-1.compute.amazonaws.com.cn",
		"web-1":                     "tag:Name=web-1",
		"ip-10-0-0-1":               "tag:Name=ip-10-0-0-1",
		"db.example.com":            "tag:Name=db.example.com",
		"ec2-1-2-3-4.amazonaws.com": "tag:Name=ec2-1-2-3-4.amazonaws.com",
	}
	for in, want := range cases {
		var got []string
		for _, f := range targetFilters(in) {
			got = append(got, aws.ToString(f.Name)+"="+strings.Join(f.Values, ","))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %v, want %s", in, got, want)
		}
	}
}

// TestSimResolveUnknownAndOtherRegion: an id nobody has is "not found";
// without the search (an explicit --region) an instance of another region
// is not found either and no other region is asked; with it, the instance
// resolves in its own region, a name in two other regions is ambiguous
// listing both with their regions, and the answer is remembered: the
// next resolution asks one region, not all of them.
func TestSimResolveUnknownAndOtherRegion(t *testing.T) {
	st := awssim.DemoScenario()
	const elsewhere, twinA, twinB = "i-0e0e0e0e0e0e0e0e1", "i-0e0e0e0e0e0e0e0e2", "i-0e0e0e0e0e0e0e0e3"
	st.Instances[elsewhere] = &awssim.Instance{ID: elsewhere, Region: "eu-west-1", State: "running",
		Tags: []awssim.Tag{{Key: "Name", Value: "dublin-web"}}}
	st.Instances[twinA] = &awssim.Instance{ID: twinA, Region: "eu-west-1", State: "running", Tags: []awssim.Tag{{Key: "Name", Value: "twin"}}}
	st.Instances[twinB] = &awssim.Instance{ID: twinB, Region: "us-west-2", State: "running", Tags: []awssim.Tag{{Key: "Name", Value: "twin"}}}
	a, s := simEnv(t, st, demoKey(t, "alice"))
	ctx := context.Background()

	for _, in := range []string{"i-0123456789abcdef0", "mi-0123456789abcdef0", "no-such-name", elsewhere, "dublin-web"} {
		_, err := ResolveTargets(ctx, a, []string{in}, nil, false)
		var nf *TargetNotFoundError
		if !errors.As(err, &nf) || len(nf.Searched) != 0 || nf.Region != "us-east-1" {
			t.Fatalf("%s: %v (%T), want not found in us-east-1 with no other region", in, err, err)
		}
		if want := `no instance matches "` + in + `" in us-east-1`; err.Error() != want {
			t.Errorf("%s: message %q, want %q", in, err.Error(), want)
		}
	}
	if n := s.Calls("ec2.DescribeRegions"); n != 0 {
		t.Fatalf("the search is off, yet %d DescribeRegions calls", n)
	}

	cache := &RegionCache{Path: filepath.Join(t.TempDir(), "regions.json"), Scope: "test"}
	a.SearchOtherRegions(cache)
	for _, in := range []string{elsewhere, "dublin-web"} {
		ts, err := ResolveTargets(ctx, a, []string{in}, nil, false)
		if err != nil || len(ts) != 1 || ts[0].InstanceID != elsewhere || ts[0].Region != "eu-west-1" {
			t.Fatalf("%s: %+v %v, want %s in eu-west-1", in, ts, err, elsewhere)
		}
		if r, id, ok := cache.Get(in); !ok || r != "eu-west-1" || id != elsewhere {
			t.Fatalf("%s: cache holds %q %q %v", in, r, id, ok)
		}
	}
	// Remembered: one DescribeInstances in the cached region, no DescribeRegions.
	regions, describes := s.Calls("ec2.DescribeRegions"), s.Calls("ec2.DescribeInstances")
	a2 := &AWSEnv{Region: a.Region, ec2: a.ec2, ssm: a.ssm, iam: a.iam, sts: a.sts, regional: a.regional}
	a2.SearchOtherRegions(cache)
	ts, err := ResolveTargets(ctx, a2, []string{"dublin-web"}, nil, false)
	if err != nil || ts[0].Region != "eu-west-1" {
		t.Fatalf("from the cache: %+v %v", ts, err)
	}
	if r, d := s.Calls("ec2.DescribeRegions")-regions, s.Calls("ec2.DescribeInstances")-describes; r != 0 || d != 2 {
		t.Errorf("from the cache: %d DescribeRegions and %d DescribeInstances, want 0 and 2 (the default region, the cached one)", r, d)
	}
	// An entry past its time is not used.
	cache.Now = func() time.Time { return time.Now().Add(RegionCacheTTL + time.Minute) }
	if _, _, ok := cache.Get("dublin-web"); ok {
		t.Error("a stale cache entry was used")
	}

	_, err = ResolveTargets(ctx, a, []string{"twin"}, nil, false)
	var amb *AmbiguousTargetError
	if !errors.As(err, &amb) || !slices.Equal(amb.Candidates, []string{
		twinA + " (twin, running, eu-west-1)", twinB + " (twin, running, us-west-2)"}) {
		t.Fatalf("a name in two other regions: %v, want ambiguous listing both with regions", err)
	}
	_, err = ResolveTargets(ctx, a, []string{"no-such-name"}, nil, false)
	var nf *TargetNotFoundError
	if !errors.As(err, &nf) || len(nf.Searched) == 0 || !strings.Contains(err.Error(), "other regions") {
		t.Fatalf("nowhere: %v", err)
	}
}

// simEnv starts the simulator over st and returns a view built the
// production way (awsapi.Load) with the given access key.
func simEnv(t testing.TB, st *awssim.State, keyID string) (*AWSEnv, *awssim.Sim) {
	t.Helper()
	s := simtest.Start(t, st, awssim.Options{})
	return NewAWSEnv(simtest.Clients(t, s, st, keyID, awsapi.Options{MaxAttempts: 1})), s
}

// demoKey finds a demo user's access key: the scenario file keys them by
// access key id.
func demoKey(t *testing.T, user string) string {
	t.Helper()
	for id, k := range awssim.DemoScenario().AccessKeys {
		if k.UserName == user {
			return id
		}
	}
	t.Fatalf("the demo scenario has no access key for %s", user)
	return ""
}
