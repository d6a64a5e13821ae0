package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/golden"
)

// TestFixPlansGolden pins every fix's plan, as --dry-run prints it, on
// the demo account for an instance each fix is for: the principal line,
// each AWS call with its parameters, each file diff. A changed plan is a
// reviewed change of its golden file.
func TestFixPlansGolden(t *testing.T) {
	cases := map[checks.FixID][]string{
		checks.FixSSHConfig:    {"--ssh-config"},
		checks.FixInstanceRole: {"--instance-role", "i-0bad0000000000003"},
		checks.FixUserPolicy:   {"--user-policy", "--attach", "user/bob"},
		checks.FixDHMC:         {"--dhmc"},
		checks.FixHybridTier:   {"--hybrid-tier"},
		checks.FixVPCEndpoints: {"--vpc-endpoints", "i-0bad0000000000007"},
		checks.FixStart:        {"--start", "i-0ff00000000000008"},
		checks.FixCloseSSHPort: {"--close-ssh-port", "demo-ssh-open"},
	}
	for _, id := range checks.FixIDs() {
		args, ok := cases[id]
		if !ok {
			t.Errorf("no golden plan for fix %s", id)
			continue
		}
		t.Run(string(id), func(t *testing.T) {
			sim := demoInProcess(t, awssim.DemoAccessKey, func(st *awssim.State) {
				if id == checks.FixDHMC { // the demo has it on: plan turning it on
					for _, settings := range st.ServiceSettings {
						delete(settings, "/ssm/managed-instance/default-ec2-instance-management-role")
					}
				}
			})
			home := os.Getenv("HOME")
			setPasswdHome(t, home)
			if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte("Host web\n  User alice\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			before := sim.MutatingCalls()
			r := runInProcess(t, append(append([]string{"fix"}, args...), "--dry-run")...)
			if r.code != exitOK || sim.MutatingCalls() != before {
				t.Fatalf("fix %q --dry-run: exit %d, %d mutating calls\n%s\n%s", args, r.code, sim.MutatingCalls()-before, r.stdout, r.stderr)
			}
			out := strings.ReplaceAll(r.stdout, home, "$HOME")
			if exe, err := os.Executable(); err == nil {
				out = strings.ReplaceAll(out, exe, "/path/to/ssmdoctor")
			}
			golden.Assert(t, "golden/fix-plan-"+string(id)+".txt", []byte(out))
		})
	}
}
