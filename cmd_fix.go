package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/checks/checkrun"
	"github.com/ssmdoctor/ssmdoctor/fix"
	"github.com/ssmdoctor/ssmdoctor/fix/fixrun"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// exitInterrupted ends a fix stopped by Ctrl-C or SIGTERM, as a shell
// reports a command killed by SIGINT (128+2).
const exitInterrupted = 130

func fixCommand() *cli.Command {
	return &cli.Command{
		Name:      "fix",
		Usage:     "repair what check found: show the change, confirm, apply, verify",
		ArgsUsage: "[TARGET]  (with no selector: run the checks and offer each available fix)",
		Description: "Every fix shows its change first (AWS calls with their parameters, files as a diff),\n" +
			"asks on the terminal (or needs --yes), applies, and re-runs the check that called for it.\n" +
			"Exit status: 0 done or already configured, 1 a check still fails afterwards, 2 usage or\n" +
			"confirmation needed, 3 the fix could not be applied, 130 interrupted (Ctrl-C).",
		Flags: append(globalFlags(),
			&cli.BoolFlag{Name: "ssh-config", Usage: "route ssh i-* and mi-* through Session Manager (~/.ssh/ssmdoctor.conf + Include)"},
			&cli.StringFlag{Name: "via", Usage: "ProxyCommand form for --ssh-config: native or aws-cli", Value: fix.ViaNative},
			&cli.StringFlag{Name: "instance-role", Usage: "give `TARGET` an IAM role for Systems Manager"},
			&cli.BoolFlag{Name: "replace", Usage: "with --instance-role: replace an existing instance profile"},
			&cli.StringFlag{Name: "role-name", Usage: "role --instance-role creates", Value: fix.DefaultRoleName},
			&cli.StringFlag{Name: "profile-name", Usage: "instance profile --instance-role creates", Value: fix.DefaultProfileName},
			&cli.BoolFlag{Name: "user-policy", Usage: "print the least-privilege IAM policy for SSH (and attach it with --attach)"},
			&cli.StringFlag{Name: "attach", Usage: "with --user-policy: put it inline on `user/NAME`, role/NAME or group/NAME"},
			&cli.StringSliceFlag{Name: "instances", Usage: "with --user-policy: allow only these instance `ARN`s"},
			&cli.StringFlag{Name: "tag", Usage: "with --user-policy: allow instances tagged `KEY=VALUE`"},
			&cli.StringFlag{Name: "os-user", Usage: "with --user-policy: allow pushing one-time keys for this OS user"},
			&cli.BoolFlag{Name: "dhmc", Usage: "turn on Default Host Management Configuration"},
			&cli.BoolFlag{Name: "hybrid-tier", Usage: "move the account to the advanced-instances tier (hybrid mi- nodes)"},
			&cli.StringFlag{Name: "vpc-endpoints", Usage: "give `TARGET` a private path to Systems Manager: interface endpoints, VPC DNS, 443 rules"},
			&cli.StringFlag{Name: "start", Usage: "start stopped `TARGET` and wait until it is Online"},
			&cli.StringFlag{Name: "close-ssh-port", Usage: "revoke the rules that admit SSH (TCP 22) to `TARGET` from the internet"},
			&cli.StringFlag{Name: "authorize-key", Usage: "add your public key to the OS user's authorized_keys on `TARGET` (Run Command)"},
			&cli.StringFlag{Name: "user", Usage: "with --authorize-key: the OS user (default ec2-user)"},
			&cli.StringFlag{Name: "key", Usage: "with --authorize-key: the public key `FILE` (default ~/.ssh/id_ed25519.pub, id_ecdsa.pub or id_rsa.pub)"},
			&cli.StringFlag{Name: "sshd-config", Usage: "with --authorize-key: sshd's config `PATH` on the instance (default /etc/ssh/sshd_config)"},
			&cli.StringFlag{Name: "install-eic", Usage: "install ec2-instance-connect on `TARGET` for one-time keys (Run Command)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show the changes and make none"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "apply without asking"},
			// Tests against the simulator wait in milliseconds, not seconds.
			&cli.DurationFlag{Name: "poll", Hidden: true, Value: 5 * time.Second},
		),
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageErr("run 'ssmdoctor fix --help' for usage", "fix: %v", err)
		},
		Action: runFix,
	}
}

// errPromptInterrupted ends a prompt whose context ended before an answer.
var errPromptInterrupted = errors.New("interrupted at the prompt")

func runFix(c *cli.Context) error {
	g, err := readGlobals(c)
	if err != nil {
		return err
	}
	d := depsOf(c)
	o, err := parseFixOptions(c, g)
	if err != nil {
		return err
	}
	if o.Selector == checks.FixAuthorizeKey {
		// The key is read before anything is asked of AWS.
		if _, err := fixrun.PublicKey(o.AuthorizeKey, d.passwdHome); err != nil {
			return usageErr("name the public key with --key FILE.pub, or make one: ssh-keygen -t ed25519", "fix: --authorize-key: %v", err)
		}
	}
	ctx, cancel := g.bound(c.Context)
	defer cancel()
	o.Seam = checkrun.Seam{LookupEnv: d.lookupEnv, PasswdHome: d.passwdHome}
	o.Stdout, o.Stderr = c.App.Writer, c.App.ErrWriter
	o.LoadAWS = func(ctx context.Context) (*awsapi.Clients, error) { return d.loadAWS(ctx, g.awsOptions(o.Stderr)) }
	o.Confirm = func(ctx context.Context, title string) (bool, error) { return confirmFix(ctx, d, o.Stderr, title) }
	r := fixrun.New(o)
	res, err := r.Run(ctx)
	err = fixError(err)
	// An interrupt (the command's own context, cancelled by SIGINT or
	// SIGTERM) ends the run with 130 whatever stage it reached: the
	// prompt, a call, a wait, the verification.
	if c.Context.Err() != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.code == exitUsage {
			return err
		}
		return fixError(r.Interrupted())
	}
	if errors.Is(err, errPromptInterrupted) {
		return internalErr("give --timeout more time, or answer sooner", fmt.Errorf("fix: --timeout ran out at the prompt: nothing was applied"))
	}
	if err != nil {
		return err
	}
	if res.Final != nil {
		rep := report.Report{Version: version, GeneratedAt: time.Now(), Targets: []report.Target{*res.Final}}
		if err := report.Write(o.Stdout, "human", rep, report.Options{Color: d.useColor(g.noColor)}); err != nil {
			return internalErr("", fmt.Errorf("fix: write report: %w", err))
		}
	}
	if res.Problems {
		return codeOnly(exitProblems)
	}
	return codeOnly(exitOK)
}

// fixError gives a fix run's error its exit code.
func fixError(err error) error {
	var fe *fixrun.Error
	if !errors.As(err, &fe) {
		return targetsError("fix", err)
	}
	code := map[fixrun.Kind]int{fixrun.Usage: exitUsage, fixrun.Problems: exitProblems, fixrun.Failed: exitInternal, fixrun.Interrupted: exitInterrupted}[fe.Kind]
	return &exitError{code: code, err: fe.Err, hint: fe.Hint}
}

// confirmFix asks on the terminal; without one, only --yes proceeds. The
// answer is awaited together with ctx: an interrupt (or --timeout) ends the
// prompt at once.
func confirmFix(ctx context.Context, d *deps, stderr io.Writer, title string) (bool, error) {
	if !d.stdinTerminal {
		return false, usageErr("re-run with --yes to apply, or --dry-run to only look", "fix: refusing to change anything without confirmation: stdin is not a terminal")
	}
	fmt.Fprintf(stderr, "apply %s? [y/N] ", title)
	line, err := d.readAnswer(ctx)
	if err != nil {
		if !errors.Is(err, errLateAnswer) {
			fmt.Fprintln(stderr)
		}
		return false, errPromptInterrupted
	}
	s := strings.ToLower(strings.TrimSpace(line))
	return s == "y" || s == "yes", nil
}

// parseFixOptions reads the fix flags into the run's options, refusing
// what is malformed or contradictory before anything is read or asked:
// each is a usage error (exit 2) naming the form expected.
func parseFixOptions(c *cli.Context, g globals) (fixrun.Options, error) {
	o := fixrun.Options{
		DryRun: c.Bool("dry-run"), Yes: c.Bool("yes"), Profile: g.profile, Region: g.region, Poll: c.Duration("poll"),
		Role:         fix.RoleOptions{RoleName: c.String("role-name"), ProfileName: c.String("profile-name"), Replace: c.Bool("replace")},
		UserPolicy:   fix.UserPolicyOptions{Attach: c.String("attach"), Instances: c.StringSlice("instances"), Tag: c.String("tag"), OSUser: c.String("os-user")},
		Via:          c.String("via"),
		AuthorizeKey: fixrun.AuthorizeKeyOptions{OSUser: c.String("user"), KeyFile: c.String("key"), SSHDConfig: c.String("sshd-config")},
	}
	if err := validateFixFlags(c); err != nil {
		return o, err
	}
	var chosen []string
	for _, s := range fixrun.Selectors {
		if c.IsSet(string(s.ID)) {
			chosen = append(chosen, string(s.ID))
		}
	}
	if len(chosen) > 1 {
		return o, usageErr("run one fix at a time, or 'ssmdoctor fix [TARGET]' to be offered each", "fix: choose one of --%s", strings.Join(chosen, ", --"))
	}
	if c.NArg() > 1 {
		return o, usageErr("fix one instance at a time: ssmdoctor fix [TARGET]", "fix: at most one TARGET, got %d", c.NArg())
	}
	if len(chosen) == 0 {
		o.Target = c.Args().First()
		return o, validateFixTarget(o.Target)
	}
	row, _ := fixrun.SelectorFor(checks.FixID(chosen[0]))
	sel := row.ID
	o.Selector = sel
	if sel != checks.FixAuthorizeKey {
		for _, f := range []string{"user", "key", "sshd-config"} {
			if c.IsSet(f) {
				return o, usageErr("--"+f+" goes with --authorize-key", "fix: --%s is only for --authorize-key", f)
			}
		}
	}
	switch {
	case row.Target == fixrun.TargetNone && c.NArg() > 0:
		return o, usageErr("run 'ssmdoctor fix --ssh-config' alone: the ssh config serves every instance", "fix: --ssh-config takes no TARGET, got %s", quoteShort(c.Args().First()))
	case row.Target == fixrun.TargetNone:
		// it serves every instance; verified against a sample one
	case row.Target == fixrun.TargetOptional:
		o.Target = c.Args().First() // optional: the instance to verify against
	case c.NArg() > 0:
		return o, usageErr("the form is: ssmdoctor fix --"+string(sel)+" TARGET", "fix: --%s names its target; extra argument %s", sel, quoteShort(c.Args().First()))
	default:
		o.Target = c.String(string(sel))
	}
	return o, validateFixTarget(o.Target)
}

func validateFixTarget(target string) error {
	if target == "" {
		return nil
	}
	if err := awsfacts.ValidateTarget(target); err != nil {
		return usageErr(targetHint, "fix: %v", err)
	}
	return nil
}

// IAM's rules for names (CreateRole, CreateInstanceProfile) and the
// instance ARNs --instances may name: an EC2 instance or a managed (hybrid)
// instance, with the * and ? wildcards IAM allows in a resource.
var (
	roleNameRE    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	profileNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	instanceArnRE = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-[a-z]|\*):` +
		`(ec2:[a-z0-9*?-]+:([0-9]{12}|[0-9*?]+):instance/[a-z0-9*?-]+|ssm:[a-z0-9*?-]+:([0-9]{12}|[0-9*?]+):managed-instance/[a-z0-9*?-]+)$`)
	tagRE = regexp.MustCompile(`^[^=]+=`)
)

// validateFixFlags refuses malformed values of the fix flags.
func validateFixFlags(c *cli.Context) error {
	if c.IsSet("attach") {
		if v := c.String("attach"); !fix.ValidAttach(v) {
			return usageErr("the form is --attach user/NAME, role/NAME or group/NAME", "fix: malformed --attach %s", sshconfig.Shorten(v))
		}
	}
	if c.IsSet("tag") {
		if v := c.String("tag"); !tagRE.MatchString(v) || len(v) > 512 {
			return usageErr("the form is --tag KEY=VALUE", "fix: malformed --tag %s", sshconfig.Shorten(v))
		}
	}
	if len(c.StringSlice("instances")) > 0 && c.IsSet("tag") {
		return usageErr("give --instances or --tag, not both", "fix: --instances and --tag are mutually exclusive")
	}
	for _, a := range c.StringSlice("instances") {
		if !instanceArnRE.MatchString(a) {
			return usageErr("an instance ARN is arn:aws:ec2:REGION:ACCOUNT:instance/i-... or arn:aws:ssm:REGION:ACCOUNT:managed-instance/mi-... (* and ? allowed)",
				"fix: --instances %s is not an EC2 instance or managed-instance ARN", sshconfig.Shorten(a))
		}
	}
	if c.IsSet("user") && (len(c.String("user")) > 32 || !osUserRE.MatchString(c.String("user"))) {
		return usageErr("an OS user name: a letter or _, then letters, digits, . _ -, at most 32 characters", "fix: malformed --user %s", quoteShort(c.String("user")))
	}
	if v := c.String("sshd-config"); c.IsSet("sshd-config") && (!strings.HasPrefix(v, "/") || strings.ContainsAny(v, "\x00\r\n") || len(v) > 1024) {
		return usageErr("an absolute path on the instance, such as /etc/ssh/sshd_config", "fix: malformed --sshd-config %s", quoteShort(v))
	}
	if c.IsSet("role-name") && !roleNameRE.MatchString(c.String("role-name")) {
		return usageErr("a role name is 1-64 letters, digits and + = , . @ _ -", "fix: --role-name %s is not a valid IAM role name", sshconfig.Shorten(c.String("role-name")))
	}
	if c.IsSet("profile-name") && !profileNameRE.MatchString(c.String("profile-name")) {
		return usageErr("an instance profile name is 1-128 letters, digits and + = , . @ _ -", "fix: --profile-name %s is not a valid IAM instance profile name", sshconfig.Shorten(c.String("profile-name")))
	}
	return nil
}
