package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/checks/checkrun"
	"github.com/ssmdoctor/ssmdoctor/fix"
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

// fixRun holds what every fix of one invocation shares.
type fixRun struct {
	d     *deps // the seam: terminals, passwd home, AWS clients
	c     *cli.Context
	stdin io.Reader
	// answers reads the replies to every prompt of the run: one buffered
	// reader, so an answer typed ahead for a later prompt is not lost in
	// the buffer of an earlier one.
	answers  *bufio.Reader
	stdout   io.Writer
	stderr   io.Writer
	dryRun   bool
	yes      bool
	profile  string
	region   string
	g        globals // the global flags, read once
	clients  *awsapi.Clients
	clientsE error
	// stage is what the run was doing, and applied whether any change was
	// attempted: an interrupt reports both.
	stage   string
	applied bool
	// actingAs is the principal and region line, once per run.
	actingAs string
}

// errPromptInterrupted ends a prompt whose context ended before an answer.
var errPromptInterrupted = errors.New("interrupted at the prompt")

// targetUse says what a fix selector does with a TARGET.
type targetUse int

const (
	targetNone     targetUse = iota // serves every instance: a TARGET is a usage error
	targetOptional                  // acts on the account; a TARGET names what to verify
	targetRequired                  // acts on the instance its flag names
)

// fixSelector is one way to run `ssmdoctor fix`: the flag that chooses it
// (its FixID), what it does with a TARGET, the checks it answers (re-run
// afterwards to verify) and how it plans.
type fixSelector struct {
	id      checks.FixID
	target  targetUse
	answers []string
	plan    func(ctx context.Context, r *fixRun, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error)
}

// fixSelectors is the one table of fixes, in the order they are offered.
// Every checks.FixID has a row (TestFixSelectorsTable).
var fixSelectors = []fixSelector{
	{checks.FixSSHConfig, targetNone, []string{"ssh-config"}, nil}, // planned without AWS: planSSHConfig
	{checks.FixInstanceRole, targetRequired, []string{"instance-profile", "instance-role-permissions"},
		func(ctx context.Context, r *fixRun, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanInstanceRole(ctx, a, t.InstanceID, fix.RoleOptions{RoleName: r.c.String("role-name"), ProfileName: r.c.String("profile-name"), Replace: r.c.Bool("replace")})
		}},
	{checks.FixUserPolicy, targetOptional, []string{"caller-start-session", "caller-session-lifecycle", "caller-read-permissions"},
		func(ctx context.Context, r *fixRun, a *fix.AWS, _ *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanUserPolicy(ctx, a, fix.UserPolicyOptions{Attach: r.c.String("attach"), Instances: r.c.StringSlice("instances"), Tag: r.c.String("tag"), OSUser: r.c.String("os-user")})
		}},
	{checks.FixDHMC, targetOptional, []string{"instance-profile"},
		func(ctx context.Context, _ *fixRun, a *fix.AWS, _ *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanDHMC(ctx, a)
		}},
	{checks.FixHybridTier, targetOptional, []string{"instance-hybrid-tier"},
		func(ctx context.Context, _ *fixRun, a *fix.AWS, _ *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanHybridTier(ctx, a)
		}},
	{checks.FixVPCEndpoints, targetRequired, []string{"instance-network"},
		func(ctx context.Context, _ *fixRun, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanVPCEndpoints(ctx, a, t.InstanceID)
		}},
	{checks.FixStart, targetRequired, []string{"instance-exists", "instance-registered"},
		func(ctx context.Context, _ *fixRun, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanStart(ctx, a, t.InstanceID)
		}},
}

// selectorFor returns the row of id; ok is false for an id no row has.
func selectorFor(id checks.FixID) (fixSelector, bool) {
	for _, s := range fixSelectors {
		if s.id == id {
			return s, true
		}
	}
	return fixSelector{}, false
}

func runFix(c *cli.Context) error {
	g, err := readGlobals(c)
	if err != nil {
		return err
	}
	r := &fixRun{stage: "starting", c: c, d: depsOf(c), stdin: c.App.Reader, answers: bufio.NewReader(c.App.Reader), stdout: c.App.Writer, stderr: c.App.ErrWriter,
		dryRun: c.Bool("dry-run"), yes: c.Bool("yes"),
		profile: g.profile, region: g.region, g: g}
	ctx := c.Context
	if d := g.timeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	err = r.run(ctx)
	// An interrupt (the command's own context, cancelled by SIGINT or
	// SIGTERM) ends the run with 130 whatever stage it reached: the
	// prompt, a call, a wait, the verification.
	if c.Context.Err() != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.code == exitUsage {
			return err
		}
		return r.interrupted()
	}
	if errors.Is(err, errPromptInterrupted) {
		return internalErr("give --timeout more time, or answer sooner", fmt.Errorf("fix: --timeout ran out at the prompt: nothing was applied"))
	}
	return err
}

// interrupted is the error of a run stopped by a signal.
func (r *fixRun) interrupted() error {
	if !r.applied {
		return &exitError{code: exitInterrupted, err: fmt.Errorf("fix: interrupted %s: nothing was applied", r.stage)}
	}
	hint := "run the same fix again: it plans from what is there now"
	if r.stage == "while verifying" {
		hint = "the change was applied; run 'ssmdoctor check' to see whether it worked"
	}
	return &exitError{code: exitInterrupted, err: fmt.Errorf("fix: interrupted %s", r.stage), hint: hint}
}

func (r *fixRun) run(ctx context.Context) error {
	c := r.c
	if err := r.validate(); err != nil {
		return err
	}
	var chosen []string
	for _, s := range fixSelectors {
		if c.IsSet(string(s.id)) {
			chosen = append(chosen, string(s.id))
		}
	}
	if len(chosen) > 1 {
		return usageErr("run one fix at a time, or 'ssmdoctor fix [TARGET]' to be offered each", "fix: choose one of --%s", strings.Join(chosen, ", --"))
	}
	if c.NArg() > 1 {
		return usageErr("fix one instance at a time: ssmdoctor fix [TARGET]", "fix: at most one TARGET, got %d", c.NArg())
	}
	if len(chosen) == 0 {
		return r.interactive(ctx, c.Args().First())
	}
	row, _ := selectorFor(checks.FixID(chosen[0]))
	sel := row.id
	target := ""
	if row.target == targetRequired {
		target = c.String(string(sel))
	}
	if row.target == targetNone && c.NArg() > 0 {
		return usageErr("run 'ssmdoctor fix --ssh-config' alone: the ssh config serves every instance", "fix: --ssh-config takes no TARGET, got %q", c.Args().First())
	}
	switch {
	case row.target == targetNone:
		// it serves every instance; verified against a sample one
	case row.target == targetOptional:
		target = c.Args().First() // optional: the instance to verify against
	case c.NArg() > 0:
		return usageErr("the form is: ssmdoctor fix --"+string(sel)+" TARGET", "fix: --%s names its target; extra argument %s", sel, quoteShort(c.Args().First()))
	}
	var t *awsfacts.Target
	if target != "" {
		var err error
		if t, err = r.resolve(ctx, target); err != nil {
			return err
		}
	}
	code, err := r.one(ctx, sel, t)
	if err != nil {
		return err
	}
	return codeOnly(code)
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

// validate refuses malformed fix flags before anything is read or asked:
// each is a usage error (exit 2) naming the form expected.
func (r *fixRun) validate() error {
	c := r.c
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
	if c.IsSet("role-name") && !roleNameRE.MatchString(c.String("role-name")) {
		return usageErr("a role name is 1-64 letters, digits and + = , . @ _ -", "fix: --role-name %s is not a valid IAM role name", sshconfig.Shorten(c.String("role-name")))
	}
	if c.IsSet("profile-name") && !profileNameRE.MatchString(c.String("profile-name")) {
		return usageErr("an instance profile name is 1-128 letters, digits and + = , . @ _ -", "fix: --profile-name %s is not a valid IAM instance profile name", sshconfig.Shorten(c.String("profile-name")))
	}
	return nil
}

// load loads the AWS configuration and clients, once per run.
func (r *fixRun) load(ctx context.Context) error {
	if r.clients == nil && r.clientsE == nil {
		o := r.g.awsOptions(r.stderr)
		r.clients, r.clientsE = r.d.loadAWS(ctx, o)
	}
	return r.clientsE
}

func (r *fixRun) aws(ctx context.Context) (*fix.AWS, error) {
	if err := r.load(ctx); err != nil {
		return nil, internalErr("run 'ssmdoctor check' to diagnose credentials and region", fmt.Errorf("fix: %w", err))
	}
	a := fix.NewAWS(r.clients)
	a.Poll = r.c.Duration("poll")
	return a, nil
}

// env builds a fresh check environment: fresh, so that checks after a fix
// do not answer from what was cached before it.
func (r *fixRun) env(ctx context.Context, t *awsfacts.Target) *checks.Env {
	r.load(ctx)
	env := checkrun.NewEnv(checks.Options{Profile: r.profile, Region: r.region, Port: 22}, r.clients, r.clientsE, r.seam())
	env.Target = t
	return env
}

func (r *fixRun) seam() checkrun.Seam {
	return checkrun.Seam{LookupEnv: r.d.lookupEnv, PasswdHome: r.d.passwdHome}
}

func (r *fixRun) resolve(ctx context.Context, target string) (*awsfacts.Target, error) {
	if err := awsfacts.ValidateTarget(target); err != nil {
		return nil, usageErr(targetHint, "fix: %v", err)
	}
	if _, err := r.aws(ctx); err != nil {
		return nil, err
	}
	env := r.env(ctx, nil)
	checkrun.SearchOtherRegions(env, r.seam())
	return resolveFixTarget(ctx, env, target)
}

func resolveFixTarget(ctx context.Context, env *checks.Env, target string) (*awsfacts.Target, error) {
	ts, err := checkrun.Resolve(ctx, env, []string{target}, nil, false)
	if err != nil {
		return nil, targetsError("fix", err)
	}
	// A fix acts in one region: an instance found elsewhere is named, not
	// changed from here.
	if t := ts[0]; env.AWS != nil && t.Region != "" && t.Region != env.AWS.Region {
		return nil, &exitError{code: exitProblems, err: fmt.Errorf("fix: %s is %s in %s, not in %s", awsfacts.QuoteInput(target), t.InstanceID, t.Region, env.AWS.Region),
			hint: "run again with --region " + t.Region}
	}
	return ts[0], nil
}

// plan builds the plan of one selector.
func (r *fixRun) plan(ctx context.Context, sel checks.FixID, t *awsfacts.Target) (*fix.Plan, error) {
	row, ok := selectorFor(sel)
	if !ok {
		return nil, usageErr("run ssmdoctor fix --help for the fixes", "fix: no fix named %q", sel)
	}
	if row.target == targetNone {
		return r.planSSHConfig()
	}
	if row.target == targetRequired && t == nil {
		return nil, usageErr("the form is: ssmdoctor fix --"+string(sel)+" TARGET", "fix: --%s needs a TARGET", sel)
	}
	a, err := r.aws(ctx)
	if err != nil {
		return nil, err
	}
	return row.plan(ctx, r, a, t)
}

func (r *fixRun) planSSHConfig() (*fix.Plan, error) {
	// Only what the user typed is written: --profile and --region, never
	// AWS_PROFILE or AWS_REGION, which hold whatever this shell holds
	// today (readGlobals reads the command line alone). No --region: none
	// is pinned, and ssmdoctor proxy finds the instance in any region.
	profile, region := r.profile, r.region
	if profile != "" {
		if err := sshconfig.CheckProfile(profile); err != nil {
			return nil, usageErr("name a profile of letters, digits and . _ - + @ (rename it in ~/.aws/config if needed)", "fix --ssh-config: --profile: %v", err)
		}
	}
	if region != "" {
		if err := sshconfig.CheckRegion(region); err != nil {
			return nil, usageErr("give --region as a region name such as eu-west-1, or leave it out", "fix --ssh-config: --region: %v", err)
		}
	}
	// ssh reads ~/.ssh/config in the passwd entry's home, whatever $HOME
	// says: that is the file to edit.
	home, err := r.d.passwdHome()
	if err != nil {
		return nil, internalErr("ssh reads ~/.ssh/config in the home directory of your passwd entry", fmt.Errorf("fix: %w", err))
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return nil, internalErr("", fmt.Errorf("fix: find the path of ssmdoctor: %w", err))
	}
	o := fix.SSHConfigOptions{Home: home, PasswdHome: home, Executable: exe, Via: r.c.String("via"), Profile: profile, Region: region}
	if h, err := os.UserHomeDir(); err == nil {
		o.EnvHome = h
	}
	if o.Via != fix.ViaNative && o.Via != fix.ViaAWSCLI {
		return nil, usageErr("native runs this binary as ProxyCommand; aws-cli runs aws ssm start-session", "fix: --via must be native or aws-cli, got %s", quoteShort(o.Via))
	}
	return fix.PlanSSHConfig(o)
}

// one runs plan, show, confirm, apply and verify for a selector and
// returns the exit code.
func (r *fixRun) one(ctx context.Context, sel checks.FixID, t *awsfacts.Target) (int, error) {
	r.stage = "while planning"
	p, err := r.plan(ctx, sel, t)
	if err != nil {
		return 0, r.planError(sel, err)
	}
	if err := r.showActingAs(ctx, sel); err != nil {
		return 0, err
	}
	p.Show(r.stdout)
	if p.Empty() {
		return exitOK, nil
	}
	if r.dryRun {
		fmt.Fprintln(r.stdout, "dry run: nothing changed")
		return exitOK, nil
	}
	ok, err := r.confirm(ctx, p.Title)
	if err != nil {
		return 0, err
	}
	if !ok {
		fmt.Fprintln(r.stderr, "not applied")
		return exitOK, nil
	}
	if err := r.apply(ctx, p); err != nil {
		return 0, err
	}
	return r.verify(ctx, sel, t), nil
}

// showActingAs prints, before the plan of a fix that changes the AWS
// account, the principal (sts:GetCallerIdentity) and the region it acts
// as: the credentials chosen by --profile or the environment, so a wrong
// profile is seen before anything is applied.
func (r *fixRun) showActingAs(ctx context.Context, sel checks.FixID) error {
	if row, _ := selectorFor(sel); row.target == targetNone {
		return nil // a local file: no AWS principal acts
	}
	if r.actingAs == "" {
		a, err := r.aws(ctx)
		if err != nil {
			return err
		}
		id, err := a.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return internalErr("run 'ssmdoctor check' to diagnose credentials", fmt.Errorf("fix --%s: find who is acting: sts GetCallerIdentity: %w", sel, err))
		}
		r.actingAs = fmt.Sprintf("acting as %s in %s", aws.ToString(id.Arn), a.Region)
	}
	fmt.Fprintln(r.stdout, r.actingAs)
	return nil
}

// apply runs p's steps and names the backups it made; a plan stopped
// half-way reports what was and was not done.
func (r *fixRun) apply(ctx context.Context, p *fix.Plan) error {
	r.stage, r.applied = "while applying", true
	err := p.Apply(ctx, r.stderr)
	if err == nil {
		for _, s := range p.Steps {
			if fc, ok := s.(*fix.FileChange); ok && fc.Backup != "" {
				fmt.Fprintf(r.stdout, "backup of %s: %s\n", fc.Shown, fc.Backup)
			}
		}
		return nil
	}
	var pe *fix.PartialError
	if errors.As(err, &pe) {
		pe.Report(r.stderr)
	}
	return internalErr("run the same fix again to finish", fmt.Errorf("fix: %w", err))
}

func (r *fixRun) planError(sel checks.FixID, err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if rf, ok := fix.IsRefusal(err); ok {
		return &exitError{code: exitProblems, err: fmt.Errorf("fix --%s: %s", sel, rf.What), hint: rf.Hint}
	}
	return internalErr("", fmt.Errorf("fix --%s: %w", sel, err))
}

// confirm asks on the terminal; without one, only --yes proceeds. The
// answer is awaited together with ctx: an interrupt (or --timeout) ends the
// prompt at once, and a line typed afterwards is never read as an answer.
func (r *fixRun) confirm(ctx context.Context, title string) (bool, error) {
	if r.yes {
		return true, nil
	}
	if !r.d.stdinTerminal {
		return false, usageErr("re-run with --yes to apply, or --dry-run to only look", "fix: refusing to change anything without confirmation: stdin is not a terminal")
	}
	r.stage = "at the prompt"
	fmt.Fprintf(r.stderr, "apply %s? [y/N] ", title)
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1) // buffered: a reader left behind never blocks
	go func() {
		line, err := r.answers.ReadString('\n')
		got <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(r.stderr)
		return false, errPromptInterrupted
	case a := <-got:
		if ctx.Err() != nil {
			return false, errPromptInterrupted
		}
		s := strings.ToLower(strings.TrimSpace(a.line))
		return s == "y" || s == "yes", nil
	}
}

// verify re-runs the checks that called for sel and prints their results.
func (r *fixRun) verify(ctx context.Context, sel checks.FixID, t *awsfacts.Target) int {
	r.stage = "while verifying"
	row, _ := selectorFor(sel)
	ids := row.answers
	env := r.env(ctx, t)
	list := withPrerequisites(checks.ForTarget(checks.All(), t != nil), ids)
	outs := checks.Run(ctx, env, list, checks.RunOptions{})
	code := exitOK
	shown := 0
	for _, o := range outs {
		if !slices.Contains(ids, o.ID) {
			continue
		}
		shown++
		fmt.Fprintf(r.stdout, "verify %s: %s: %s\n", o.ID, o.Result.Status, o.Result.Message)
		if o.Result.Status == checks.StatusFail {
			code = exitProblems
		}
	}
	if shown == 0 {
		fmt.Fprintln(r.stdout, "verify: name a TARGET to re-run the instance checks this fix answers")
	}
	return code
}

// withPrerequisites keeps, in list order, the checks named in ids and the
// ones they depend on: verifying a fix needs no other check's API calls.
func withPrerequisites(list []checks.Check, ids []string) []checks.Check {
	return checks.Select(list, ids...)
}

// interactive runs the checks, offers each available fix in turn, then
// re-runs the checks and prints the final report.
func (r *fixRun) interactive(ctx context.Context, target string) error {
	var t *awsfacts.Target
	if target != "" {
		var err error
		if t, err = r.resolve(ctx, target); err != nil {
			return err
		}
	}
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
		fmt.Fprintf(r.stdout, "%s: %s: %s\n", o.ID, o.Result.Status, o.Result.Message)
		r.stage = "while planning"
		p, err := r.plan(ctx, id, t)
		if err != nil {
			fmt.Fprintf(r.stderr, "error: %v\n", r.planError(id, err))
			continue
		}
		if err := r.showActingAs(ctx, id); err != nil {
			return err
		}
		p.Show(r.stdout)
		if p.Empty() || r.dryRun {
			continue
		}
		ok, err := r.confirm(ctx, p.Title)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := r.apply(ctx, p); err != nil {
			return err
		}
	}
	if len(offered) == 0 {
		fmt.Fprintln(r.stdout, "no fix available: nothing the checks found has a fix")
	}
	rep := report.Report{Version: version, GeneratedAt: time.Now(), Targets: []report.Target{{Checks: run()}}}
	if t != nil {
		rep.Targets[0].Input, rep.Targets[0].InstanceID, rep.Targets[0].Region = t.Input, t.InstanceID, t.Region
	}
	ro := report.Options{Color: r.d.useColor(r.g.noColor)}
	if err := report.Write(r.stdout, "human", rep, ro); err != nil {
		return internalErr("", fmt.Errorf("fix: write report: %w", err))
	}
	return codeOnly(checkExitCode(rep.Summarize(), false))
}
