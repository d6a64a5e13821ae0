package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// checkCommand: placeholder until its owner lands the command.
func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "(not available yet)",
		Flags: globalFlags(),
		Action: func(c *cli.Context) error {
			return internalErr("", fmt.Errorf("check: not available yet"))
		},
	}
}
