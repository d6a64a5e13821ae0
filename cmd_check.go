package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
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

// checkOptions is the parsed command line (parseCheckOptions); runCheck
// builds the checks' Env from it, and checkTarget and writeReport read it.
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
	g             globals // the global flags, read once
}

func runCheck(c *cli.Context) error {
	o, err := parseCheckOptions(c)
	if err != nil {
		return err
	}
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	if o.listChecks {
		return listChecks(stdout, o)
	}
	ctx := c.Context
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}

	o.opts.Verbose = o.verbose
	d := depsOf(c)
	base := &checks.Env{Options: o.opts, Local: checks.NewLocalEnv()}
	base.Local.LookupEnv, base.Local.HomeDir = d.lookupEnv, d.passwdHome
	ao := o.g.awsOptions(stderr)
	clients, loadErr := d.loadAWS(ctx, ao)
	if loadErr == nil {
		base.AWS = awsfacts.NewAWSEnv(clients)
		base.Sessions = checks.NewSessionOpener(clients.SSM, clients.KMS)
		base.Sessions.ConnectTimeout = ao.ConnectTimeout
		if o.opts.Region == "" {
			// No --region: a target outside the default region is looked
			// for in the account's other regions.
			base.AWS.SearchOtherRegions(awsfacts.DefaultRegionCache(o.opts.Profile, clients.Region, d.getenv))
		}
	}
	base.Local.Credentials = credentialsProbe(o.opts.Profile, clients, loadErr, d.getenv)
	base.Local.SSHConfigFile = o.sshConfig

	// Credentials that do not resolve (a missing profile, an SSO profile
	// not logged in) are the user's setup, not our failure: the targets
	// stay unresolved, the local checks run, the credentials check says
	// what is wrong and every AWS check is skipped behind it.
	credsBroken := false
	if len(o.targets) > 0 || o.all || len(o.filters) > 0 {
		info, err := base.Local.Creds(ctx)
		credsBroken = err != nil && ctx.Err() == nil
		if credsBroken && o.verbose {
			fmt.Fprintf(stderr, "credentials: %s\n", report.Visible(err.Error()))
		}
		if credsBroken && o.opts.Region == "" {
			o.opts.Region = info.Region
		}
	}
	if o.all || len(o.filters) > 0 {
		defer checks.FleetGC()()
	}
	var targets []*awsfacts.Target
	if credsBroken {
		targets = unresolvedTargets(o)
	} else {
		var err error
		if targets, err = resolveTargets(ctx, "check", base, o); err != nil {
			return err
		}
	}
	if (o.all || len(o.filters) > 0) && base.AWS != nil && !credsBroken {
		// Batched reads for the whole fleet, so the per-instance checks
		// make no further calls. A failure here is not fatal: each check
		// then asks for itself and reports what it could not read.
		if err := checks.PrefetchFleet(ctx, base, targets); err != nil && o.verbose {
			fmt.Fprintf(stderr, "prefetch: %s (checks will ask one by one)\n", report.Visible(err.Error()))
		}
	}

	// On a terminal one live line shows how far the run is (targets for a
	// fleet, checks for one target); piped, stderr gets nothing. --verbose
	// keeps one line per finished check instead, as a log.
	var bar *report.Progress
	if !o.verbose {
		total, unit := len(targets), "targets"
		if len(targets) == 1 {
			total, unit = len(checksFor(targets[0], credsBroken)), "checks"
		}
		bar = report.NewProgress(stderr, d.stderrTerminal, total, unit, nil)
	}
	defer bar.Close()
	rep := report.Report{Version: version, GeneratedAt: time.Now(), Targets: make([]report.Target, len(targets))}
	var mu sync.Mutex // serialises progress lines
	var wg sync.WaitGroup
	sem := make(chan struct{}, targetConcurrency)
	envs := regionalEnvs{base: base, clients: clients}
	for i, t := range targets {
		tbase := envs.forTarget(t)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rep.Targets[i] = checkTarget(ctx, tbase, t, o, credsBroken, func(label string, n, total int, out checks.Outcome) {
				switch {
				case o.verbose:
					mu.Lock()
					fmt.Fprintf(stderr, "[%s %d/%d] %s: %s\n", label, n, total, out.ID, out.Result.Status)
					mu.Unlock()
				case len(targets) == 1:
					bar.Add(1)
				}
			})
			if len(targets) > 1 {
				bar.Add(1)
			}
		}()
	}
	wg.Wait()
	bar.Close() // before anything else reaches the terminal
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
		return internalErr("", fmt.Errorf("check: interrupted"))
	}

	if err := writeReport(d, o, rep); err != nil {
		return internalErr("", err)
	}
	// The report shows what finished; a run cut short is not a clean bill.
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return internalErr("raise --timeout, or leave it at 0 for no overall limit",
			fmt.Errorf("check: --timeout %s ran out before every check finished", o.timeout))
	}
	return codeOnly(checkExitCode(rep.Summarize(), o.strict))
}

// regionalEnvs hands each target the environment of its own region: a
// target found outside the default region is checked with clients for
// that region, built once per region.
type regionalEnvs struct {
	base    *checks.Env
	clients *awsapi.Clients
	byName  map[string]*checks.Env
}

func (r *regionalEnvs) forTarget(t *awsfacts.Target) *checks.Env {
	if t == nil || r.clients == nil || r.base.AWS == nil || t.Region == "" || t.Region == r.base.AWS.Region {
		return r.base
	}
	if e, ok := r.byName[t.Region]; ok {
		return e
	}
	cl := r.clients.ForRegion(t.Region)
	e := *r.base
	e.AWS = awsfacts.NewAWSEnv(cl)
	e.Sessions = checks.NewSessionOpener(cl.SSM, cl.KMS)
	e.Sessions.ConnectTimeout = r.base.Sessions.ConnectTimeout
	if r.byName == nil {
		r.byName = map[string]*checks.Env{}
	}
	r.byName[t.Region] = &e
	return &e
}

// unresolvedTargets stands in for the targets when credentials do not
// resolve and nothing can be looked up: each named target as typed, or for
// --all and --filter, which name no instance, a run without a target.
func unresolvedTargets(o checkOptions) []*awsfacts.Target {
	if len(o.targets) == 0 {
		return []*awsfacts.Target{nil}
	}
	var ts []*awsfacts.Target
	for _, in := range o.targets {
		ts = append(ts, &awsfacts.Target{Input: in, Region: o.opts.Region})
	}
	return ts
}

// checksFor is the list a target runs. With credentials broken every check
// beyond the workstation waits for the credentials check, so that each is
// skipped as "prerequisite credentials failed" instead of failing on its
// own with the same SDK error.
func checksFor(t *awsfacts.Target, credsBroken bool) []checks.Check {
	list := checks.ForTarget(checks.All(), t != nil)
	if !credsBroken {
		return list
	}
	for i, c := range list {
		if c.Layer() != checks.LayerLocal && !slices.Contains(c.DependsOn(), "credentials") {
			list[i] = needsCredentials{c}
		}
	}
	return list
}

type needsCredentials struct{ checks.Check }

func (c needsCredentials) DependsOn() []string {
	return append([]string{"credentials"}, c.Check.DependsOn()...)
}

// targetConcurrency bounds how many targets of a fleet are checked at once;
// each runs its own checks with the runner's bound inside.
const targetConcurrency = 8

func checkTarget(ctx context.Context, base *checks.Env, t *awsfacts.Target, o checkOptions, credsBroken bool, progress func(string, int, int, checks.Outcome)) report.Target {
	env := *base
	env.Target = t
	list := checksFor(t, credsBroken)
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
		rt.Input, rt.InstanceID, rt.Region, rt.Name = t.Input, t.InstanceID, t.Region, t.Name
	}
	return rt
}

func checkExitCode(s report.Summary, strict bool) int {
	if s.Failed > 0 || (strict && (s.Warnings > 0 || s.Undetermined > 0)) {
		return exitProblems
	}
	return exitOK
}

func writeReport(d *deps, o checkOptions, rep report.Report) error {
	w := d.stdout
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return fmt.Errorf("open --output file: %w", err)
		}
		defer f.Close()
		w = f
	}
	// Colour only on the terminal: never in an --output file.
	ro := report.Options{Color: o.output == "" && d.useColor(o.noColor), Detail: o.verbose, Deterministic: o.deterministic}
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

// targetHint follows every malformed-target error, whichever command.
const targetHint = "a target is an instance id (i-0123456789abcdef0, mi-…), a Name tag, an IPv4 or IPv6 address or a DNS name"

var osUserRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

func parseCheckOptions(c *cli.Context) (checkOptions, error) {
	g, err := readGlobals(c)
	if err != nil {
		return checkOptions{}, err
	}
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
		g:             g,
		noColor:       g.noColor,
		verbose:       g.verbose,
		timeout:       g.timeout,
		opts: checks.Options{
			OSUser:    c.String("user"),
			Port:      c.Int("port"),
			Probe:     c.Bool("probe"),
			ProbeWait: c.Duration("probe-timeout"),
			Ephemeral: c.Bool("ephemeral-key"),
			Profile:   g.profile,
			Region:    g.region,
		},
	}
	if !slices.Contains(report.Formats(), o.format) {
		return o, usageErr("use one of: "+strings.Join(report.Formats(), ", "), "check: unknown --format %q", o.format)
	}
	for _, t := range o.targets {
		if err := awsfacts.ValidateTarget(t); err != nil {
			return o, usageErr(targetHint, "check: %v", err)
		}
	}
	if o.all && len(o.filters) > 0 || (o.all || len(o.filters) > 0) && len(o.targets) > 0 {
		return o, usageErr("give targets, or --all, or --filter", "check: targets, --all and --filter are mutually exclusive")
	}
	for _, f := range o.filters {
		if awsfacts.ValidateFilter(f) != nil {
			return o, usageErr("the form is --filter tag:KEY=VALUE", "check: malformed --filter %q", f)
		}
	}
	if o.opts.OSUser != "" && (len(o.opts.OSUser) > 32 || !osUserRE.MatchString(o.opts.OSUser)) {
		return o, usageErr("an OS user name: a letter or _, then letters, digits, . _ -, at most 32 characters", "check: malformed --user %s", quoteShort(o.opts.OSUser))
	}
	if o.opts.ProbeWait <= 0 {
		return o, usageErr("give a duration such as 10s or 1m", "check: --probe-timeout must be positive, got %s", o.opts.ProbeWait)
	}
	if o.opts.Port < 1 || o.opts.Port > 65535 {
		return o, usageErr("the port sshd listens on inside the instance, 22 unless changed", "check: --port %d is out of range 1-65535", o.opts.Port)
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

// resolveTargets returns one nil target (a run of the local and caller
// checks) when none was given. An instance that does not exist or a name
// that matches several is the user's problem (exit 1); failing to ask AWS at
// all is ours (exit 3). cmd ("check", "fix") starts the error messages.
func resolveTargets(ctx context.Context, cmd string, env *checks.Env, o checkOptions) ([]*awsfacts.Target, error) {
	if len(o.targets) == 0 && !o.all && len(o.filters) == 0 {
		return []*awsfacts.Target{nil}, nil
	}
	ts, err := awsfacts.ResolveTargets(ctx, env.AWS, o.targets, o.filters, o.all)
	var malformed *awsfacts.MalformedTargetError
	var notFound *awsfacts.TargetNotFoundError
	var ambiguous *awsfacts.AmbiguousTargetError
	switch {
	case err == nil:
		if len(ts) == 0 {
			return nil, &exitError{code: exitProblems, err: errors.New(cmd + ": no instance matches the selection"),
				hint: "--all and --filter select pending, running, stopping and stopped instances in the region"}
		}
		return ts, nil
	case errors.As(err, &malformed):
		return nil, usageErr(targetHint, "%s: %v", cmd, err)
	case errors.As(err, &notFound):
		hint := "check the id or name and the account; without --region every enabled region of the account is searched"
		if len(notFound.Searched) == 0 {
			hint = "check the id or name, the account and --region (leave --region out to search every region)"
		}
		return nil, &exitError{code: exitProblems, err: fmt.Errorf("%s: %w", cmd, err), hint: hint}
	case errors.As(err, &ambiguous):
		// The user's words name several instances: a usage error, as in
		// ssh, scp and proxy.
		return nil, &exitError{code: exitUsage, err: visibleErr{fmt.Errorf("%s: %w", cmd, err)}, hint: "name the instance by its id (and --region)"}
	}
	if na := noAnswer(cmd+": ", err); na != nil {
		return nil, na
	}
	return nil, internalErr("run 'ssmdoctor check' without a target to diagnose credentials and region", visibleErr{fmt.Errorf("%s: %w", cmd, err)})
}

// credentialsProbe resolves credentials the way every AWS call will, and
// reports where they came from without ever returning the secrets. A
// failure it can explain comes back as a *checks.CredentialsError.
func credentialsProbe(profile string, clients *awsapi.Clients, loadErr error, getenv func(string) string) func(context.Context) (checks.CredentialsInfo, error) {
	return func(ctx context.Context) (checks.CredentialsInfo, error) {
		info := checks.CredentialsInfo{Profile: profile}
		if info.Profile == "" {
			info.Profile = getenv("AWS_PROFILE")
		}
		if loadErr != nil {
			if sc, ok := sharedProfile(ctx, info.Profile); ok {
				info.SSO = sc.SSOStartURL != "" || sc.SSOSessionName != ""
				info.Region = sc.Region
			}
			return info, explainCredentialsError(info, loadErr)
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
			return info, explainCredentialsError(info, fmt.Errorf("retrieve AWS credentials: %w", err))
		}
		info.Source = creds.Source
		info.CanExpire, info.Expires = creds.CanExpire, creds.Expires
		return info, nil
	}
}

// explainCredentialsError tells a missing profile and an SSO profile that
// is not logged in (or whose login expired) from the rest.
func explainCredentialsError(info checks.CredentialsInfo, err error) error {
	ce := &checks.CredentialsError{Profile: info.Profile, Err: err}
	var noProfile config.SharedConfigProfileNotExistError
	var invalidToken *ssocreds.InvalidTokenError
	msg := err.Error()
	switch {
	case errors.As(err, &noProfile):
		ce.Problem = checks.CredentialsNoProfile
		if noProfile.Profile != "" {
			ce.Profile = noProfile.Profile
		}
		ce.Files, ce.Profiles = sharedConfigProfiles()
	case !info.SSO:
	case errors.Is(err, fs.ErrNotExist):
		// No cached token for the start URL: never logged in on this
		// machine (or the cache was cleared).
		ce.Problem = checks.CredentialsSSONotLoggedIn
	case errors.As(err, &invalidToken), strings.Contains(msg, "cached SSO token is expired"),
		strings.Contains(msg, "UnauthorizedException"):
		ce.Problem = checks.CredentialsSSOExpired
	}
	return ce
}

// sharedConfigProfiles returns the shared config files as the user knows
// them and the profiles they define, as the SDK reads them: the config
// file's [default] and [profile NAME] sections, the credentials file's
// [NAME] sections. Unreadable files add nothing.
func sharedConfigProfiles() (files, profiles []string) {
	home, _ := os.UserHomeDir()
	type src struct {
		env, def string
		creds    bool
	}
	seen := map[string]bool{}
	for _, s := range []src{{"AWS_CONFIG_FILE", "config", false}, {"AWS_SHARED_CREDENTIALS_FILE", "credentials", true}} {
		path, name := os.Getenv(s.env), s.env
		if path == "" {
			path, name = filepath.Join(home, ".aws", s.def), "~/.aws/"+s.def
		} else {
			name = s.env + " (" + path + ")"
		}
		data, err := os.ReadFile(path)
		if err != nil {
			if !s.creds {
				files = append(files, name) // where the profile belongs
			}
			continue
		}
		files = append(files, name)
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
				continue
			}
			sec := strings.TrimSpace(line[1 : len(line)-1])
			if !s.creds {
				p, ok := strings.CutPrefix(sec, "profile ")
				if !ok && sec != "default" {
					continue // sso-session, services and the like
				}
				sec = strings.TrimSpace(p)
			}
			if sec != "" && !seen[sec] {
				seen[sec] = true
				profiles = append(profiles, sec)
			}
		}
	}
	sort.Strings(profiles)
	return files, profiles
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

// listChecks prints the catalogue as a table (human) or as JSON
// (schemaVersion 1: checks[] of id, layer, title, dependsOn), to stdout
// or --output.
func listChecks(stdout io.Writer, o checkOptions) error {
	if o.format != "human" && o.format != "json" {
		return usageErr("use --format human or --format json with --list-checks", "check: --list-checks has no %s form", o.format)
	}
	var buf bytes.Buffer
	if o.format == "json" {
		type entry struct {
			ID        string   `json:"id"`
			Layer     string   `json:"layer"`
			Title     string   `json:"title"`
			DependsOn []string `json:"dependsOn"`
		}
		doc := struct {
			SchemaVersion int     `json:"schemaVersion"`
			Checks        []entry `json:"checks"`
		}{SchemaVersion: 1}
		for _, c := range checks.All() {
			doc.Checks = append(doc.Checks, entry{c.ID(), string(c.Layer()), c.Title(), append([]string{}, c.DependsOn()...)})
		}
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return internalErr("", fmt.Errorf("list checks: %w", err))
		}
	} else {
		tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLAYER\tTITLE\tDEPENDS ON")
		for _, c := range checks.All() {
			deps := strings.Join(c.DependsOn(), ",")
			if deps == "" {
				deps = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID(), c.Layer(), c.Title(), deps)
		}
		tw.Flush()
	}
	if o.output != "" {
		if err := os.WriteFile(o.output, buf.Bytes(), 0o644); err != nil {
			return internalErr("choose a writable --output path", fmt.Errorf("check: write --output file: %w", err))
		}
		return nil
	}
	if _, err := stdout.Write(buf.Bytes()); err != nil {
		return internalErr("", fmt.Errorf("list checks: %w", err))
	}
	return nil
}
