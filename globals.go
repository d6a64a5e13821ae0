package main

import (
	"context"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// globals are the flags every command shares, read once per command from
// the command line alone. AWS_PROFILE, AWS_REGION and AWS_DEFAULT_REGION
// are not flag sources: the SDK reads them itself, below anything typed,
// so a flag given on the command line, before or after the command name,
// always beats the environment.
type globals struct {
	profile string // as typed; "" lets the SDK choose (AWS_PROFILE, default)
	region  string // as typed; "" lets the SDK choose (AWS_REGION, the profile)
	noColor bool
	verbose bool
	timeout time.Duration // overall limit; 0 is none
	// connectTimeout is how long an endpoint, a proxy or the data
	// channel's host may take to answer, per attempt (connect_timeout.go).
	connectTimeout time.Duration
}

// readGlobals reads the shared flags through the command's lineage: a
// flag typed after the command wins over the same flag typed before it.
// Values that could never be right are usage errors here, once for all
// commands.
func readGlobals(c *cli.Context) (globals, error) {
	g := globals{
		profile:        lineageString(c, "profile"),
		region:         lineageString(c, "region"),
		noColor:        lineageBool(c, "no-color"),
		verbose:        lineageBool(c, "verbose"),
		timeout:        lineageDuration(c, "timeout"),
		connectTimeout: lineageDuration(c, "connect-timeout"),
	}
	if g.connectTimeout == 0 { // not given (the flag refuses an explicit 0)
		g.connectTimeout = awsapi.DefaultConnectTimeout
	}
	return g, g.validate()
}

func (g globals) validate() error {
	if g.timeout < 0 {
		return usageErr("give a positive duration such as 90s or 5m, or leave --timeout out for no limit",
			"--timeout must not be negative, got %s", g.timeout)
	}
	if err := checkConnectTimeout(g.connectTimeout); err != nil {
		return err
	}
	if err := validateProfile(g.profile); err != nil {
		return err
	}
	return validateRegion(g.region)
}

// awsOptions are the AWS client options the globals ask for; stderr gets
// the --verbose call lines.
func (g globals) awsOptions(stderr io.Writer) awsapi.Options {
	o := awsapi.Options{Profile: g.profile, Region: g.region, ConnectTimeout: g.connectTimeout}
	if g.verbose {
		o.LogTo = stderr
	}
	return o
}

// bound limits ctx by --timeout; cancel must be called.
func (g globals) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if g.timeout > 0 {
		return context.WithTimeout(ctx, g.timeout)
	}
	return context.WithCancel(ctx)
}

// validateProfile and validateRegion apply the one rule for what may be
// a profile or region name (internal/sshconfig: they travel into ssh
// command lines, ProxyCommands and ssh config files).
func validateProfile(p string) error {
	if p == "" {
		return nil
	}
	if err := sshconfig.CheckProfile(p); err != nil {
		return usageErr("profile names may hold letters, digits and . _ - + @ only; rename the profile in ~/.aws/config",
			"invalid --profile: %v", err)
	}
	return nil
}

func validateRegion(r string) error {
	if r == "" {
		return nil
	}
	if err := sshconfig.CheckRegion(r); err != nil {
		return usageErr("a region looks like us-east-1 or eu-west-2", "invalid --region: %v", err)
	}
	return nil
}

// quoteShort quotes user input for an error line (awsfacts.QuoteInput).
func quoteShort(s string) string { return awsfacts.QuoteInput(s) }

func lineageString(c *cli.Context, name string) string {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x.String(name)
		}
	}
	return ""
}

func lineageBool(c *cli.Context, name string) bool {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x.Bool(name)
		}
	}
	return false
}

func lineageDuration(c *cli.Context, name string) time.Duration {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x.Duration(name)
		}
	}
	return 0
}
