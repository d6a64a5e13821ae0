package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// demoCommand: placeholder until its owner lands the command.
func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "(not available yet)",
		Flags: globalFlags(),
		Action: func(c *cli.Context) error {
			return internalErr("", fmt.Errorf("demo: not available yet"))
		},
	}
}
