package checks

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

const demoHealthy = "i-0a11600d000000001"

// demoKey finds a demo user's access key: the table names people, the
// scenario file keys them by access key id.
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

// runAs runs every AWS check on one target as the demo user with key,
// one-time keys on so that caller-instance-connect is evaluated too.
func runAs(t *testing.T, a *awsfacts.AWSEnv, target string) map[string]Result {
	t.Helper()
	ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{target}, nil, false)
	if err != nil {
		t.Fatalf("resolve %s: %v", target, err)
	}
	got := map[string]Result{}
	for _, o := range Run(context.Background(), &Env{AWS: a, Target: ts[0], Options: Options{Ephemeral: true}}, awsChecks(), RunOptions{}) {
		got[o.ID] = o.Result
	}
	return got
}

func callerIDs() []string {
	var ids []string
	for _, c := range awsChecks() {
		if c.Layer() == LayerCaller {
			ids = append(ids, c.ID())
		}
	}
	return ids
}

const (
	simulatedNote = "simulated with iam:SimulatePrincipalPolicy"
	offlineNote   = "evaluated offline from the policies of your user"
)

// TestSimDemoUsersCallerChecks runs the caller layer as each demo user
// against the healthy instance: every result is asserted, and so is the
// way each decision was reached.
func TestSimDemoUsersCallerChecks(t *testing.T) {
	cases := []struct {
		user   string
		want   map[string]Status
		method string // the Details line naming how permissions were evaluated
		check  func(t *testing.T, got map[string]Result)
	}{
		{user: "alice", method: simulatedNote, want: map[string]Status{
			"caller-identity": StatusPass, "caller-start-session": StatusPass, "caller-session-lifecycle": StatusPass,
			"caller-instance-connect": StatusPass, "caller-kms": StatusPass, "caller-read-permissions": StatusPass}},
		{user: "bob", method: simulatedNote, want: map[string]Status{
			"caller-identity": StatusPass, "caller-start-session": StatusFail, "caller-session-lifecycle": StatusPass,
			"caller-instance-connect": StatusPass, "caller-kms": StatusPass, "caller-read-permissions": StatusPass},
			check: func(t *testing.T, got map[string]Result) {
				r := got["caller-start-session"]
				// The instance is allowed; only the document is missing.
				if !strings.Contains(r.Message, "no policy allows") || !strings.Contains(r.Message, "document/AWS-StartSSHSession") || strings.Contains(r.Message, "instance/") {
					t.Errorf("bob caller-start-session message %q: want the document, and only it, named as not allowed", r.Message)
				}
				if r.FixID == "" || !slices.ContainsFunc(r.Details, func(d string) bool {
					return strings.Contains(d, `"arn:aws:ssm:us-east-1::document/AWS-StartSSHSession"`)
				}) {
					t.Errorf("bob caller-start-session: want a fix and a statement naming the document, got fix %q details %q", r.FixID, r.Details)
				}
			}},
		{user: "carol", method: simulatedNote, want: map[string]Status{
			"caller-identity": StatusPass, "caller-start-session": StatusFail, "caller-session-lifecycle": StatusPass,
			"caller-instance-connect": StatusPass, "caller-kms": StatusPass, "caller-read-permissions": StatusPass},
			check: func(t *testing.T, got map[string]Result) {
				r := got["caller-start-session"]
				if !strings.HasPrefix(r.Message, "explicitly denied:") || !strings.Contains(r.Message, "instance/"+demoHealthy) {
					t.Errorf("carol caller-start-session message %q: want an explicit deny on the instance", r.Message)
				}
				if !slices.ContainsFunc(r.Details, func(d string) bool { return strings.Contains(d, "deny-start-session") }) {
					t.Errorf("carol caller-start-session details %q: want the denying policy named", r.Details)
				}
				// A statement cannot override an explicit Deny: no fix is offered.
				if r.FixID != "" {
					t.Errorf("carol caller-start-session offers fix %q for an explicit deny", r.FixID)
				}
			}},
		{user: "dave", method: offlineNote + " dave", want: map[string]Status{
			"caller-identity": StatusPass, "caller-start-session": StatusPass, "caller-session-lifecycle": StatusPass,
			"caller-instance-connect": StatusPass, "caller-kms": StatusPass, "caller-read-permissions": StatusWarn},
			check: func(t *testing.T, got map[string]Result) {
				if r := got["caller-read-permissions"]; r.Message != "not allowed: iam:SimulatePrincipalPolicy" {
					t.Errorf("dave caller-read-permissions message %q: want only iam:SimulatePrincipalPolicy missing", r.Message)
				}
			}},
		{user: "demo-admin", method: simulatedNote, want: map[string]Status{
			"caller-identity": StatusPass, "caller-start-session": StatusPass, "caller-session-lifecycle": StatusPass,
			"caller-instance-connect": StatusPass, "caller-kms": StatusPass, "caller-read-permissions": StatusPass}},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			a, _ := simEnv(t, awssim.DemoScenario(), demoKey(t, tc.user))
			got := runAs(t, a, demoHealthy)
			if len(tc.want) != len(callerIDs()) {
				t.Fatalf("the table covers %d caller checks, awsChecks has %v", len(tc.want), callerIDs())
			}
			wantStatus(t, got, tc.want)
			if r := got["caller-identity"]; !strings.Contains(r.Message, "IAM user "+tc.user+" ") {
				t.Errorf("caller-identity message %q: want IAM user %s", r.Message, tc.user)
			}
			// Every permission check says how it decided.
			for _, id := range []string{"caller-start-session", "caller-session-lifecycle", "caller-instance-connect", "caller-read-permissions"} {
				if !slices.ContainsFunc(got[id].Details, func(d string) bool { return strings.HasPrefix(d, tc.method) }) {
					t.Errorf("%s %s details %q: want a line starting %q", tc.user, id, got[id].Details, tc.method)
				}
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// TestSimDemoAliceEveryInstance: alice's permissions do not depend on the
// instance, so her caller layer passes everywhere, hybrid node included
// (where Instance Connect has nothing to check).
func TestSimDemoAliceEveryInstance(t *testing.T) {
	a, _ := simEnv(t, awssim.DemoScenario(), demoKey(t, "alice"))
	st := awssim.DemoScenario()
	if len(st.Instances) < 10 {
		t.Fatalf("demo scenario has %d instances", len(st.Instances))
	}
	for id := range st.Instances {
		t.Run(id, func(t *testing.T) {
			got := runAs(t, a, id)
			for _, cid := range callerIDs() {
				want := StatusPass
				if cid == "caller-instance-connect" && strings.HasPrefix(id, "mi-") {
					want = StatusSkip
				}
				if got[cid].Status != want {
					t.Errorf("%s: %s = %s (%s), want %s", id, cid, got[cid].Status, got[cid].Message, want)
				}
			}
			if r := got["caller-start-session"]; !strings.Contains(r.Message, id) {
				t.Errorf("%s: caller-start-session message %q does not name the instance", id, r.Message)
			}
		})
	}
}

// TestSimDemoAllIncludesHybrid: --all and tag filters select the mi- node
// from its registration, the EC2-only checks skip it with a reason, and
// the tier check runs and fails (the demo account is on the standard tier).
func TestSimDemoAllIncludesHybrid(t *testing.T) {
	a, _ := simEnv(t, awssim.DemoScenario(), demoKey(t, "alice"))
	ctx := context.Background()
	const hybrid = "mi-0c0ffee0000000001"
	all, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var node *Target
	for _, tg := range all {
		ids = append(ids, tg.InstanceID)
		if tg.InstanceID == hybrid {
			node = tg
		}
	}
	if len(all) != len(awssim.DemoScenario().Instances) || node == nil {
		t.Fatalf("--all selected %v, want every demo instance including %s", ids, hybrid)
	}
	if !node.Hybrid || node.Name != "onprem-build-01" {
		t.Errorf("hybrid target %+v: want Hybrid and the registration's name", node)
	}
	for _, tg := range all {
		if tg.Hybrid != strings.HasPrefix(tg.InstanceID, "mi-") {
			t.Errorf("%s: Hybrid = %v", tg.InstanceID, tg.Hybrid)
		}
	}
	if err := PrefetchFleet(ctx, &Env{AWS: a}, all); err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, o := range Run(ctx, &Env{AWS: a, Target: node}, awsChecks(), RunOptions{}) {
		got[o.ID] = o.Result
	}
	wantStatus(t, got, map[string]Status{
		"instance-exists": StatusPass, "instance-registered": StatusPass, "instance-agent-version": StatusPass,
		"instance-hybrid-tier": StatusFail, "instance-profile": StatusSkip, "instance-role-permissions": StatusSkip,
		"instance-network": StatusSkip, "instance-metadata": StatusSkip, "connection-status": StatusPass,
	})
	for _, id := range []string{"instance-profile", "instance-network", "instance-metadata"} {
		if !strings.Contains(got[id].Message, "hybrid") {
			t.Errorf("%s skipped with %q: want the reason to name hybrid nodes", id, got[id].Message)
		}
	}
	if r := got["instance-hybrid-tier"]; r.FixID == "" || r.Fix == "" || !strings.Contains(r.Message, "standard tier") {
		t.Errorf("instance-hybrid-tier = %+v: want the standard tier named and a fix", r)
	}

	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"tag:Scenario=hybrid-standard-tier", []string{hybrid}},
		{"tag:Name=demo-healthy", []string{demoHealthy}},
		{"tag:Scenario=no-such-scenario", nil},
	} {
		ts, err := awsfacts.ResolveTargets(ctx, a, nil, []string{tc.filter}, false)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		var got []string
		for _, tg := range ts {
			got = append(got, tg.InstanceID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("--filter %s selected %v, want %v", tc.filter, got, tc.want)
		}
	}
}
