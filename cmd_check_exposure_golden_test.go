package main

import (
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/golden"
)

// newCheckTitles are the titles of the exposure and session checks of the
// exposure layer, whose report lines the golden files hold.
var newCheckTitles = []string{
	"no security group admits SSH (TCP 22) from the internet",
	"no long-lived EC2 key pair where one-time keys work",
	"Session Manager preferences (KMS, RunAs)",
	"sessions are logged (S3 or CloudWatch) with encryption enforced",
	"sessions end when idle and after a maximum duration",
}

// checkLines keeps the report lines of the checks titled titles, with
// their detail lines.
func checkLines(report string, titles []string) string {
	var out []string
	keep := false
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line, "      ") {
			if keep {
				out = append(out, line)
			}
			continue
		}
		keep = false
		for _, t := range titles {
			if strings.HasPrefix(line, "  ") && strings.Contains(line, " "+t+": ") {
				keep = true
				out = append(out, line)
			}
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// TestCheckExposureLinesGolden: the human report lines of the new checks,
// --verbose (every detail), on the demo's ssh-open and key-pair instances,
// and on the healthy one in an account whose session preferences log
// without encryption and set no maximum duration; with --on-instance, the
// key-pair instance's key pair still in ec2-user's authorized_keys.
func TestCheckExposureLinesGolden(t *testing.T) {
	for _, c := range []struct {
		golden, target string
		mutate         func(*awssim.State)
		onInstance     bool
	}{
		{"check-exposure-ssh-open.txt", "demo-ssh-open", nil, false},
		{"check-exposure-key-pair.txt", "demo-key-pair", nil, false},
		{"check-session-logging-unencrypted.txt", "demo-healthy", func(st *awssim.State) {
			st.SessionPreferences = awssim.SessionPreferences{S3BucketName: "logs", IdleSessionTimeout: "15"}
		}, false},
		{"check-exposure-key-pair-oninstance.txt", "demo-key-pair", nil, true},
	} {
		t.Run(c.golden, func(t *testing.T) {
			demoInProcess(t, awssim.DemoAccessKey, c.mutate)
			args := []string{"check", c.target, "--verbose", "--no-color", "--skip", "ssh-config", "--skip", "ssh-identity"}
			if c.onInstance {
				args = append(args, "--on-instance", "--skip", "instance-authorized-keys")
			}
			r := runInProcess(t, args...)
			if r.code != exitOK {
				t.Fatalf("check %s: exit %d\n%s\n%s", c.target, r.code, r.stdout, r.stderr)
			}
			golden.Assert(t, "golden/"+c.golden, []byte(checkLines(r.stdout, newCheckTitles)))
		})
	}
}
