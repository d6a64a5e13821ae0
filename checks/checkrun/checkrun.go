// Package checkrun runs the checks the way `ssmdoctor check` and
// `ssmdoctor fix` do: it builds the checks' environment over the AWS
// clients and the workstation's seams, resolves the command line's
// targets (in other regions when no --region was given), prefetches a
// fleet's facts in bulk, and runs the catalogue on every target, a bounded
// number at a time, giving one report.Target per target. Commands parse
// flags, call it and render; the checks themselves know nothing of it.
package checkrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// Seam is what a run needs from the world outside: the environment the
// command sees and the passwd home OpenSSH reads.
type Seam struct {
	LookupEnv  func(string) (string, bool)
	PasswdHome func() (string, error)
}

func (s Seam) getenv(k string) string {
	v, _ := s.LookupEnv(k)
	return v
}

// NewEnv is the checks' environment over clients, or without AWS when
// loadErr says they could not be built (the credentials check then says
// why). Nothing is remembered yet: a fix builds a fresh one after it
// changed something.
func NewEnv(o checks.Options, clients *awsapi.Clients, loadErr error, s Seam) *checks.Env {
	env := &checks.Env{Options: o, Local: checks.NewLocalEnv()}
	env.Local.LookupEnv, env.Local.HomeDir = s.LookupEnv, s.PasswdHome
	if loadErr == nil {
		env.AWS = awsfacts.NewAWSEnv(clients)
	}
	env.Local.Credentials = awsapi.CredentialsProbe(o.Profile, clients, loadErr, s.getenv)
	return env
}

// SearchOtherRegions turns on env's lookup of targets across the
// account's regions, unless the user chose a region (--region).
func SearchOtherRegions(env *checks.Env, s Seam) {
	if env.AWS != nil && env.Options.Region == "" {
		env.AWS.SearchOtherRegions(awsfacts.DefaultRegionCache(env.Options.Profile, env.AWS.Region, s.getenv))
	}
}

// Options are one `ssmdoctor check` run: what to check and how.
type Options struct {
	Targets []string // as typed
	Filters []string // --filter tag:KEY=VALUE
	All     bool     // --all
	Checks  checks.Options
	Skip    []string // --skip
	// SSHConfig is --ssh-config: the ssh client config file to check.
	SSHConfig string
	// ConnectTimeout bounds each websocket dial of --probe.
	ConnectTimeout time.Duration
	Seam           Seam
	// Stderr receives the progress line (when StderrTerminal) or, with
	// Checks.Verbose, one line per finished check and what went wrong
	// behind the scenes (credentials, prefetch).
	Stderr         io.Writer
	StderrTerminal bool
}

// TargetsError is a failure to resolve the command line's targets: Err is
// awsfacts' error (malformed, not found, ambiguous, a failed lookup) or
// ErrNoMatch.
type TargetsError struct{ Err error }

func (e *TargetsError) Error() string { return e.Err.Error() }
func (e *TargetsError) Unwrap() error { return e.Err }

// ErrNoMatch is --all or --filter selecting no instance.
var ErrNoMatch = errors.New("no instance matches the selection")

// Resolve returns the instances targets name (or --all, or filters
// select) in env's view, or one nil target (a run of the local and caller
// checks) when none was asked for. Its errors are *TargetsError.
func Resolve(ctx context.Context, env *checks.Env, targets, filters []string, all bool) ([]*awsfacts.Target, error) {
	if len(targets) == 0 && !all && len(filters) == 0 {
		return []*awsfacts.Target{nil}, nil
	}
	ts, err := awsfacts.ResolveTargets(ctx, env.AWS, targets, filters, all)
	if err != nil {
		return nil, &TargetsError{err}
	}
	if len(ts) == 0 {
		return nil, &TargetsError{ErrNoMatch}
	}
	return ts, nil
}

// Run checks every target of o and returns one report.Target per target,
// in order. The only error is the targets' (*TargetsError); a run cut
// short by ctx returns what finished.
func Run(ctx context.Context, o Options, clients *awsapi.Clients, loadErr error) ([]report.Target, error) {
	verbose := o.Checks.Verbose
	base := NewEnv(o.Checks, clients, loadErr, o.Seam)
	if base.AWS != nil {
		base.Sessions = checks.NewSessionOpener(clients.SSM, clients.KMS)
		base.Sessions.ConnectTimeout = o.ConnectTimeout
		// No --region: a target outside the default region is looked
		// for in the account's other regions.
		SearchOtherRegions(base, o.Seam)
	}
	base.Local.SSHConfigFile = o.SSHConfig

	// Credentials that do not resolve (a missing profile, an SSO profile
	// not logged in) are the user's setup, not our failure: the targets
	// stay unresolved, the local checks run, the credentials check says
	// what is wrong and every AWS check is skipped behind it.
	credsBroken := false
	if len(o.Targets) > 0 || o.All || len(o.Filters) > 0 {
		info, err := base.Local.Creds(ctx)
		credsBroken = err != nil && ctx.Err() == nil
		if credsBroken && verbose {
			fmt.Fprintf(o.Stderr, "credentials: %s\n", report.Visible(err.Error()))
		}
		if credsBroken && o.Checks.Region == "" {
			o.Checks.Region = info.Region
		}
	}
	var targets []*awsfacts.Target
	if credsBroken {
		targets = unresolvedTargets(o)
	} else {
		var err error
		if (o.All || len(o.Filters) > 0) && base.AWS != nil {
			// PrefetchFleet follows: the listing may start its
			// questions (registrations, StartSession, roles, statuses).
			checks.PrefetchWhileListing(base.AWS)
		}
		if targets, err = Resolve(ctx, base, o.Targets, o.Filters, o.All); err != nil {
			return nil, err
		}
	}
	if (o.All || len(o.Filters) > 0) && base.AWS != nil && !credsBroken {
		// Batched reads for the whole fleet, so the per-instance checks
		// make no further calls. A failure here is not fatal: each check
		// then asks for itself and reports what it could not read.
		if err := checks.PrefetchFleet(ctx, base, targets); err != nil && verbose {
			fmt.Fprintf(o.Stderr, "prefetch: %s (checks will ask one by one)\n", report.Visible(err.Error()))
		}
	}
	if len(targets) > 1 && base.AWS != nil && !credsBroken {
		// --on-instance on several targets: one SendCommand per 50
		// instances with the same script arguments; each target's checks
		// read their run from it.
		checks.PrefetchOnInstance(ctx, base, targets, o.Skip)
	}

	// On a terminal one live line shows how far the run is (targets for a
	// fleet, checks for one target); piped, stderr gets nothing. --verbose
	// keeps one line per finished check instead, as a log.
	var bar *report.Progress
	if !verbose {
		total, unit := len(targets), "targets"
		if len(targets) == 1 {
			total, unit = len(checksFor(targets[0], credsBroken)), "checks"
		}
		bar = report.NewProgress(o.Stderr, o.StderrTerminal, total, unit, nil)
	}
	defer bar.Close() // before anything else reaches the terminal
	out := make([]report.Target, len(targets))
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
			out[i] = checkTarget(ctx, tbase, t, o.Skip, credsBroken, func(label string, n, total int, out checks.Outcome) {
				switch {
				case verbose:
					mu.Lock()
					fmt.Fprintf(o.Stderr, "[%s %d/%d] %s: %s\n", label, n, total, out.ID, out.Result.Status)
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
	return out, nil
}

// Problems reports whether a summary is a run with problems: a failed
// check or, with strict, a warning or an undetermined check.
func Problems(s report.Summary, strict bool) bool {
	return s.Failed > 0 || (strict && (s.Warnings > 0 || s.Undetermined > 0))
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
func unresolvedTargets(o Options) []*awsfacts.Target {
	if len(o.Targets) == 0 {
		return []*awsfacts.Target{nil}
	}
	var ts []*awsfacts.Target
	for _, in := range o.Targets {
		ts = append(ts, &awsfacts.Target{Input: in, Region: o.Checks.Region})
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

func checkTarget(ctx context.Context, base *checks.Env, t *awsfacts.Target, skip []string, credsBroken bool, progress func(string, int, int, checks.Outcome)) report.Target {
	env := *base
	env.Target = t
	list := checksFor(t, credsBroken)
	label := "local"
	if t != nil {
		label = t.Input
	}
	var n int
	outs := checks.Run(ctx, &env, list, checks.RunOptions{Skip: skip, OnDone: func(out checks.Outcome) {
		n++
		progress(label, n, len(list), out)
	}})
	return TargetReport(t, outs)
}

// TargetReport is the report of one target's outcomes.
func TargetReport(t *awsfacts.Target, outs []checks.Outcome) report.Target {
	rt := report.Target{Checks: outs}
	if t != nil {
		rt.Input, rt.InstanceID, rt.Region, rt.Name = t.Input, t.InstanceID, t.Region, t.Name
	}
	return rt
}
