package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// The ssh preflight quotes what Systems Manager says about the agent; an
// answer with control characters is printed escaped.
func TestSSHPreflightEscapesAWSText(t *testing.T) {
	st := awssim.DemoScenario()
	st.Instances["i-0bad0000000000006"].Agent.PingStatus = "Lost\r\x1b[2J" // demo-connection-lost
	sim := simtest.Start(t, st, awssim.Options{Logf: t.Logf})
	env, err := simEnvironment(sim, "demo-admin")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "none"))
	for _, kv := range env {
		t.Setenv(kv[0], kv[1])
	}
	os.Unsetenv("AWS_PROFILE")
	code, _, stderr := runFleet(t, "ssh", "i-0bad0000000000006", "true")
	if code != exitProblems || !strings.Contains(stderr, `✗ instance is a managed node and Online: Lost\r\x1b[2J (last ping`) || strings.ContainsAny(stderr, "\r\x1b") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
