package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

func simCommand() *cli.Command {
	return &cli.Command{
		Name:  "sim",
		Usage: "run the simulated AWS account on loopback and print the environment that points SDKs and the AWS CLI at it",
		Description: "Serves EC2, IAM, STS, SSM (with the Session Manager data channel), EC2 Instance Connect and KMS\n" +
			"on one loopback port until interrupted. The printed credentials are the simulator's own.\n\n" +
			"  ssmdoctor sim > sim.env &      # serves until stopped; the exports land in sim.env\n" +
			"  . ./sim.env                    # point this shell at it\n" +
			"  aws ec2 describe-instances     # the AWS CLI (or any SDK) now talks to the simulator",
		ArgsUsage: " ",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "scenario", Usage: "scenario file (JSON); default: the built-in demo scenario"},
			&cli.StringFlag{Name: "listen", Usage: "address to listen on", Value: "127.0.0.1:0"},
			&cli.StringFlag{Name: "as", Usage: "IAM user whose access key the printed environment uses", Value: "demo-admin"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr("ssmdoctor sim [--scenario FILE] [--listen ADDR] [--as USER]", "sim takes no arguments (got %q)", c.Args().First())
			}
			st := awssim.DemoScenario()
			if p := c.String("scenario"); p != "" {
				var err error
				if st, err = awssim.LoadScenario(p); err != nil {
					return usageErr("check the file against internal/awssim/testdata/demo.json", "%v", err)
				}
			}
			sim, err := awssim.New(st, awssim.Options{})
			if err != nil {
				return usageErr("check the scenario file", "%v", err)
			}
			if err := sim.Start(c.String("listen")); err != nil {
				return internalErr("choose another --listen address", err)
			}
			defer sim.Close()
			env, err := simEnvironment(sim, c.String("as"))
			if err != nil {
				return usageErr("pass --as with a user that has an access key in the scenario", "%v", err)
			}
			writeExports(c.App.Writer, env)
			fmt.Fprintf(c.App.ErrWriter, "simulator listening on %s (Ctrl-C to stop)\n", sim.URL())
			<-c.Context.Done()
			fmt.Fprintln(c.App.ErrWriter, "simulator stopped")
			return nil
		},
	}
}

// simEnvironment is the environment that points the SDKs and the AWS CLI
// at sim with the access key of user.
func simEnvironment(sim *awssim.Sim, user string) ([][2]string, error) {
	var keyID, secret, region string
	var users []string
	sim.WithState(func(st *awssim.State) {
		region = st.DefaultRegion
		ids := make([]string, 0, len(st.AccessKeys))
		for id := range st.AccessKeys {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			k := st.AccessKeys[id]
			if k.UserName == "" || k.SessionToken != "" {
				continue
			}
			users = append(users, k.UserName)
			if k.UserName == user && keyID == "" {
				keyID, secret = k.ID, k.Secret
			}
		}
	})
	if keyID == "" {
		return nil, fmt.Errorf("no access key for user %q in the scenario (users with keys: %s)", user, strings.Join(users, ", "))
	}
	url := sim.URL()
	env := [][2]string{
		{"AWS_ENDPOINT_URL", url},
		{"AWS_ACCESS_KEY_ID", keyID},
		{"AWS_SECRET_ACCESS_KEY", secret},
		{"AWS_REGION", region},
		{"AWS_DEFAULT_REGION", region},
		{"AWS_EC2_METADATA_DISABLED", "true"},
	}
	for _, svc := range []string{"EC2", "IAM", "STS", "SSM", "EC2_INSTANCE_CONNECT", "KMS"} {
		env = append(env, [2]string{"AWS_ENDPOINT_URL_" + svc, url})
	}
	return env, nil
}

func writeExports(w io.Writer, env [][2]string) {
	for _, kv := range env {
		fmt.Fprintf(w, "export %s=%s\n", kv[0], kv[1])
	}
}
