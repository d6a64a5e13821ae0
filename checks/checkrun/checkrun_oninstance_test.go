package checkrun

import (
	"io"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// TestRunFleetOnInstanceBatched: `check --all --on-instance` sends the
// script with one SendCommand per 50 instances, and every target's
// on-instance checks read their own instance's run.
func TestRunFleetOnInstanceBatched(t *testing.T) {
	const n = 60
	st := awssim.GenerateFleet(n, awssim.FleetMix{}, 11)
	for _, in := range st.Instances {
		in.OS = awssim.DefaultOS(in)
	}
	s := simtest.Start(t, st, awssim.Options{})
	clients := simtest.Clients(t, s, st, awssim.DemoAccessKey, awsapi.Options{MaxAttempts: 3})
	home := t.TempDir()
	o := Options{
		All:    true,
		Checks: checks.Options{Region: "us-east-1", OnInstance: true, OnInstanceWait: 20 * time.Second},
		Seam: Seam{
			LookupEnv:  func(string) (string, bool) { return "", false },
			PasswdHome: func() (string, error) { return home, nil },
		},
		Stderr: io.Discard,
	}
	out, err := Run(t.Context(), o, clients, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != n {
		t.Fatalf("%d targets, want %d", len(out), n)
	}
	if c := s.Calls("ssm.SendCommand"); c != 2 {
		t.Errorf("%d SendCommand calls for %d instances, want 2", c, n)
	}
	if c := s.Calls("ssm.GetCommandInvocation"); c != 0 {
		t.Errorf("%d GetCommandInvocation calls, want none (ListCommandInvocations polls)", c)
	}
	for _, tg := range out {
		seen := 0
		for _, c := range tg.Checks {
			switch c.ID {
			case "instance-sshd", "instance-os-user", "instance-disk":
				seen++
				if c.Result.Status != checks.StatusPass {
					t.Errorf("%s %s: %s %q", tg.InstanceID, c.ID, c.Result.Status, c.Result.Message)
				}
			}
		}
		if seen != 3 {
			t.Errorf("%s: %d of the 3 on-instance checks looked at ran", tg.InstanceID, seen)
		}
	}
}
