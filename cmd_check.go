package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "diagnose every layer between you and an instance's sshd",
		ArgsUsage: "[TARGET...]  (instance id i-…/mi-…, Name tag, private IP or private DNS name)",
		Description: "Without a target only the local and caller checks run. Exit status: 0 nothing failed,\n" +
			"1 a check failed (or, with --strict, warned or could not be determined), 2 usage error,\n" +
			"3 ssmdoctor itself failed.",
		Flags: append(globalFlags(),
			&cli.BoolFlag{Name: "all", Usage: "check every instance in the region"},
			&cli.StringSliceFlag{Name: "filter", Usage: "select instances by tag: tag:KEY=VALUE (repeatable)"},
			&cli.StringFlag{Name: "user", Usage: "OS user to log in as"},
			&cli.IntFlag{Name: "port", Usage: "sshd port on the instance", Value: 22},
			&cli.BoolFlag{Name: "probe", Usage: "open a real session and read the SSH banner"},
			&cli.DurationFlag{Name: "probe-timeout", Usage: "with --probe: how long to wait from StartSession to the SSH banner", Value: 10 * time.Second},
			&cli.BoolFlag{Name: "ephemeral-key", Usage: "you connect with one-time keys (as ssmdoctor ssh --ephemeral-key): check ec2-instance-connect:SendSSHPublicKey for --user"},
			&cli.StringFlag{Name: "format", Usage: "output format: " + strings.Join(report.Formats(), ", "), Value: "human"},
			&cli.StringFlag{Name: "output", Usage: "write results to `FILE` instead of stdout"},
			&cli.BoolFlag{Name: "strict", Usage: "warnings and undetermined checks also fail"},
			&cli.StringSliceFlag{Name: "skip", Usage: "skip the check with this `ID` (repeatable)"},
			&cli.BoolFlag{Name: "list-checks", Usage: "list every check and exit"},
			// For golden files and CI diffs: no timestamps or durations.
			&cli.BoolFlag{Name: "deterministic", Hidden: true},
			&cli.StringFlag{Name: "ssh-config", Usage: "check this ssh client config `FILE` (as ssh -F) instead of ~/.ssh/config"},
		),
		// Without this urfave/cli prints the whole help to stdout on a bad
		// flag; one error line and a hint on stderr is enough.
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageErr("run 'ssmdoctor check --help' for usage", "check: %v", err)
		},
		Action: runCheck,
	}
}

// checkOptions is the parsed command line; newCheckEnv turns it into
// dependencies, so tests can swap those without a command line.
type checkOptions struct {
	targets       []string
	filters       []string
	all           bool
	opts          checks.Options
	format        string
	output        string
	strict        bool
	skip          []string
	listChecks    bool
	sshConfig     string
	deterministic bool
	noColor       bool
	verbose       bool
	timeout       time.Duration
}

func runCheck(c *cli.Context) error {
	o, err := parseCheckOptions(c)
	if err != nil {
		return err
	}
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	if o.listChecks {
		return listChecks(stdout)
	}
	ctx := c.Context
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}

	base := &checks.Env{Options: o.opts, Local: checks.NewLocalEnv()}
	ao := awsapi.Options{Profile: o.opts.Profile, Region: o.opts.Region, ConnectTimeout: connectTimeout(c)}
	if o.verbose {
		ao.LogTo = stderr
	}
	clients, loadErr := awsapi.Load(ctx, ao)
	if loadErr == nil {
		base.AWS = checks.NewAWSEnv(clients)
		base.Sessions = checks.NewSessionOpener(clients.SSM, clients.KMS)
		base.Sessions.ConnectTimeout = ao.ConnectTimeout
	}
	base.Local.Credentials = credentialsProbe(o.opts.Profile, clients, loadErr)
	base.Local.SSHConfigFile = o.sshConfig

	targets, err := resolveTargets(ctx, "check", base, o)
	if err != nil {
		return err
	}
	if (o.all || len(o.filters) > 0) && base.AWS != nil {
		// Batched reads for the whole fleet, so the per-instance checks
		// make no further calls. A failure here is not fatal: each check
		// then asks for itself and reports what it could not read.
		if err := checks.PrefetchFleet(ctx, base, targets); err != nil && o.verbose {
			fmt.Fprintf(stderr, "prefetch: %v (checks will ask one by one)\n", err)
		}
	}

	progress := report.IsTerminal(stderr) || o.verbose
	rep := report.Report{Version: version, GeneratedAt: time.Now(), Targets: make([]report.Target, len(targets))}
	var mu sync.Mutex // serialises progress lines
	var wg sync.WaitGroup
	sem := make(chan struct{}, targetConcurrency)
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rep.Targets[i] = checkTarget(ctx, base, t, o, func(label string, n, total int, out checks.Outcome) {
				if progress {
					mu.Lock()
					fmt.Fprintf(stderr, "[%s %d/%d] %s: %s\n", label, n, total, out.ID, out.Result.Status)
					mu.Unlock()
				}
			})
		}()
	}
	wg.Wait()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
		return internalErr("", fmt.Errorf("check: interrupted"))
	}

	if err := writeReport(stdout, o, rep); err != nil {
		return internalErr("", err)
	}
	// The report shows what finished; a run cut short is not a clean bill.
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return internalErr("raise --timeout, or leave it at 0 for no overall limit",
			fmt.Errorf("check: --timeout %s ran out before every check finished", o.timeout))
	}
	return codeOnly(checkExitCode(rep.Summarize(), o.strict))
}

// targetConcurrency bounds how many targets of a fleet are checked at once;
// each runs its own checks with the runner's bound inside.
const targetConcurrency = 8

func checkTarget(ctx context.Context, base *checks.Env, t *checks.Target, o checkOptions, progress func(string, int, int, checks.Outcome)) report.Target {
	env := *base
	env.Target = t
	list := checks.ForTarget(checks.All(), t != nil)
	label := "local"
	if t != nil {
		label = t.Input
	}
	var n int
	outs := checks.Run(ctx, &env, list, checks.RunOptions{Skip: o.skip, OnDone: func(out checks.Outcome) {
		n++
		progress(label, n, len(list), out)
	}})
	rt := report.Target{Checks: outs}
	if t != nil {
		rt.Input, rt.InstanceID, rt.Region = t.Input, t.InstanceID, t.Region
	}
	return rt
}

func checkExitCode(s report.Summary, strict bool) int {
	if s.Failed > 0 || (strict && (s.Warnings > 0 || s.Undetermined > 0)) {
		return exitProblems
	}
	return exitOK
}

func writeReport(stdout io.Writer, o checkOptions, rep report.Report) error {
	w := stdout
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return fmt.Errorf("open --output file: %w", err)
		}
		defer f.Close()
		w = f
	}
	ro := report.Options{Color: report.UseColor(w, o.noColor, os.Getenv), Detail: o.verbose, Deterministic: o.deterministic}
	if err := report.Write(w, o.format, rep, ro); err != nil {
		return fmt.Errorf("write %s report: %w", o.format, err)
	}
	if f, ok := w.(*os.File); ok && o.output != "" {
		if err := f.Close(); err != nil {
			return fmt.Errorf("close --output file: %w", err)
		}
	}
	return nil
}

// A target becomes a word of an ssh command line and an AWS filter value:
// nothing a shell would interpret may pass.
var targetRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)

var osUserRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

var filterRE = regexp.MustCompile(`^tag:([^=]+)=(.*)$`)

func parseCheckOptions(c *cli.Context) (checkOptions, error) {
	o := checkOptions{
		targets:       c.Args().Slice(),
		filters:       c.StringSlice("filter"),
		all:           c.Bool("all"),
		format:        c.String("format"),
		output:        c.String("output"),
		strict:        c.Bool("strict"),
		skip:          c.StringSlice("skip"),
		listChecks:    c.Bool("list-checks"),
		sshConfig:     c.String("ssh-config"),
		deterministic: c.Bool("deterministic"),
		noColor:       inheritedBool(c, "no-color"),
		verbose:       inheritedBool(c, "verbose"),
		timeout:       inheritedDuration(c, "timeout"),
		opts: checks.Options{
			OSUser:    c.String("user"),
			Port:      c.Int("port"),
			Probe:     c.Bool("probe"),
			ProbeWait: c.Duration("probe-timeout"),
			Ephemeral: c.Bool("ephemeral-key"),
			Profile:   inheritedString(c, "profile"),
			Region:    inheritedString(c, "region"),
		},
	}
	if !slices.Contains(report.Formats(), o.format) {
		return o, usageErr("use one of: "+strings.Join(report.Formats(), ", "), "check: unknown --format %q", o.format)
	}
	for _, t := range o.targets {
		if len(t) > 255 || !targetRE.MatchString(t) {
			return o, usageErr("a target is an instance id (i-0123456789abcdef0, mi-…), a Name tag, a private IP or a private DNS name; only letters, digits and . _ : - are accepted",
				"check: malformed target %q", t)
		}
	}
	if o.all && len(o.filters) > 0 || (o.all || len(o.filters) > 0) && len(o.targets) > 0 {
		return o, usageErr("give targets, or --all, or --filter", "check: targets, --all and --filter are mutually exclusive")
	}
	for _, f := range o.filters {
		if !filterRE.MatchString(f) {
			return o, usageErr("the form is --filter tag:KEY=VALUE", "check: malformed --filter %q", f)
		}
	}
	if o.opts.OSUser != "" && (len(o.opts.OSUser) > 32 || !osUserRE.MatchString(o.opts.OSUser)) {
		return o, usageErr("", "check: malformed --user %q", o.opts.OSUser)
	}
	if o.opts.ProbeWait <= 0 {
		return o, usageErr("", "check: --probe-timeout must be positive, got %s", o.opts.ProbeWait)
	}
	if o.opts.Port < 1 || o.opts.Port > 65535 {
		return o, usageErr("", "check: --port %d is out of range 1-65535", o.opts.Port)
	}
	known := map[string]bool{}
	for _, ch := range checks.All() {
		known[ch.ID()] = true
	}
	for _, id := range o.skip {
		if !known[id] {
			return o, usageErr("run 'ssmdoctor check --list-checks' for the IDs", "check: --skip %q is not a check ID", id)
		}
	}
	return o, nil
}

// Global flags may be given before or after the command; urfave/cli keeps
// each in its own context, so look through the lineage for one that was set.
func inheritedString(c *cli.Context, name string) string {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x.String(name)
		}
	}
	return c.String(name)
}

func inheritedBool(c *cli.Context, name string) bool {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x.Bool(name)
		}
	}
	return false
}

func inheritedDuration(c *cli.Context, name string) time.Duration {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x.Duration(name)
		}
	}
	return 0
}

// resolveTargets returns one nil target (a run of the local and caller
// checks) when none was given. An instance that does not exist or a name
// that matches several is the user's problem (exit 1); failing to ask AWS at
// all is ours (exit 3). cmd ("check", "fix") starts the error messages.
func resolveTargets(ctx context.Context, cmd string, env *checks.Env, o checkOptions) ([]*checks.Target, error) {
	if len(o.targets) == 0 && !o.all && len(o.filters) == 0 {
		return []*checks.Target{nil}, nil
	}
	ts, err := checks.ResolveTargets(ctx, env, o.targets, o.filters, o.all)
	var malformed *checks.MalformedTargetError
	var notFound *checks.TargetNotFoundError
	var ambiguous *checks.AmbiguousTargetError
	switch {
	case err == nil:
		if len(ts) == 0 {
			return nil, &exitError{code: exitProblems, err: errors.New(cmd + ": no instance matches the selection"),
				hint: "--all and --filter select pending, running, stopping and stopped instances in the region"}
		}
		return ts, nil
	case errors.As(err, &malformed):
		return nil, usageErr("", "%s: %v", cmd, err)
	case errors.As(err, &notFound):
		hint := "check the id or name, the account and --region"
		if len(notFound.FoundIn) > 0 {
			hint = "run again with --region " + notFound.FoundIn[0]
		}
		return nil, &exitError{code: exitProblems, err: fmt.Errorf("%s: %w", cmd, err), hint: hint}
	case errors.As(err, &ambiguous):
		return nil, &exitError{code: exitProblems, err: fmt.Errorf("%s: %w", cmd, err), hint: "name the instance by its id"}
	}
	if na := noAnswer(cmd+": ", err); na != nil {
		return nil, na
	}
	return nil, internalErr("run 'ssmdoctor check' without a target to diagnose credentials and region", fmt.Errorf("%s: %w", cmd, err))
}

// credentialsProbe resolves credentials the way every AWS call will, and
// reports where they came from without ever returning the secrets.
func credentialsProbe(profile string, clients *awsapi.Clients, loadErr error) func(context.Context) (checks.CredentialsInfo, error) {
	return func(ctx context.Context) (checks.CredentialsInfo, error) {
		info := checks.CredentialsInfo{Profile: profile}
		if info.Profile == "" {
			info.Profile = os.Getenv("AWS_PROFILE")
		}
		if loadErr != nil {
			if sc, ok := sharedProfile(ctx, info.Profile); ok {
				info.SSO = sc.SSOStartURL != "" || sc.SSOSessionName != ""
				info.Region = sc.Region
			}
			return info, loadErr
		}
		info.Region = clients.Region
		for _, src := range clients.Config.ConfigSources {
			if sc, ok := src.(config.SharedConfig); ok {
				info.SSO = sc.SSOStartURL != "" || sc.SSOSessionName != ""
				if info.Profile == "" {
					info.Profile = sc.Profile
				}
			}
		}
		creds, err := clients.Config.Credentials.Retrieve(ctx)
		if err != nil {
			return info, fmt.Errorf("retrieve AWS credentials: %w", err)
		}
		info.Source = creds.Source
		info.CanExpire, info.Expires = creds.CanExpire, creds.Expires
		return info, nil
	}
}

// sharedProfile reads a profile when the full configuration failed to load,
// honouring AWS_CONFIG_FILE as the SDK does.
func sharedProfile(ctx context.Context, profile string) (config.SharedConfig, bool) {
	if profile == "" {
		return config.SharedConfig{}, false
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
			o.ConfigFiles = []string{f}
		}
		if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
			o.CredentialsFiles = []string{f}
		}
	})
	return sc, err == nil
}

func listChecks(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLAYER\tTITLE\tDEPENDS ON")
	for _, c := range checks.All() {
		deps := strings.Join(c.DependsOn(), ",")
		if deps == "" {
			deps = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID(), c.Layer(), c.Title(), deps)
	}
	if err := tw.Flush(); err != nil {
		return internalErr("", fmt.Errorf("list checks: %w", err))
	}
	return nil
}
