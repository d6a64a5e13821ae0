package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/checks/checkrun"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
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
			&cli.GenericFlag{Name: "filter", Usage: "select instances by tag: tag:KEY=VALUE (repeatable, or several separated by commas)", Value: &wholeValues{}},
			&cli.StringFlag{Name: "user", Usage: "OS user to log in as"},
			&cli.IntFlag{Name: "port", Usage: "sshd port on the instance", Value: 22},
			&cli.BoolFlag{Name: "probe", Usage: "open a real session and read the SSH banner"},
			&cli.DurationFlag{Name: "probe-timeout", Usage: "with --probe: how long to wait from StartSession to the SSH banner", Value: 10 * time.Second},
			&cli.BoolFlag{Name: "ephemeral-key", Usage: "you connect with one-time keys (as ssmdoctor ssh --ephemeral-key): check ec2-instance-connect:SendSSHPublicKey for --user"},
			&cli.StringFlag{Name: "format", Usage: "output format: " + strings.Join(report.Formats(report.KindCheck), ", "), Value: "human"},
			&cli.StringFlag{Name: "output", Usage: "write results to `FILE` instead of stdout"},
			&cli.GenericFlag{Name: "report", Usage: "also write this run's report as FORMAT to FILE (`FORMAT=FILE`, repeatable), e.g. junit=report.xml", Value: &wholeValues{}},
			&cli.BoolFlag{Name: "strict", Usage: "warnings and undetermined checks also fail"},
			&cli.StringSliceFlag{Name: "skip", Usage: "skip the check with this `ID` (repeatable)"},
			&cli.BoolFlag{Name: "list-checks", Usage: "list every check and exit"},
			// For golden files and CI diffs: no timestamps or durations.
			&cli.BoolFlag{Name: "deterministic", Hidden: true},
			&cli.StringFlag{Name: "ssh-config", Usage: "check this ssh client config `FILE` (as ssh -F) instead of ~/.ssh/config"},
			&cli.StringFlag{Name: "document", Usage: "the session document you will start (`NAME`): caller-start-session evaluates it instead of AWS-StartSSHSession"},
			&cli.BoolFlag{Name: "on-instance", Usage: "also look inside the instance: sshd, the OS user, authorized keys, EC2 Instance Connect, the agent's log, clock, disk (runs a read-only script with Run Command)"},
			&cli.DurationFlag{Name: "on-instance-timeout", Usage: "with --on-instance: how long the script may take, from SendCommand to its output", Value: 60 * time.Second},
			&cli.StringFlag{Name: "sshd-config", Usage: "with --on-instance: sshd's config `PATH` on the instance (default /etc/ssh/sshd_config)"},
			&cli.BoolFlag{Name: "on-instance-script", Usage: "print the exact script --on-instance runs, and exit"},
			&cli.StringFlag{Name: "stream-endpoint", Usage: "the data channel's endpoint (`URL`) local-endpoints probes instead of ssmmessages (as ssmdoctor proxy --stream-endpoint)", EnvVars: []string{"SSMDOCTOR_STREAM_ENDPOINT"}},
		),
		// Without this urfave/cli prints the whole help to stdout on a bad
		// flag; one error line and a hint on stderr is enough.
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageErr("run 'ssmdoctor check --help' for usage", "check: %v", err)
		},
		Action: runCheck,
	}
}

// checkOptions is the parsed command line (parseCheckOptions): what to
// check (run) and how to show it.
// wholeValues is a repeatable flag whose every value is kept whole:
// urfave/cli's slice flags split a value at its commas, and a path may
// hold one.
type wholeValues []string

func (w *wholeValues) Set(v string) error { *w = append(*w, v); return nil }
func (w *wholeValues) String() string {
	if w == nil {
		return ""
	}
	return strings.Join(*w, " ")
}

func (w *wholeValues) values() []string {
	if w == nil {
		return nil
	}
	return *w
}

// splitFilters is every --filter's tag filters. One value may hold
// several, separated by commas ("tag:Env=prod,tag:Role=web"); a comma that
// does not start another "tag:" belongs to the value (EC2 allows it in a
// tag: "tag:Team=red,blue" is one filter).
func splitFilters(v any) []string {
	w, _ := v.(*wholeValues)
	var out []string
	for _, f := range w.values() {
		start := 0
		for i := 0; i < len(f); i++ {
			if f[i] == ',' && strings.HasPrefix(f[i+1:], "tag:") {
				out = append(out, f[start:i])
				start = i + 1
			}
		}
		out = append(out, f[start:])
	}
	return out
}

// extraReport is one --report: the same run, written as format to path.
type extraReport struct{ format, path string }

type checkOptions struct {
	run           checkrun.Options
	format        string
	output        string
	reports       []extraReport // --report FORMAT=FILE
	strict        bool
	listChecks    bool
	script        bool // --on-instance-script
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
	if o.listChecks {
		return listChecks(c.App.Writer, o)
	}
	if o.script {
		if _, err := c.App.Writer.Write(oninstance.Script()); err != nil {
			return internalErr("", fmt.Errorf("check: write the on-instance script: %w", err))
		}
		return nil
	}
	ctx, cancel := o.g.bound(c.Context)
	defer cancel()
	d := depsOf(c)
	ao := o.g.awsOptions(d.stderr)
	clients, loadErr := d.loadAWS(ctx, ao)
	ro := o.run
	ro.Checks.Verbose = o.verbose
	ro.ConnectTimeout = ao.ConnectTimeout
	ro.Seam = checkrun.Seam{LookupEnv: d.lookupEnv, PasswdHome: d.passwdHome}
	ro.Stderr, ro.StderrTerminal = d.stderr, d.stderrTerminal
	if ro.All || len(ro.Filters) > 0 {
		defer checks.FleetGC()() // a fleet run collects less often (checks.FleetGC)
	}
	started := time.Now() // the report's time: when the checks began
	targets, err := checkrun.Run(ctx, ro, clients, loadErr)
	if err != nil {
		return targetsError("check", err)
	}
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
		return internalErr("", fmt.Errorf("check: interrupted"))
	}
	rep := report.Report{Version: version, GeneratedAt: started, Targets: targets}
	if err := writeReport(d, o, rep); err != nil {
		return internalErr("", err)
	}
	for _, x := range o.reports {
		xo := o
		xo.format, xo.output = x.format, x.path
		if err := writeReport(d, xo, rep); err != nil {
			return internalErr("choose a writable --report path", fmt.Errorf("check: --report %s=%s: %w", x.format, report.Visible(x.path), err))
		}
	}
	// The report shows what finished; a run cut short is not a clean bill.
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return internalErr("raise --timeout, or leave it at 0 for no overall limit",
			fmt.Errorf("check: --timeout %s ran out before every check finished", o.timeout))
	}
	return codeOnly(checkExitCode(rep.Summarize(), o.strict))
}

func checkExitCode(s report.Summary, strict bool) int {
	if checkrun.Problems(s, strict) {
		return exitProblems
	}
	return exitOK
}

func writeReport(d *deps, o checkOptions, rep report.Report) error {
	return writeOutput(d, o.output, o.noColor, func(w io.Writer, color bool) error {
		ro := report.Options{Color: color, Detail: o.verbose, Deterministic: o.deterministic}
		if err := report.Write(w, o.format, rep, ro); err != nil {
			return fmt.Errorf("write %s report: %w", o.format, err)
		}
		return nil
	})
}

var osUserRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

func parseCheckOptions(c *cli.Context) (checkOptions, error) {
	g, err := readGlobals(c)
	if err != nil {
		return checkOptions{}, err
	}
	o := checkOptions{
		run: checkrun.Options{
			Targets:   c.Args().Slice(),
			Filters:   splitFilters(c.Generic("filter")),
			All:       c.Bool("all"),
			Skip:      c.StringSlice("skip"),
			SSHConfig: c.String("ssh-config"),
			Checks: checks.Options{
				OSUser:    c.String("user"),
				Port:      c.Int("port"),
				Probe:     c.Bool("probe"),
				ProbeWait: c.Duration("probe-timeout"),
				Ephemeral: c.Bool("ephemeral-key"),
				Profile:   g.profile,
				Region:    g.region,
				Document:  c.String("document"),

				OnInstance:     c.Bool("on-instance"),
				OnInstanceWait: c.Duration("on-instance-timeout"),
				StreamEndpoint: c.String("stream-endpoint"),
				SSHDConfig:     c.String("sshd-config"),
			},
		},
		format:        c.String("format"),
		output:        c.String("output"),
		strict:        c.Bool("strict"),
		listChecks:    c.Bool("list-checks"),
		script:        c.Bool("on-instance-script"),
		deterministic: c.Bool("deterministic"),
		g:             g,
		noColor:       g.noColor,
		verbose:       g.verbose,
		timeout:       g.timeout,
	}
	r, opts := o.run, o.run.Checks
	if !slices.Contains(report.Formats(report.KindCheck), o.format) {
		return o, usageErr("use one of: "+strings.Join(report.Formats(report.KindCheck), ", "), "check: unknown --format %s", quoteShort(o.format))
	}
	reports, _ := c.Generic("report").(*wholeValues)
	for _, v := range reports.values() {
		f, path, ok := strings.Cut(v, "=")
		switch {
		case !ok || path == "" || strings.ContainsRune(path, 0):
			return o, usageErr("the form is --report FORMAT=FILE, e.g. --report junit=report.xml", "check: malformed --report %s", quoteShort(v))
		case !slices.Contains(report.Formats(report.KindCheck), f):
			return o, usageErr("FORMAT is one of: "+strings.Join(report.Formats(report.KindCheck), ", "), "check: unknown --report format %s", quoteShort(f))
		}
		o.reports = append(o.reports, extraReport{format: f, path: path})
	}
	if len(o.reports) > 0 && (o.listChecks || o.script) {
		return o, usageErr("--report writes a check run's report; --list-checks and --on-instance-script run no checks", "check: --report with --list-checks or --on-instance-script")
	}
	for _, t := range r.Targets {
		if err := awsfacts.ValidateTarget(t); err != nil {
			return o, usageErr(targetHint, "check: %v", err)
		}
	}
	if r.All && len(r.Filters) > 0 || (r.All || len(r.Filters) > 0) && len(r.Targets) > 0 {
		return o, usageErr("give targets, or --all, or --filter", "check: targets, --all and --filter are mutually exclusive")
	}
	for _, f := range r.Filters {
		if awsfacts.ValidateFilter(f) != nil {
			return o, usageErr("the form is --filter tag:KEY=VALUE", "check: malformed --filter %s", quoteShort(f))
		}
	}
	if opts.OSUser != "" && (len(opts.OSUser) > 32 || !osUserRE.MatchString(opts.OSUser)) {
		return o, usageErr("an OS user name: a letter or _, then letters, digits, . _ -, at most 32 characters", "check: malformed --user %s", quoteShort(opts.OSUser))
	}
	if c.IsSet("document") && !documentNameRE.MatchString(opts.Document) {
		return o, usageErr("a document name is 3-128 letters, digits and _ - . (e.g. AWS-StartPortForwardingSession)", "check: invalid --document %s", quoteShort(opts.Document))
	}
	if opts.ProbeWait <= 0 {
		return o, usageErr("give a duration such as 10s or 1m", "check: --probe-timeout must be positive, got %s", opts.ProbeWait)
	}
	if o.script && (len(r.Targets) > 0 || r.All || len(r.Filters) > 0 || o.listChecks) {
		return o, usageErr("run 'ssmdoctor check --on-instance-script' alone: it only prints the script", "check: --on-instance-script takes no TARGET, --all, --filter or --list-checks")
	}
	if v := opts.SSHDConfig; v != "" && (!strings.HasPrefix(v, "/") || strings.ContainsAny(v, "\x00\r\n") || len(v) > 1024) {
		return o, usageErr("an absolute path on the instance, such as /etc/ssh/sshd_config", "check: malformed --sshd-config %s", quoteShort(v))
	}
	if opts.OnInstanceWait <= 0 {
		return o, usageErr("give a duration such as 60s or 2m", "check: --on-instance-timeout must be positive, got %s", opts.OnInstanceWait)
	}
	if e := opts.StreamEndpoint; e != "" && !validStreamEndpoint(e) {
		return o, usageErr("an https:// or wss:// URL, such as wss://ssmmessages.eu-west-1.amazonaws.com", "check: malformed --stream-endpoint %s", quoteShort(e))
	}
	if opts.Port < 1 || opts.Port > 65535 {
		return o, usageErr("the port sshd listens on inside the instance, 22 unless changed", "check: --port %d is out of range 1-65535", opts.Port)
	}
	known := map[string]bool{}
	for _, ch := range checks.All() {
		known[ch.ID()] = true
	}
	for _, id := range r.Skip {
		if !known[id] {
			return o, usageErr("run 'ssmdoctor check --list-checks' for the IDs", "check: --skip %s is not a check ID", quoteShort(id))
		}
	}
	return o, nil
}

// listChecks prints the catalogue as a table (human) or as JSON
// (schemaVersion 1: checks[] of id, layer, title, dependsOn), to stdout
// or --output.
func listChecks(stdout io.Writer, o checkOptions) error {
	if !slices.Contains(checkrun.CatalogueFormats, o.format) {
		return usageErr("use --format human or --format json with --list-checks", "check: --list-checks has no %s form", o.format)
	}
	b, err := checkrun.Catalogue(o.format)
	if err != nil {
		return internalErr("", err)
	}
	if o.output != "" {
		if err := os.WriteFile(o.output, b, 0o644); err != nil {
			return internalErr("choose a writable --output path", fmt.Errorf("check: write --output file: %w", err))
		}
		return nil
	}
	if _, err := stdout.Write(b); err != nil {
		return internalErr("", fmt.Errorf("list checks: %w", err))
	}
	return nil
}

// validStreamEndpoint accepts what local-endpoints can probe: an
// http(s):// or ws(s):// URL with a host.
func validStreamEndpoint(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	switch u.Scheme {
	case "https", "wss", "http", "ws":
		return true
	}
	return false
}
