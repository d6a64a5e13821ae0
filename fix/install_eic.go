package fix

import (
	"context"
	"fmt"

	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
)

// PlanInstallEIC installs the ec2-instance-connect package on the
// instance through Run Command (dnf, yum or apt-get), whose
// AuthorizedKeysCommand lets sshd accept one-time keys; nothing when the
// package is there and wired into sshd.
func PlanInstallEIC(ctx context.Context, a *AWS, instanceID string, dryRun bool) (*Plan, error) {
	p := &Plan{Title: "install EC2 Instance Connect on " + instanceID}
	if dryRun {
		if err := a.linuxNode(ctx, instanceID); err != nil {
			return nil, err
		}
		p.Notes = append(p.Notes, "--dry-run sends nothing, not even the read-only look: the script does nothing when the package is there")
		return p, installStep(a, p, instanceID)
	}
	rep, err := a.look(ctx, instanceID, "root", "")
	if err != nil {
		return nil, err
	}
	installed := rep.EICCommand != "" && rep.EICCommand != "none"
	if installed && rep.EICWired() {
		p.Already = "ec2-instance-connect is installed and sshd runs " + rep.KeysCommand()
		return p, nil
	}
	if installed {
		return nil, refuse("restore AuthorizedKeysCommand (and AuthorizedKeysCommandUser ec2-instance-connect) in "+rep.Config+", or reinstall the package",
			"ec2-instance-connect is installed, but sshd's AuthorizedKeysCommand is %q", rep.KeysCommand())
	}
	return p, installStep(a, p, instanceID)
}

func installStep(a *AWS, p *Plan, instanceID string) error {
	p.Notes = append(p.Notes, "installs a package from the distribution's repositories: the instance must reach them (a NAT gateway, or a repository mirror)")
	p.Steps = append(p.Steps, sendCommandCall(a, instanceID, "ssmdoctor's install-eic script (dnf, yum or apt-get install ec2-instance-connect)",
		"the package wires its AuthorizedKeysCommand into sshd", oninstance.InstallEICCommands(),
		func(out string) error {
			switch r := scriptResult(out); r {
			case "installed", "present":
				return nil
			default:
				return fmt.Errorf("the script did not finish (result %q)", r)
			}
		}))
	return nil
}
