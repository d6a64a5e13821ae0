package checks

import (
	"context"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestAgentVersionForwarding: for ssmdoctor forward the agent version check
// names the multiplexing threshold, which the plugin applies strictly
// (newer than 3.0.196.0).
func TestAgentVersionForwarding(t *testing.T) {
	const id = "i-0a11600d000000001"
	for _, tc := range []struct {
		version string
		status  Status
		msg     string
	}{
		{"3.0.196.0", StatusWarn, "agent 3.0.196.0 forwards one connection at a time: multiplexed port forwarding needs an agent newer than 3.0.196.0"},
		{"3.0.196.1", StatusPass, "agent 3.0.196.1 multiplexes forwarded connections (newer than 3.0.196.0)"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			st := awssim.DemoScenario()
			st.Instances[id].Agent.Version = tc.version
			a, _ := simEnv(t, st, awssim.DemoAccessKey)
			ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{id}, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			env := &Env{AWS: a, Target: ts[0], Options: Options{Forward: true, Document: "AWS-StartPortForwardingSession"}}
			found := false
			for _, o := range Run(context.Background(), env, Select(All(), "instance-agent-version"), RunOptions{}) {
				if o.ID != "instance-agent-version" {
					continue
				}
				found = true
				if o.Result.Status != tc.status || o.Result.Message != tc.msg {
					t.Errorf("got %s %q, want %s %q", o.Result.Status, o.Result.Message, tc.status, tc.msg)
				}
			}
			if !found {
				t.Fatal("instance-agent-version did not run")
			}
		})
	}
}
