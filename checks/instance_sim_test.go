package checks

import (
	"context"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// simEnv starts the simulator over st and returns an AWSEnv built the
// production way (awsapi.Load) with the given access key.
func simEnv(t testing.TB, st *awssim.State, keyID string) (*awsfacts.AWSEnv, *awssim.Sim) {
	t.Helper()
	return simEnvAttempts(t, st, keyID, 1)
}

// TestSimDemoInstances runs every AWS check on every demo instance as the
// demo administrator and asserts the check each scenario exists to show.
func TestSimDemoInstances(t *testing.T) {
	a, _ := simEnv(t, awssim.DemoScenario(), awssim.DemoAccessKey)
	cases := []struct {
		id   string
		want map[string]Status
	}{
		{"i-0a11600d000000001", map[string]Status{"instance-exists": StatusPass, "instance-profile": StatusPass, "instance-role-permissions": StatusPass,
			"instance-registered": StatusPass, "instance-agent-version": StatusPass, "instance-network": StatusPass, "instance-metadata": StatusPass,
			"connection-status": StatusPass, "caller-start-session": StatusPass}},
		{"i-0bad0000000000002", map[string]Status{"instance-agent-version": StatusFail}},
		{"i-0bad0000000000003", map[string]Status{"instance-profile": StatusFail}},
		{"i-0bad0000000000004", map[string]Status{"instance-role-permissions": StatusFail}},
		{"i-0bad0000000000005", map[string]Status{"instance-role-permissions": StatusWarn}},
		{"i-0bad0000000000006", map[string]Status{"instance-registered": StatusFail}},
		{"i-0bad0000000000007", map[string]Status{"instance-network": StatusFail}},
		{"i-0ff00000000000008", map[string]Status{"instance-exists": StatusFail}},
		{"i-0a11600d000000009", map[string]Status{"instance-profile": StatusPass}},
		{"i-0a11600d00000000a", map[string]Status{"instance-network": StatusPass}},
		{"mi-0c0ffee0000000001", map[string]Status{"instance-hybrid-tier": StatusFail}},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{tc.id}, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			env := &Env{AWS: a, Target: ts[0]}
			got := map[string]Result{}
			for _, o := range Run(context.Background(), env, awsChecks(), RunOptions{}) {
				got[o.ID] = o.Result
			}
			wantStatus(t, got, tc.want)
		})
	}
}
