package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
)

const demoHealthy = "i-0a11600d000000001"

// demoInProcess serves the demo scenario (changed by mutate) and points
// this process's AWS configuration at it as the principal of keyID.
func demoInProcess(t *testing.T, keyID string, mutate func(st *awssim.State)) *awssim.Sim {
	t.Helper()
	st := awssim.DemoScenario()
	if mutate != nil {
		mutate(st)
	}
	sim := simtest.Start(t, st, awssim.Options{})
	sim.SetStartDelay(0)
	key := st.AccessKeys[keyID]
	inProcessAWS(t, sim.URL(), key.ID, key.Secret)
	t.Setenv("AWS_REGION", "us-east-1")
	return sim
}

type jsonOutcome struct{ ID, Status, Message, Fix, FixID string }

func reportChecks(t *testing.T, r runResult) [][]jsonOutcome {
	t.Helper()
	var doc struct {
		Targets []struct{ Checks []jsonOutcome }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Targets) == 0 {
		t.Fatalf("exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	var out [][]jsonOutcome
	for _, tg := range doc.Targets {
		out = append(out, tg.Checks)
	}
	return out
}

func outcome(t *testing.T, cs []jsonOutcome, id string) jsonOutcome {
	t.Helper()
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return jsonOutcome{}
}

// erin may push one-time keys only for the OS user ubuntu.
func addErin(st *awssim.State) {
	st.Users["erin"] = &awssim.User{Name: "erin", ID: "AIDADEMOERIN00000001", Path: "/", InlinePolicies: map[string]string{
		"ssh-ubuntu-keys": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["ec2:Describe*","ssm:Describe*","ssm:Get*","iam:Get*","iam:List*","iam:SimulatePrincipalPolicy"],"Resource":"*"},
			{"Effect":"Allow","Action":"ec2-instance-connect:SendSSHPublicKey","Resource":"arn:aws:ec2:*:123456789012:instance/*","Condition":{"StringEquals":{"ec2:osuser":"ubuntu"}}}]}`,
	}}
	st.AccessKeys["AKIADEMOERIN00000001"] = &awssim.AccessKey{ID: "AKIADEMOERIN00000001", Secret: "demo/erin/secret", UserName: "erin", Status: "Active"}
}

func TestCheckEphemeralKeyChecksSendSSHPublicKey(t *testing.T) {
	demoInProcess(t, "AKIADEMOERIN00000001", addErin)
	base := []string{"check", demoHealthy, "--format", "json", "--skip", "ssh-config"}

	c := outcome(t, reportChecks(t, runInProcess(t, base...))[0], "caller-instance-connect")
	if c.Status != "skip" || !strings.Contains(c.Message, "one-time keys are not used") {
		t.Fatalf("without --ephemeral-key: %+v", c)
	}
	c = outcome(t, reportChecks(t, runInProcess(t, append(base, "--ephemeral-key")...))[0], "caller-instance-connect")
	if c.Status != "fail" || !strings.Contains(c.Message, "no policy allows ec2-instance-connect:SendSSHPublicKey on arn:aws:ec2:us-east-1:123456789012:instance/"+demoHealthy) ||
		c.Fix != "ssmdoctor fix --user-policy --os-user ec2-user" || c.FixID != "user-policy" {
		t.Fatalf("--ephemeral-key for the default user ec2-user: %+v", c)
	}
	c = outcome(t, reportChecks(t, runInProcess(t, append(base, "--ephemeral-key", "--user", "ubuntu")...))[0], "caller-instance-connect")
	if c.Status != "pass" || c.Message != "one-time keys for OS user ubuntu may be pushed to "+demoHealthy {
		t.Fatalf("--ephemeral-key --user ubuntu: %+v", c)
	}
}

// Every fix line the demo produces is a command that runs: ssmdoctor's own
// with --dry-run through run(), the AWS CLI's through the real CLI against
// the simulator (parsed and sent, whatever the simulator answers).
func TestCheckFixLinesAreCommandsThatWork(t *testing.T) {
	demoInProcess(t, awssim.DemoAccessKey, nil)
	fixes := map[string]string{} // fix line -> check id
	collect := func(args ...string) {
		for _, cs := range reportChecks(t, runInProcess(t, args...)) {
			for _, c := range cs {
				if c.Fix != "" {
					fixes[c.Fix] = c.ID
				}
			}
		}
	}
	collect("check", "--all", "--format", "json", "--ephemeral-key")
	for _, id := range []string{demoHealthy, "i-0ff00000000000008", "mi-0c0ffee0000000001"} {
		collect("check", id, "--format", "json")
	}
	// bob may not use the SSH document: his fix is the user policy.
	bob := awssim.DemoScenario().AccessKeys["AKIADEMOBOB000000001"]
	t.Setenv("AWS_ACCESS_KEY_ID", bob.ID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", bob.Secret)
	collect("check", demoHealthy, "--format", "json", "--ephemeral-key")
	t.Setenv("AWS_ACCESS_KEY_ID", awssim.DemoAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awssim.DemoSecretKey)

	t.Logf("fix lines:\n%s", strings.Join(slices.Sorted(maps.Keys(fixes)), "\n"))
	var selectors, awsCLI []string
	for line, id := range fixes {
		cmd, _, _ := strings.Cut(line, "#")
		words := strings.Fields(cmd)
		switch {
		case words[0] == "ssmdoctor":
			if words[1] != "fix" {
				t.Errorf("%s: %q is not a fix command", id, line)
				continue
			}
			r := runInProcess(t, append(words[1:], "--dry-run")...)
			if r.code != exitOK || strings.Contains(r.stderr, "error:") {
				t.Errorf("%s: %q --dry-run: exit %d\nstdout %s\nstderr %s", id, line, r.code, r.stdout, r.stderr)
			}
			selectors = append(selectors, words[2])
		case words[0] == "aws":
			awsCLI = append(awsCLI, line)
		}
	}
	for _, want := range []string{"--ssh-config", "--user-policy", "--start", "--instance-role", "--vpc-endpoints", "--hybrid-tier"} {
		if !slices.Contains(selectors, want) {
			t.Errorf("no demo finding offered ssmdoctor fix %s; fixes seen:\n%s", want, strings.Join(slices.Sorted(maps.Keys(fixes)), "\n"))
		}
	}

	t.Run("aws-cli", func(t *testing.T) {
		if _, err := exec.LookPath("aws"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("the AWS CLI is required when CI=true")
			}
			t.Skip("the AWS CLI is not installed")
		}
		if len(awsCLI) == 0 {
			t.Fatal("the demo produced no AWS CLI fix line")
		}
		for _, line := range awsCLI {
			cmd, _, _ := strings.Cut(line, "#")
			words := strings.Fields(cmd)
			if slices.Contains([]string{"configure", "sso"}, words[1]) || strings.Contains(cmd, "file://") {
				continue // interactive, or needs a file the user writes
			}
			c := exec.Command(words[0], append(words[1:], "--endpoint-url", os.Getenv("AWS_ENDPOINT_URL"))...)
			c.Env = append(os.Environ(), "AWS_MAX_ATTEMPTS=1")
			var stderr bytes.Buffer
			c.Stderr = &stderr
			err := c.Run()
			for _, bad := range []string{"usage:", "Invalid choice", "Unknown options", "Parameter validation failed", "the following arguments are required"} {
				if strings.Contains(stderr.String(), bad) {
					t.Errorf("%q does not parse (%v): %s", line, err, stderr.String())
				}
			}
		}
	})
}

// --probe is wired from the command line to a real session: the healthy
// demo instance's port 22 is a real sshd.
func TestCheckProbeFlag(t *testing.T) {
	sshd := testsshd.Start(t, testsshd.Options{})
	demoInProcess(t, awssim.DemoAccessKey, func(st *awssim.State) {
		st.Instances[demoHealthy].Ports = map[string]string{"22": sshd.Addr}
	})
	c := outcome(t, reportChecks(t, runInProcess(t, "check", demoHealthy, "--probe", "--format", "json"))[0], "session-probe")
	if c.Status != "pass" || !strings.HasPrefix(c.Message, "sshd answered: SSH-2.0-OpenSSH_") {
		t.Fatalf("--probe: %+v", c)
	}
	c = outcome(t, reportChecks(t, runInProcess(t, "check", demoHealthy, "--format", "json"))[0], "session-probe")
	if c.Status != "skip" || c.Message != "run with --probe to open a real session" {
		t.Fatalf("without --probe: %+v", c)
	}
	if r := runInProcess(t, "check", demoHealthy, "--probe", "--probe-timeout", "0s"); r.code != exitUsage {
		t.Fatalf("--probe-timeout 0s: exit %d %s", r.code, r.stderr)
	}
}
