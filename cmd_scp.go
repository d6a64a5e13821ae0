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
			if p.ours.profile == "" {
				p.ours.profile = c.String("profile")
			}
			if p.ours.region == "" {
				p.ours.region = c.String("region")
			}
			p.ours.verbose = p.ours.verbose || c.Bool("verbose")
			if p.ours.timeout == 0 {
				p.ours.timeout = c.Duration("timeout")
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
			args := []string{"-o", "ProxyCommand=" + t.proxy, "-o", "HostKeyAlias=" + t.id}
			if p.ours.ephemeral || (!p.identity && !userHasKey()) {
				key, err := t.oneTimeKey(c, osUser)
				if err != nil {
					return err
				}
				defer key.Close()
				args = append(args, key.sshOptions()...)
			}
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
