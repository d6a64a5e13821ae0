package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// scpCommand: placeholder until its owner lands the command.
func scpCommand() *cli.Command {
	return &cli.Command{
		Name:  "scp",
		Usage: "(not available yet)",
		Flags: globalFlags(),
		Action: func(c *cli.Context) error {
			return internalErr("", fmt.Errorf("scp: not available yet"))
		},
	}
}
