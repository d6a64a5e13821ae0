package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// sshCommand: placeholder until its owner lands the command.
func sshCommand() *cli.Command {
	return &cli.Command{
		Name:  "ssh",
		Usage: "(not available yet)",
		Flags: globalFlags(),
		Action: func(c *cli.Context) error {
			return internalErr("", fmt.Errorf("ssh: not available yet"))
		},
	}
}
