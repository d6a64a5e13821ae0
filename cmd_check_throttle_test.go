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

// checkOneAsJSON runs `check TARGET --format json` against sim as the demo
// admin and returns each check's status and message by id.
func checkOneAsJSON(t *testing.T, sim *awssim.Sim, target string) (code int, status, message map[string]string) {
	t.Helper()
	env, err := simEnvironment(sim, "demo-admin")
	if err != nil {
		t.Fatal(err)
	}
	restore := setEnv(append(env, [2]string{"AWS_CONFIG_FILE", "/dev/null"}, [2]string{"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}, [2]string{"AWS_PROFILE", ""}))
	defer restore()
	var stdout, stderr bytes.Buffer
	code = run(context.Background(), []string{"ssmdoctor", "check", target, "--format", "json", "--skip", "ssh-config"}, strings.NewReader(""), &stdout, &stderr)
	var rep struct {
		Targets []struct {
			Checks []struct{ ID, Status, Message string } `json:"checks"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Targets) != 1 {
		t.Fatalf("exit %d, json %v\nstdout %s\nstderr %s", code, err, stdout.String(), stderr.String())
	}
	status, message = map[string]string{}, map[string]string{}
	for _, c := range rep.Targets[0].Checks {
		status[c.ID], message[c.ID] = c.Status, c.Message
	}
	return code, status, message
}

// TestCheckRetriesThenReportsThrottling: a short burst of throttling is
// retried away; throttling that outlasts the retries becomes "could not
// determine" for the checks that needed the call, and the rest continue.
func TestCheckRetriesThenReportsThrottling(t *testing.T) {
	sim := simtest.Start(t, awssim.DemoScenario(), awssim.Options{})
	const healthy = "i-0a11600d000000001"

	sim.ResetCalls()
	sim.Throttle("ssm.DescribeInstanceInformation", 1)
	_, status, _ := checkOneAsJSON(t, sim, healthy)
	if status["instance-registered"] != "pass" {
		t.Fatalf("one throttled call: instance-registered = %q, want pass after a retry", status["instance-registered"])
	}
	if n := sim.Calls("ssm.DescribeInstanceInformation"); n < 2 {
		t.Fatalf("DescribeInstanceInformation called %d times: the throttled call was not retried", n)
	}

	sim.Throttle("ssm.DescribeInstanceInformation", 1000)
	code, status, message := checkOneAsJSON(t, sim, healthy)
	sim.Throttle("ssm.DescribeInstanceInformation", 0)
	if status["instance-registered"] != "error" || !strings.Contains(strings.ToLower(message["instance-registered"]), "throttl") {
		t.Fatalf("lasting throttling: instance-registered = %q %q, want error naming throttling", status["instance-registered"], message["instance-registered"])
	}
	if status["instance-exists"] != "pass" || status["caller-identity"] != "pass" {
		t.Fatalf("other checks should continue: instance-exists=%q caller-identity=%q", status["instance-exists"], status["caller-identity"])
	}
	if code != exitOK && code != exitProblems {
		t.Fatalf("exit %d", code)
	}
}
