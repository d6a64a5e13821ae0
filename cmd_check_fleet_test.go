package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// TestCheckAllBatchesCalls runs `check --all` on a generated fleet and
// checks the command prefetched in bulk: pages instead of per-instance
// calls, and no GetConnectionStatus per instance.
func TestCheckAllBatchesCalls(t *testing.T) {
	const n = 120
	sim := simtest.Start(t, awssim.GenerateFleet(n, awssim.DefaultFleetMix, 7), awssim.Options{})
	env, err := simEnvironment(sim, "demo-admin")
	if err != nil {
		t.Fatal(err)
	}
	restore := setEnv(append(env, [2]string{"AWS_CONFIG_FILE", "/dev/null"}, [2]string{"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}, [2]string{"AWS_PROFILE", ""}))
	defer restore()
	sim.ResetCalls()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"ssmdoctor", "check", "--all", "--format", "json", "--skip", "ssh-config"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitProblems {
		t.Fatalf("exit %d (want 1: the fleet has problems)\n%s", code, stderr.String())
	}
	var rep struct {
		Targets []struct {
			InstanceID string `json:"instanceId"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("json: %v", err)
	}
	if len(rep.Targets) < n {
		t.Fatalf("%d targets, want at least %d", len(rep.Targets), n)
	}
	calls := sim.AllCalls()
	if calls["ssm.GetConnectionStatus"] != 0 {
		t.Errorf("GetConnectionStatus called %d times: the fleet status should come from the batched DescribeInstanceInformation", calls["ssm.GetConnectionStatus"])
	}
	if got := calls["ec2.DescribeInstances"]; got > 2 {
		t.Errorf("DescribeInstances called %d times for %d instances (1000 per page)", got, n)
	}
	if got := calls["ssm.DescribeInstanceInformation"]; got > 2*((n+49)/50)+2 {
		t.Errorf("DescribeInstanceInformation called %d times for %d instances (50 per page)", got, n)
	}
	total := 0
	for _, v := range calls {
		total += v
	}
	t.Logf("%d API calls for %d instances: %v", total, n, calls)
	if total > n {
		t.Errorf("%d API calls for %d instances: per-instance calls crept in", total, n)
	}
}
