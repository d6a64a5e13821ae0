// Package fixrun runs `ssmdoctor fix`: for one selector, or for each fix
// the checks offer, it plans, shows the plan and the principal it acts
// as, asks (through a function the command passes in, which owns the
// terminal), applies and re-runs the checks the fix answers. The command
// parses flags into Options, calls Run and renders what it returns.
package fixrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/checks/checkrun"
	"github.com/ssmdoctor/ssmdoctor/fix"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// Options are one `ssmdoctor fix` run.
type Options struct {
	// Selector is the fix asked for; "" runs the checks and offers each
	// fix they call for.
	Selector checks.FixID
	// Target is the instance as typed ("" for none), already validated
	// (awsfacts.ValidateTarget) and allowed for the selector.
	Target  string
	DryRun  bool // --dry-run: show, change nothing
	Yes     bool // --yes: apply without asking
	Profile string
	Region  string // --profile and --region as typed
	// Poll is the interval between reads while a fix waits.
	Poll       time.Duration
	Role       fix.RoleOptions       // --instance-role's
	UserPolicy fix.UserPolicyOptions // --user-policy's
	Via        string                // --ssh-config's ProxyCommand form

	Seam           checkrun.Seam
	Stdout, Stderr io.Writer
	// LoadAWS builds the AWS clients; Run calls it at most once.
	LoadAWS func(context.Context) (*awsapi.Clients, error)
	// Confirm asks whether to apply the plan titled title (not called
	// with Yes). Its errors end the run as they are: a refusal to ask
	// (no terminal), an interrupted prompt.
	Confirm func(ctx context.Context, title string) (bool, error)
}

// Result is what a run found at the end.
type Result struct {
	// Problems: a check the fix answers still fails (or, offering the
	// fixes, a check failed in the final run).
	Problems bool
	// Final is, when the fixes were offered, the final run of the checks
	// on the target, for the command to render; nil for one selector.
	Final *report.Target
}

// Run is one invocation of fix.
type Run struct {
	o        Options
	clients  *awsapi.Clients
	clientsE error
	loaded   bool
	// stage is what the run was doing, and applied whether any change was
	// attempted: an interrupt reports both.
	stage   string
	applied bool
	// actingAs is the principal and region line, once per run.
	actingAs string
}

// New prepares a run of o.
func New(o Options) *Run { return &Run{o: o, stage: "starting"} }

// Run runs the fix (or offers each) and reports the outcome. Its errors
// are *Error, *checkrun.TargetsError (the target did not resolve) or the
// Confirm function's own.
func (r *Run) Run(ctx context.Context) (Result, error) {
	var t *awsfacts.Target
	if r.o.Target != "" {
		var err error
		if t, err = r.resolve(ctx, r.o.Target); err != nil {
			return Result{}, err
		}
	}
	if r.o.Selector == "" {
		return r.interactive(ctx, t)
	}
	return r.one(ctx, r.o.Selector, t)
}

// Interrupted is the error of a run stopped by a signal: what it was
// doing and whether anything was applied.
func (r *Run) Interrupted() error {
	if !r.applied {
		return &Error{Kind: Interrupted, Err: fmt.Errorf("fix: interrupted %s: nothing was applied", r.stage)}
	}
	hint := "run the same fix again: it plans from what is there now"
	if r.stage == "while verifying" {
		hint = "the change was applied; run 'ssmdoctor check' to see whether it worked"
	}
	return &Error{Kind: Interrupted, Err: fmt.Errorf("fix: interrupted %s", r.stage), Hint: hint}
}

// load loads the AWS configuration and clients, once per run.
func (r *Run) load(ctx context.Context) error {
	if !r.loaded {
		r.loaded = true
		r.clients, r.clientsE = r.o.LoadAWS(ctx)
	}
	return r.clientsE
}

func (r *Run) aws(ctx context.Context) (*fix.AWS, error) {
	if err := r.load(ctx); err != nil {
		return nil, failed("run 'ssmdoctor check' to diagnose credentials and region", fmt.Errorf("fix: %w", err))
	}
	a := fix.NewAWS(r.clients)
	a.Poll = r.o.Poll
	return a, nil
}

// env builds a fresh check environment: fresh, so that checks after a fix
// do not answer from what was cached before it.
func (r *Run) env(ctx context.Context, t *awsfacts.Target) *checks.Env {
	r.load(ctx)
	env := checkrun.NewEnv(checks.Options{Profile: r.o.Profile, Region: r.o.Region, Port: 22}, r.clients, r.clientsE, r.o.Seam)
	env.Target = t
	return env
}

func (r *Run) resolve(ctx context.Context, target string) (*awsfacts.Target, error) {
	if _, err := r.aws(ctx); err != nil {
		return nil, err
	}
	env := r.env(ctx, nil)
	checkrun.SearchOtherRegions(env, r.o.Seam)
	ts, err := checkrun.Resolve(ctx, env, []string{target}, nil, false)
	if err != nil {
		return nil, err
	}
	// A fix acts in one region: an instance found elsewhere is named, not
	// changed from here.
	if t := ts[0]; env.AWS != nil && t.Region != "" && t.Region != env.AWS.Region {
		return nil, &Error{Kind: Problems, Err: fmt.Errorf("fix: %s is %s in %s, not in %s", awsfacts.QuoteInput(target), t.InstanceID, t.Region, env.AWS.Region),
			Hint: "run again with --region " + t.Region}
	}
	return ts[0], nil
}

// plan builds the plan of one selector.
func (r *Run) plan(ctx context.Context, sel checks.FixID, t *awsfacts.Target) (*fix.Plan, error) {
	row, ok := SelectorFor(sel)
	if !ok {
		return nil, usage("run ssmdoctor fix --help for the fixes", "fix: no fix named %q", sel)
	}
	if row.Target == TargetNone {
		return r.planSSHConfig()
	}
	if row.Target == TargetRequired && t == nil {
		return nil, usage("the form is: ssmdoctor fix --"+string(sel)+" TARGET", "fix: --%s needs a TARGET", sel)
	}
	a, err := r.aws(ctx)
	if err != nil {
		return nil, err
	}
	return row.Plan(ctx, &r.o, a, t)
}

func (r *Run) planSSHConfig() (*fix.Plan, error) {
	// Only what the user typed is written: --profile and --region, never
	// AWS_PROFILE or AWS_REGION, which hold whatever this shell holds
	// today (the command reads the command line alone). No --region: none
	// is pinned, and ssmdoctor proxy finds the instance in any region.
	profile, region := r.o.Profile, r.o.Region
	if profile != "" {
		if err := sshconfig.CheckProfile(profile); err != nil {
			return nil, usage("name a profile of letters, digits and . _ - + @ (rename it in ~/.aws/config if needed)", "fix --ssh-config: --profile: %v", err)
		}
	}
	if region != "" {
		if err := sshconfig.CheckRegion(region); err != nil {
			return nil, usage("give --region as a region name such as eu-west-1, or leave it out", "fix --ssh-config: --region: %v", err)
		}
	}
	// ssh reads ~/.ssh/config in the passwd entry's home, whatever $HOME
	// says: that is the file to edit.
	home, err := r.o.Seam.PasswdHome()
	if err != nil {
		return nil, failed("ssh reads ~/.ssh/config in the home directory of your passwd entry", fmt.Errorf("fix: %w", err))
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return nil, failed("", fmt.Errorf("fix: find the path of ssmdoctor: %w", err))
	}
	o := fix.SSHConfigOptions{Home: home, PasswdHome: home, Executable: exe, Via: r.o.Via, Profile: profile, Region: region}
	if h, err := os.UserHomeDir(); err == nil {
		o.EnvHome = h
	}
	if o.Via != fix.ViaNative && o.Via != fix.ViaAWSCLI {
		return nil, usage("native runs this binary as ProxyCommand; aws-cli runs aws ssm start-session", "fix: --via must be native or aws-cli, got %s", awsfacts.QuoteInput(o.Via))
	}
	return fix.PlanSSHConfig(o)
}

// one runs plan, show, confirm, apply and verify for a selector.
func (r *Run) one(ctx context.Context, sel checks.FixID, t *awsfacts.Target) (Result, error) {
	r.stage = "while planning"
	p, err := r.plan(ctx, sel, t)
	if err != nil {
		return Result{}, planError(sel, err)
	}
	if err := r.showActingAs(ctx, sel); err != nil {
		return Result{}, err
	}
	p.Show(r.o.Stdout)
	if p.Empty() {
		return Result{}, nil
	}
	if r.o.DryRun {
		fmt.Fprintln(r.o.Stdout, "dry run: nothing changed")
		return Result{}, nil
	}
	ok, err := r.confirm(ctx, p.Title)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		fmt.Fprintln(r.o.Stderr, "not applied")
		return Result{}, nil
	}
	if err := r.apply(ctx, p); err != nil {
		return Result{}, err
	}
	return Result{Problems: r.verify(ctx, sel, t)}, nil
}

// showActingAs prints, before the plan of a fix that changes the AWS
// account, the principal (sts:GetCallerIdentity) and the region it acts
// as: the credentials chosen by --profile or the environment, so a wrong
// profile is seen before anything is applied.
func (r *Run) showActingAs(ctx context.Context, sel checks.FixID) error {
	if row, _ := SelectorFor(sel); row.Target == TargetNone {
		return nil // a local file: no AWS principal acts
	}
	if r.actingAs == "" {
		a, err := r.aws(ctx)
		if err != nil {
			return err
		}
		id, err := a.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return failed("run 'ssmdoctor check' to diagnose credentials", fmt.Errorf("fix --%s: find who is acting: sts GetCallerIdentity: %w", sel, err))
		}
		r.actingAs = fmt.Sprintf("acting as %s in %s", aws.ToString(id.Arn), a.Region)
	}
	fmt.Fprintln(r.o.Stdout, r.actingAs)
	return nil
}

// apply runs p's steps and names the backups it made; a plan stopped
// half-way reports what was and was not done.
func (r *Run) apply(ctx context.Context, p *fix.Plan) error {
	r.stage, r.applied = "while applying", true
	err := p.Apply(ctx, r.o.Stderr)
	if err == nil {
		for _, s := range p.Steps {
			if fc, ok := s.(*fix.FileChange); ok && fc.Backup != "" {
				fmt.Fprintf(r.o.Stdout, "backup of %s: %s\n", fc.Shown, fc.Backup)
			}
		}
		return nil
	}
	var pe *fix.PartialError
	if errors.As(err, &pe) {
		pe.Report(r.o.Stderr)
	}
	return failed("run the same fix again to finish", fmt.Errorf("fix: %w", err))
}

// planError words a planning failure: a refusal (the account is not as
// the fix needs it) is the user's problem, anything else ours.
func planError(sel checks.FixID, err error) error {
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	if rf, ok := fix.IsRefusal(err); ok {
		return &Error{Kind: Problems, Err: fmt.Errorf("fix --%s: %s", sel, rf.What), Hint: rf.Hint}
	}
	return failed("", fmt.Errorf("fix --%s: %w", sel, err))
}

// confirm asks through Options.Confirm, unless --yes answered already.
func (r *Run) confirm(ctx context.Context, title string) (bool, error) {
	if r.o.Yes {
		return true, nil
	}
	r.stage = "at the prompt"
	return r.o.Confirm(ctx, title)
}

// verify re-runs the checks that called for sel, prints their results and
// reports whether one still fails.
func (r *Run) verify(ctx context.Context, sel checks.FixID, t *awsfacts.Target) bool {
	r.stage = "while verifying"
	row, _ := SelectorFor(sel)
	ids := row.Answers
	list := withPrerequisites(checks.ForTarget(checks.All(), t != nil), ids)
	outs := checks.Run(ctx, r.env(ctx, t), list, checks.RunOptions{})
	problems := false
	shown := 0
	for _, o := range outs {
		if !slices.Contains(ids, o.ID) {
			continue
		}
		shown++
		fmt.Fprintf(r.o.Stdout, "verify %s: %s: %s\n", o.ID, o.Result.Status, o.Result.Message)
		if o.Result.Status == checks.StatusFail {
			problems = true
		}
	}
	if shown == 0 {
		fmt.Fprintln(r.o.Stdout, "verify: name a TARGET to re-run the instance checks this fix answers")
	}
	return problems
}

// withPrerequisites keeps, in list order, the checks named in ids and the
// ones they depend on: verifying a fix needs no other check's API calls.
func withPrerequisites(list []checks.Check, ids []string) []checks.Check {
	return checks.Select(list, ids...)
}

// interactive runs the checks, offers each available fix in turn, then
// re-runs the checks for the final report.
func (r *Run) interactive(ctx context.Context, t *awsfacts.Target) (Result, error) {
	run := func() []checks.Outcome {
		r.stage = "while checking"
		return checks.Run(ctx, r.env(ctx, t), checks.ForTarget(checks.All(), t != nil), checks.RunOptions{})
	}
	var offered []checks.FixID
	for _, o := range run() {
		id := o.Result.FixID
		if id == "" || slices.Contains(offered, id) || (o.Result.Status != checks.StatusFail && o.Result.Status != checks.StatusWarn) {
			continue
		}
		offered = append(offered, id)
		fmt.Fprintf(r.o.Stdout, "%s: %s: %s\n", o.ID, o.Result.Status, o.Result.Message)
		r.stage = "while planning"
		p, err := r.plan(ctx, id, t)
		if err != nil {
			fmt.Fprintf(r.o.Stderr, "error: %v\n", planError(id, err))
			continue
		}
		if err := r.showActingAs(ctx, id); err != nil {
			return Result{}, err
		}
		p.Show(r.o.Stdout)
		if p.Empty() || r.o.DryRun {
			continue
		}
		ok, err := r.confirm(ctx, p.Title)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			continue
		}
		if err := r.apply(ctx, p); err != nil {
			return Result{}, err
		}
	}
	if len(offered) == 0 {
		fmt.Fprintln(r.o.Stdout, "no fix available: nothing the checks found has a fix")
	}
	final := report.Target{Checks: run()}
	if t != nil {
		final.Input, final.InstanceID, final.Region = t.Input, t.InstanceID, t.Region
	}
	return Result{Problems: checkrun.Problems(report.Report{Targets: []report.Target{final}}.Summarize(), false), Final: &final}, nil
}
