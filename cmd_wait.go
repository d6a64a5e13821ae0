package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/checks/checkrun"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// The goals of `wait --for`, each including the ones before it.
const (
	waitRunning = "running" // EC2 says running (a hybrid node has no EC2 state)
	waitOnline  = "online"  // registered with Systems Manager, PingStatus Online
	waitSSH     = "ssh"     // sshd's banner through a real session (session-probe)
)

var waitGoals = []string{waitRunning, waitOnline, waitSSH}

// defaultWaitTimeout applies when --timeout is not given: a pipeline step
// should not hang for ever on an instance that never comes up.
const defaultWaitTimeout = 10 * time.Minute

// reportBudget bounds the check that runs after waiting failed, since
// --timeout is already spent by then.
const reportBudget = 90 * time.Second

func waitCommand() *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait until instances run, are online in Systems Manager, or answer SSH",
		ArgsUsage: "TARGET...",
		Description: "Polls with a growing, jittered interval (2s up to 20s) until every TARGET is reached:\n" +
			"--for running (EC2 state), online (registered with Systems Manager, PingStatus Online;\n" +
			"the default) or ssh (sshd's banner through a real Session Manager session). --timeout is\n" +
			"how long to wait (default 10m). Exit status: 0 every target reached; 1 the timeout ran out,\n" +
			"or waiting cannot help (a terminated instance, StartSession denied, no such target a minute\n" +
			"on): the check report of the targets not reached is printed; 2 usage error; 3 ssmdoctor\n" +
			"itself failed; 130 interrupted.",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "for", Usage: "what to wait for: " + strings.Join(waitGoals, ", "), Value: waitOnline},
			&cli.IntFlag{Name: "port", Usage: "with --for ssh: sshd port on the instance", Value: 22},
			&cli.DurationFlag{Name: "probe-timeout", Usage: "with --for ssh: how long one attempt may wait from StartSession to the SSH banner", Value: 10 * time.Second},
			&cli.StringFlag{Name: "format", Usage: "the report's format when waiting fails: " + strings.Join(report.Formats(report.KindCheck), ", "), Value: "human"},
			&cli.StringFlag{Name: "output", Usage: "write the report to `FILE` instead of stdout"},
			&cli.BoolFlag{Name: "deterministic", Hidden: true},
		),
		Action: runWait,
	}
}

type waitOptions struct {
	goal    string
	timeout time.Duration
	check   checkOptions // the report's options, and the targets
}

func parseWaitOptions(c *cli.Context) (waitOptions, error) {
	g, err := readGlobals(c)
	if err != nil {
		return waitOptions{}, err
	}
	w := waitOptions{goal: c.String("for"), timeout: g.timeout}
	if w.timeout == 0 {
		w.timeout = defaultWaitTimeout
	}
	w.check = checkOptions{
		run: checkrun.Options{Targets: c.Args().Slice(),
			Checks: checks.Options{Port: c.Int("port"), ProbeWait: c.Duration("probe-timeout"), Profile: g.profile, Region: g.region}},
		format: c.String("format"), output: c.String("output"),
		deterministic: c.Bool("deterministic"), g: g, noColor: g.noColor, verbose: g.verbose,
	}
	if !slices.Contains(waitGoals, w.goal) {
		return w, usageErr("use --for "+strings.Join(waitGoals, ", --for "), "wait: unknown --for %s", quoteShort(w.goal))
	}
	w.check.run.Checks.Probe = w.goal == waitSSH
	if len(w.check.run.Targets) == 0 {
		return w, usageErr("name the instances to wait for: ssmdoctor wait i-0123456789abcdef0", "wait: no TARGET given")
	}
	for _, t := range w.check.run.Targets {
		if err := awsfacts.ValidateTarget(t); err != nil {
			return w, usageErr(targetHint, "wait: %v", err)
		}
	}
	if !slices.Contains(report.Formats(report.KindCheck), w.check.format) {
		return w, usageErr("use one of: "+strings.Join(report.Formats(report.KindCheck), ", "), "wait: unknown --format %s", quoteShort(w.check.format))
	}
	if p := w.check.run.Checks.Port; p < 1 || p > 65535 {
		return w, usageErr("the port sshd listens on inside the instance, 22 unless changed", "wait: --port %d is out of range 1-65535", p)
	}
	if w.check.run.Checks.ProbeWait <= 0 {
		return w, usageErr("give a duration such as 10s or 1m", "wait: --probe-timeout must be positive, got %s", w.check.run.Checks.ProbeWait)
	}
	return w, nil
}

// backoff spaces the polls: each interval grows by factor up to max, and
// is spread by ±jitter so that many pipelines waiting on one account do not
// poll in step.
type backoff struct {
	first, max time.Duration
	factor     float64
	jitter     float64        // 0.2 is ±20%
	rnd        func() float64 // [0,1); nil is math/rand
	next       time.Duration
}

// waitPolling is the production schedule; tests shorten it.
var waitPolling = backoff{first: 2 * time.Second, max: 20 * time.Second, factor: 1.5, jitter: 0.2}

// Next returns the next interval.
func (b *backoff) Next() time.Duration {
	if b.next == 0 {
		b.next = b.first
	}
	d := b.next
	b.next = min(time.Duration(float64(b.next)*b.factor), b.max)
	r := rand.Float64
	if b.rnd != nil {
		r = b.rnd
	}
	return time.Duration(float64(d) * (1 + b.jitter*(2*r()-1)))
}

// waitState is what one look at a target found.
type waitState struct {
	reached bool
	final   bool   // waiting cannot help
	what    string // "stopped", "running, not registered with Systems Manager yet", …
}

// waitTarget is one target's progress.
type waitTarget struct {
	t       *awsfacts.Target
	last    waitState
	elapsed time.Duration
}

func runWait(c *cli.Context) error {
	w, err := parseWaitOptions(c)
	if err != nil {
		return err
	}
	d := depsOf(c)
	stdout, stderr := d.stdout, d.stderr
	ctx := c.Context // Ctrl-C
	waitCtx, cancelWait := context.WithTimeout(ctx, w.timeout)
	defer cancelWait()

	base, clients, seam, err := waitEnv(waitCtx, d, w.check)
	if err != nil {
		return err
	}
	// Each look after the first asks AWS again: the view remembers what
	// it was told, a target not found included.
	fresh := func() *checks.Env {
		env := *base
		env.AWS = awsfacts.NewAWSEnv(clients)
		checkrun.SearchOtherRegions(&env, seam)
		return &env
	}
	targets, err := resolveForWait(waitCtx, base, fresh, w.check.run.Targets, stderr)
	if ctx.Err() != nil {
		return waitInterrupted()
	}
	if err != nil {
		return targetsError("wait", err)
	}

	start := time.Now()
	states := make([]*waitTarget, len(targets))
	var mu sync.Mutex // serialises stderr lines
	var wg sync.WaitGroup
	for i, t := range targets {
		states[i] = &waitTarget{t: t}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := waitPolling
			for {
				env := freshEnv(base, clients, t)
				st := pollTarget(waitCtx, env, t, w.goal)
				if waitCtx.Err() != nil && !st.reached {
					return // the look was cut short: keep what the last one said
				}
				ws := states[i]
				if st.what != ws.last.what || st.reached != ws.last.reached {
					mu.Lock()
					fmt.Fprintf(stderr, "wait: %s: %s\n", waitLabel(t), report.Visible(st.what))
					mu.Unlock()
				}
				ws.last, ws.elapsed = st, time.Since(start)
				if st.reached {
					return
				}
				if st.final {
					cancelWait() // the run cannot succeed: stop the others too
					return
				}
				select {
				case <-time.After(b.Next()):
				case <-waitCtx.Done():
					return
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return waitInterrupted()
	}

	var missed []*waitTarget
	for _, ws := range states {
		if !ws.last.reached {
			missed = append(missed, ws)
		}
	}
	if len(missed) == 0 {
		for _, ws := range states {
			fmt.Fprintf(stdout, "%s: %s after %s\n", waitLabel(ws.t), w.goal, ws.elapsed.Round(100*time.Millisecond))
		}
		return nil
	}

	// Waiting failed: the check report of the targets not reached says
	// why, with the fixes.
	var final []string
	var lines []string
	for _, ws := range missed {
		what := ws.last.what
		if what == "" {
			what = "no answer yet"
		}
		if ws.last.final {
			final = append(final, waitLabel(ws.t))
		}
		lines = append(lines, fmt.Sprintf("%s: %s", waitLabel(ws.t), report.Visible(what)))
	}
	rctx, cancel := context.WithTimeout(ctx, reportBudget)
	defer cancel()
	ro := w.check.run
	ro.Targets = nil
	for _, ws := range missed {
		ro.Targets = append(ro.Targets, ws.t.InstanceID)
	}
	ro.Checks.Verbose = w.check.verbose
	ro.ConnectTimeout = base.Sessions.ConnectTimeout
	ro.Seam, ro.Stderr = seam, io.Discard
	rts, err := checkrun.Run(rctx, ro, clients, nil)
	if err != nil {
		return targetsError("wait", err)
	}
	rep := report.Report{Version: version, GeneratedAt: time.Now(), Targets: rts}
	if ctx.Err() != nil {
		return waitInterrupted()
	}
	if err := writeReport(d, w.check, rep); err != nil {
		return internalErr("", err)
	}
	if len(final) > 0 {
		return &exitError{code: exitProblems, err: fmt.Errorf("wait: waiting cannot help: %s", strings.Join(lines, "; ")),
			hint: "the report above says what is wrong and how to fix it"}
	}
	return &exitError{code: exitProblems, err: fmt.Errorf("wait: not %s within %s: %s", w.goal, w.timeout, strings.Join(lines, "; ")),
		hint: "the report above says what is still missing; raise --timeout if the instance is only slow"}
}

// waitUnknownGrace is how long wait looks again for a target EC2 does not
// know: an instance launched a moment ago is not visible to every
// DescribeInstances at once (EC2 is eventually consistent), so
// `aws ec2 run-instances ... && ssmdoctor wait ID` must not fail on it.
var waitUnknownGrace = 60 * time.Second

// resolveForWait resolves the targets as check does; while one of them is
// not found it looks again on wait's schedule, for waitUnknownGrace at
// most, saying so once.
func resolveForWait(ctx context.Context, base *checks.Env, fresh func() *checks.Env, inputs []string, stderr io.Writer) ([]*awsfacts.Target, error) {
	deadline := time.Now().Add(waitUnknownGrace)
	b := waitPolling
	said := map[string]bool{}
	for env := base; ; env = fresh() {
		targets, err := checkrun.Resolve(ctx, env, inputs, nil, false)
		var nf *awsfacts.TargetNotFoundError
		if err == nil || !errors.As(err, &nf) || time.Now().After(deadline) {
			return targets, err
		}
		if !said[nf.Input] {
			said[nf.Input] = true
			fmt.Fprintf(stderr, "wait: %s: not known to EC2 yet (a new instance takes a moment to appear): looking again for up to %s\n",
				report.Visible(nf.Input), waitUnknownGrace)
		}
		select {
		case <-time.After(b.Next()):
		case <-ctx.Done():
			return nil, err
		}
	}
}

func waitInterrupted() error {
	return &exitError{code: exitInterrupted, err: errors.New("wait: interrupted")}
}

func waitLabel(t *awsfacts.Target) string {
	if t.Name != "" && t.Name != t.InstanceID {
		return t.InstanceID + " (" + t.Name + ")"
	}
	return t.InstanceID
}

// waitEnv builds what check builds: the AWS clients, the credentials
// probe, and the region search when --region was not given. Credentials
// that do not resolve end the wait at once: no waiting fixes them.
func waitEnv(ctx context.Context, d *deps, o checkOptions) (*checks.Env, *awsapi.Clients, checkrun.Seam, error) {
	ao := o.g.awsOptions(d.stderr)
	seam := checkrun.Seam{LookupEnv: d.lookupEnv, PasswdHome: d.passwdHome}
	clients, loadErr := d.loadAWS(ctx, ao)
	if loadErr != nil {
		if na := noAnswer("wait: ", loadErr); na != nil {
			return nil, nil, seam, na
		}
		return nil, nil, seam, internalErr("run 'ssmdoctor check' to diagnose the credentials and the region",
			visibleErr{fmt.Errorf("wait: load the AWS configuration: %w", loadErr)})
	}
	base := checkrun.NewEnv(o.run.Checks, clients, nil, seam)
	if _, err := base.Local.Creds(ctx); err != nil {
		return nil, nil, seam, &exitError{code: exitProblems, err: visibleErr{fmt.Errorf("wait: %w", err)},
			hint: "run 'ssmdoctor check' to diagnose the credentials"}
	}
	base.Sessions = checks.NewSessionOpener(clients.SSM, clients.KMS)
	base.Sessions.ConnectTimeout = ao.ConnectTimeout
	checkrun.SearchOtherRegions(base, seam)
	return base, clients, seam, nil
}

// freshEnv is a view of t's region with nothing remembered: every poll
// asks AWS again.
func freshEnv(base *checks.Env, clients *awsapi.Clients, t *awsfacts.Target) *checks.Env {
	env := *base
	cl := clients
	if t.Region != "" && t.Region != clients.Region {
		cl = clients.ForRegion(t.Region)
	}
	env.AWS = awsfacts.NewAWSEnv(cl)
	env.Sessions = checks.NewSessionOpener(cl.SSM, cl.KMS)
	env.Sessions.ConnectTimeout = base.Sessions.ConnectTimeout
	env.Target = t
	return &env
}

// pollTarget looks once at how far t is from goal, through the facts for
// the EC2 state and the registration, and through check's own session
// probe (with its prerequisites) for ssh.
func pollTarget(ctx context.Context, env *checks.Env, t *awsfacts.Target, goal string) waitState {
	if !t.Hybrid {
		inst, err := env.AWS.Instance(ctx, t.InstanceID)
		if err != nil {
			return lookFailed(err)
		}
		if inst == nil {
			return waitState{final: true, what: "the instance no longer exists"}
		}
		switch st := awsfacts.StateName(*inst); st {
		case "running":
		case "shutting-down", "terminated":
			return waitState{final: true, what: "the instance is " + st + ": it will not run again"}
		default:
			return waitState{what: st}
		}
		if goal == waitRunning {
			return waitState{reached: true, what: "running"}
		}
	}
	info, err := env.AWS.InstanceInformation(ctx, t.InstanceID)
	if err != nil {
		return lookFailed(err)
	}
	if info == nil {
		return waitState{what: "running, not registered with Systems Manager yet"}
	}
	if info.PingStatus != ssmtypes.PingStatusOnline {
		return waitState{what: fmt.Sprintf("registered, PingStatus %s", info.PingStatus)}
	}
	if goal != waitSSH {
		return waitState{reached: true, what: "online"}
	}
	outs := checks.Run(ctx, env, probeChecks(), checks.RunOptions{})
	for _, o := range outs {
		switch {
		case o.ID == "caller-start-session" && o.Result.Status == checks.StatusFail:
			return waitState{final: true, what: "you may not start a session: " + o.Result.Message}
		case o.ID == "session-probe" && o.Result.Status == checks.StatusPass:
			return waitState{reached: true, what: o.Result.Message}
		case o.ID == "session-probe" && strings.HasPrefix(o.Result.Message, "StartSession was denied"):
			return waitState{final: true, what: o.Result.Message}
		}
	}
	// Not yet: say what the first check that did not pass says.
	for _, o := range outs {
		if o.Result.Status == checks.StatusFail || o.Result.Status == checks.StatusError {
			return waitState{what: o.ID + ": " + o.Result.Message}
		}
	}
	return waitState{what: "online, no SSH banner yet"}
}

// lookFailed: a denied or rejected call cannot get better by waiting; any
// other failure (throttling, a network blip) is tried again.
func lookFailed(err error) waitState {
	switch awsfacts.Classify(err) {
	case awsfacts.Denied, awsfacts.Expired:
		return waitState{final: true, what: awsfacts.ConciseAPIError(err)}
	}
	return waitState{what: "could not look: " + awsfacts.ConciseAPIError(err)}
}

// probeChecks are session-probe and its prerequisites, in catalogue
// order.
func probeChecks() []checks.Check {
	all := checks.All()
	byID := map[string]checks.Check{}
	for _, c := range all {
		byID[c.ID()] = c
	}
	need := map[string]bool{}
	var add func(id string)
	add = func(id string) {
		if need[id] {
			return
		}
		need[id] = true
		if c, ok := byID[id]; ok {
			for _, dep := range c.DependsOn() {
				add(dep)
			}
		}
	}
	add("session-probe")
	var list []checks.Check
	for _, c := range all {
		if need[c.ID()] {
			list = append(list, c)
		}
	}
	return list
}
