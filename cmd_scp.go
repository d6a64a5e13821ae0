package main

import (
	"github.com/urfave/cli/v2"
)

// scpCommand runs the system scp through this binary's proxy, with the
// same target resolution, preflight and one-time key as ssh.
func scpCommand() *cli.Command {
	return &cli.Command{
		Name:            "scp",
		Usage:           "copy files to or from an instance through Session Manager",
		ArgsUsage:       "[--profile P] [--region R] [--ephemeral-key] [scp options] SOURCE... TARGET   (remote: [user@]TARGET:path)",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			p, err := parseSCPArgs(c.Args().Slice())
			if err != nil {
				return err
			}
			if p.ours.help {
				return printHelp(c.App.Writer, scpHelp)
			}
			if err := p.ours.mergeGlobals(c); err != nil {
				return err
			}
			r := p.remotes[0]
			t, err := prepareTarget(c, p.ours, r.host)
			if err != nil {
				return err
			}
			osUser := r.user
			if osUser == "" {
				osUser = defaultUser(t.platform)
			}
			args, release, err := t.openSSHOptions(c, p.ours, p.identity, osUser)
			if err != nil {
				return err
			}
			defer release()
			args = append(args, p.opts...)
			args = append(args, "--")
			operands := append([]string(nil), p.operands...)
			for _, rm := range p.remotes {
				u := rm.user
				if u == "" {
					u = osUser
				}
				operands[rm.index] = u + "@" + t.id + ":" + rm.path
			}
			return runOpenSSH(c, "scp", append(args, operands...))
		},
	}
}
