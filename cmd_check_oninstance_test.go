package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
	"github.com/ssmdoctor/ssmdoctor/internal/oninstance/script"
)

// check --on-instance-script prints the script and nothing else; those
// very bytes are what the simulator's agent runs, and one byte more makes
// it refuse.
func TestCheckOnInstanceScript(t *testing.T) {
	r := runInProcess(t, "check", "--on-instance-script")
	if r.code != exitOK || r.stderr != "" || r.stdout != string(script.OnInstance()) {
		t.Fatalf("exit %d, stderr %q, stdout %d bytes (want the %d of the script)", r.code, r.stderr, len(r.stdout), len(script.OnInstance()))
	}
	if !strings.HasPrefix(r.stdout, "#!/bin/sh\n") {
		t.Fatalf("not a sh script: %.40q", r.stdout)
	}
	st := awssim.DemoScenario()
	sim := simtest.Start(t, st, awssim.Options{})
	c := simtest.Clients(t, sim, st, awssim.DemoAccessKey, awsapi.Options{})
	for _, tc := range []struct {
		body   string
		status string
	}{
		{r.stdout, "Success"},
		{r.stdout + "\n", "Failed"},
	} {
		run, err := awsfacts.RunShellScript(context.Background(), c.SSM, "i-0a11600d000000001",
			oninstance.Commands([]byte(tc.body), "ec2-user", "22"), 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != tc.status {
			t.Fatalf("script of %d bytes: %s (%s), want %s", len(tc.body), run.Status, run.Stderr, tc.status)
		}
	}
}
