package checkrun

import (
	"slices"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// TestForwardPreflight: forward's preflight is ssh's plus the agent
// version; an agent too old to multiplex is a warning, not a failure; an
// unregistered instance fails; ssh's list is untouched.
func TestForwardPreflight(t *testing.T) {
	if want := append(slices.Clone(PreflightChecks), "instance-agent-version"); !slices.Equal(ForwardPreflightChecks, want) {
		t.Fatalf("ForwardPreflightChecks = %v, want %v", ForwardPreflightChecks, want)
	}
	if slices.Contains(PreflightChecks, "instance-agent-version") {
		t.Fatalf("PreflightChecks gained the agent version: %v", PreflightChecks)
	}
	const old, missing = "i-0a11600d000000001", "i-0bad0000000000006" // the demo's unregistered node
	st := awssim.DemoScenario()
	st.Instances[old].Agent.Version = "3.0.196.0"
	s := simtest.Start(t, st, awssim.Options{})
	env := awsfacts.NewAWSEnv(simtest.Clients(t, s, st, awssim.DemoAccessKey, awsapi.Options{MaxAttempts: 1}))
	ts, err := awsfacts.ResolveTargets(t.Context(), env, []string{old, missing}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	opts := checks.Options{Document: "AWS-StartPortForwardingSession", Forward: true}

	outs, failed, warning := ForwardPreflight(t.Context(), env, opts, ts[0])
	var ids []string
	for _, o := range outs {
		ids = append(ids, o.ID)
	}
	if failed {
		t.Fatalf("old agent: failed, checks %v", ids)
	}
	for _, id := range ForwardPreflightChecks {
		if !slices.Contains(ids, id) {
			t.Errorf("old agent: %s did not run (ran %v)", id, ids)
		}
	}
	if want := "agent 3.0.196.0 forwards one connection at a time: multiplexed port forwarding needs an agent newer than 3.0.196.0"; warning != want {
		t.Errorf("warning %q, want %q", warning, want)
	}

	outs, failed, warning = ForwardPreflight(t.Context(), env, opts, ts[1])
	if !failed || warning != "" {
		t.Fatalf("no agent: failed %v, warning %q", failed, warning)
	}
	var fails []string
	for _, o := range outs {
		if o.Result.Status == checks.StatusFail {
			fails = append(fails, o.ID+": "+o.Result.Message)
		}
	}
	if len(fails) == 0 || !strings.HasPrefix(fails[0], "instance-registered: ") {
		t.Errorf("no agent: failures %q, want instance-registered first", fails)
	}
}
