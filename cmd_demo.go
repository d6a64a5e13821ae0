package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/fix/fixrun"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// demoUsers are the demo scenario's callers, in the order the demo shows
// them, with what makes each one interesting.
var demoUsers = []struct{ name, about string }{
	{"alice", "may do everything SSH through Session Manager needs"},
	{"bob", "may start sessions on instances but not with the AWS-StartSSHSession document"},
	{"carol", "has an explicit Deny on ssm:StartSession"},
	{"dave", "may not call iam:SimulatePrincipalPolicy (the doctor evaluates his policies offline)"},
}

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run check on a built-in simulated AWS account that has one instance per kind of problem",
		Description: "Starts the simulator in-process (no AWS account is touched), checks the whole demo fleet\n" +
			"as a user who may do everything, then checks the healthy instance as each of the\n" +
			"differently-permissioned demo users. The local checks look at this machine for real.",
		ArgsUsage: " ",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "format", Usage: "output format of each check run (human, json, junit, github)", Value: "human"},
		),
		Action: runDemo,
	}
}

func runDemo(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("ssmdoctor demo [--format FORMAT]", "demo takes no arguments (got %s)", quoteShort(c.Args().First()))
	}
	st := awssim.DemoScenario()
	// Your key is on the demo's instances, as if you had launched them
	// with it; except on the one that shows someone else's key only.
	key, keyErr := fixrun.PublicKey(fixrun.AuthorizeKeyOptions{}, depsOf(c).passwdHome)
	if keyErr == nil {
		for id, inst := range st.Instances {
			if !strings.HasPrefix(id, "i-") || awssim.TagValue(inst.Tags, "Scenario") == "key-not-authorized" {
				continue
			}
			awssim.AuthorizeKey(inst, "ec2-user", key.Line)
			awssim.AuthorizeKey(inst, "ubuntu", key.Line)
		}
	}
	sim, err := awssim.New(st, awssim.Options{})
	if err != nil {
		return internalErr("", fmt.Errorf("demo: load the demo scenario: %w", err))
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return internalErr("", fmt.Errorf("demo: start the simulator: %w", err))
	}
	defer sim.Close()

	var healthy, account, region string
	var legend []string
	sim.WithState(func(st *awssim.State) {
		account, region = st.AccountID, st.DefaultRegion
		ids := make([]string, 0, len(st.Instances))
		for id := range st.Instances {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			var name, about string
			for _, tag := range st.Instances[id].Tags {
				switch tag.Key {
				case "Scenario":
					if tag.Value == "healthy" && healthy == "" {
						healthy = id
					}
				case "Name":
					name = tag.Value
				case "Description":
					about = tag.Value
				}
			}
			legend = append(legend, fmt.Sprintf("  %-21s %-24s %s", id, name, about))
		}
	})
	if healthy == "" {
		return internalErr("", fmt.Errorf("demo: the demo scenario has no instance tagged Scenario=healthy"))
	}

	out := c.App.Writer
	format := c.String("format")
	human := format == "human"
	if human {
		fmt.Fprintf(out, "ssmdoctor demo: a simulated account %s in %s on %s.\nNothing here touches AWS; the local checks look at this machine.\n", account, region, sim.URL())
		fmt.Fprintf(out, "\nIts instances, one per kind of problem:\n%s\n", strings.Join(legend, "\n"))
	}
	section := func(title string) {
		if human {
			fmt.Fprintf(out, "\n%s\n%s\n\n", title, strings.Repeat("=", len([]rune(title))))
		}
	}
	runAs := func(user string, args ...string) error {
		world, err := demoWorld(depsOf(c), sim, user)
		if err != nil {
			return internalErr("", fmt.Errorf("demo: %w", err))
		}
		// Flags first: urfave/cli stops at the first positional argument.
		argv := []string{"ssmdoctor", "check", "--format", format}
		if c.Bool("no-color") {
			argv = append(argv, "--no-color")
		}
		argv = append(argv, args...)
		code := runWith(c.Context, argv, world)
		if code == exitUsage || code == exitInternal {
			return codeOnly(code)
		}
		return nil
	}

	section(fmt.Sprintf("1. The whole fleet, as alice (%s): ssmdoctor check --all", demoUsers[0].about))
	if err := runAs("alice", "--all"); err != nil {
		return err
	}
	for i, u := range demoUsers[1:] {
		section(fmt.Sprintf("%d. The healthy instance, as %s (%s): ssmdoctor check %s", i+2, u.name, u.about, healthy))
		if err := runAs(u.name, healthy); err != nil {
			return err
		}
	}
	inside := []string{healthy}
	sim.WithState(func(st *awssim.State) {
		for _, scen := range []string{"sshd-stopped", "os-user-missing", "key-not-authorized"} {
			for id, inst := range st.Instances {
				if awssim.TagValue(inst.Tags, "Scenario") == scen {
					inside = append(inside, id)
				}
			}
		}
	})
	n := len(demoUsers) + 1
	section(fmt.Sprintf("%d. Inside the instances, as alice: ssmdoctor check --on-instance %s", n, strings.Join(inside, " ")))
	if human && keyErr != nil {
		fmt.Fprintf(out, "(you have no ~/.ssh/id_ed25519.pub, id_ecdsa.pub or id_rsa.pub: no instance holds your key)\n\n")
	}
	if err := runAs("alice", append([]string{"--on-instance"}, inside...)...); err != nil {
		return err
	}
	eic := []string{healthy}
	sim.WithState(func(st *awssim.State) {
		for id, inst := range st.Instances {
			if awssim.TagValue(inst.Tags, "Scenario") == "eic-absent" {
				eic = append(eic, id)
			}
		}
	})
	section(fmt.Sprintf("%d. One-time keys, inside, as alice: ssmdoctor check --on-instance --ephemeral-key %s", n+1, strings.Join(eic, " ")))
	if err := runAs("alice", append([]string{"--on-instance", "--ephemeral-key"}, eic...)...); err != nil {
		return err
	}
	if human {
		fmt.Fprintf(out, "\nTry it yourself (the simulator serves until you stop it with kill %%1):\n%s", tryItYourself(region, healthy))
	}
	return nil
}

// tryItYourself is the shell that starts the simulator and checks target
// with it, one indented line each. It sources the environment only once the
// simulator has written it whole (and never if the simulator did not
// start), so nothing can reach real AWS in between.
func tryItYourself(region, target string) string {
	return "  rm -f sim.env; ssmdoctor sim --env-file sim.env &\n" +
		"  until [ -s sim.env ] || ! kill -0 $! 2>/dev/null; do sleep 0.1; done\n" +
		"  . ./sim.env && ssmdoctor check --region " + region + " " + target + "\n"
}

// demoWorld is the world check runs in for the demo: this process's
// streams and terminal, the simulator's clients for user (read from
// nothing the user's shell holds), and an environment that is the
// simulator's for every AWS_ variable. The process's own environment is
// never changed.
func demoWorld(base *deps, sim *awssim.Sim, user string) (*deps, error) {
	env, err := simEnvironment(sim, user)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	for _, kv := range env {
		vars[kv[0]] = kv[1]
	}
	creds := aws.Credentials{AccessKeyID: vars["AWS_ACCESS_KEY_ID"], SecretAccessKey: vars["AWS_SECRET_ACCESS_KEY"],
		Source: "EnvConfigCredentials"} // what the demo's environment holds, as the SDK would name it
	region := vars["AWS_REGION"]
	d := *base
	d.lookupEnv = func(k string) (string, bool) {
		if v, ok := vars[k]; ok {
			return v, true
		}
		if strings.HasPrefix(k, "AWS_") {
			return "", false // the user's AWS settings are not the demo's
		}
		return base.lookupEnv(k)
	}
	d.loadAWS = func(ctx context.Context, o awsapi.Options) (*awsapi.Clients, error) {
		o.Isolated, o.Profile, o.Region, o.Endpoint = true, "", region, sim.URL()
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
		return awsapi.Load(ctx, o)
	}
	return &d, nil
}
