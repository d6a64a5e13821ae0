package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func simCommand() *cli.Command {
	return &cli.Command{
		Name:      "sim",
		Usage:     "run the simulated AWS account on loopback and print the environment that points SDKs and the AWS CLI at it",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "scenario", Usage: "scenario file (JSON); default: the built-in demo scenario"},
			&cli.StringFlag{Name: "listen", Usage: "address to listen on", Value: "127.0.0.1:0"},
		},
		Action: func(c *cli.Context) error {
			return internalErr("the simulator is being built (issue: internal/awssim)", fmt.Errorf("sim: not available yet"))
		},
	}
}
