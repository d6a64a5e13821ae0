package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// proxyCommand: placeholder until its owner lands the command.
func proxyCommand() *cli.Command {
	return &cli.Command{
		Name:  "proxy",
		Usage: "(not available yet)",
		Flags: globalFlags(),
		Action: func(c *cli.Context) error {
			return internalErr("", fmt.Errorf("proxy: not available yet"))
		},
	}
}
