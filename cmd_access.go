package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/access"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

func accessCommand() *cli.Command {
	return &cli.Command{
		Name:      "access",
		Usage:     "who may open an SSH session on an instance, or where a principal may",
		ArgsUsage: "TARGET | --principal user/NAME|role/NAME",
		Description: "Reads every IAM user, group, role and managed policy (iam:GetAccountAuthorizationDetails),\n" +
			"evaluates each principal and confirms with iam:SimulatePrincipalPolicy. Exit status: 0 the report\n" +
			"was produced, 1 a principal named by --fail-if-allowed can connect, 2 usage error, 3 the report\n" +
			"could not be produced.",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "principal", Usage: "list the instances `user/NAME or role/NAME` may reach, instead of a TARGET's principals"},
			&cli.StringFlag{Name: "document", Usage: "the session `DOCUMENT` connections start", Value: access.DefaultDocument},
			&cli.BoolFlag{Name: "ephemeral-key", Usage: "connections push one-time keys: ec2-instance-connect:SendSSHPublicKey for --user is needed too"},
			&cli.StringFlag{Name: "user", Usage: "with --ephemeral-key: the OS user keys are pushed for", Value: "ec2-user"},
			&cli.StringFlag{Name: "format", Usage: "output format: " + strings.Join(report.Formats(report.KindAccess), ", "), Value: "human"},
			&cli.StringFlag{Name: "output", Usage: "write the report to `FILE` instead of stdout"},
			&cli.StringSliceFlag{Name: "fail-if-allowed", Usage: "exit 1 when this principal (`ARN`, or user/NAME, role/NAME) can connect (repeatable)"},
			&cli.BoolFlag{Name: "no-simulate", Usage: "do not confirm with iam:SimulatePrincipalPolicy (the built-in evaluator alone)"},
			&cli.BoolFlag{Name: "deterministic", Hidden: true},
		),
		Action: runAccess,
	}
}

type accessOptions struct {
	target, principal, document string
	ephemeral                   bool
	osUser                      string
	format, output              string
	failIfAllowed               []string
	simulate                    bool
	deterministic               bool
	g                           globals
}

var (
	// IAM user and role names: letters, digits and +=,.@_- (at most 64).
	principalRE = regexp.MustCompile(`^(user|role)/[\w+=,.@-]{1,64}$`)
	// IAM principal ARNs (a path may precede the name).
	principalArnRE = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:(user|role)/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
)

func parseAccessOptions(c *cli.Context) (accessOptions, error) {
	g, err := readGlobals(c)
	if err != nil {
		return accessOptions{}, err
	}
	o := accessOptions{
		principal: c.String("principal"), document: c.String("document"), ephemeral: c.Bool("ephemeral-key"),
		osUser: c.String("user"), format: c.String("format"), output: c.String("output"),
		failIfAllowed: c.StringSlice("fail-if-allowed"), simulate: !c.Bool("no-simulate"),
		deterministic: c.Bool("deterministic"), g: g,
	}
	args := c.Args().Slice()
	switch {
	case len(args) > 1:
		return o, usageErr("give one TARGET, or --principal", "access: %d targets given; access takes one", len(args))
	case len(args) == 1 && o.principal != "":
		return o, usageErr("give a TARGET (who may reach it) or --principal (what it may reach), not both", "access: TARGET and --principal are mutually exclusive")
	case len(args) == 0 && o.principal == "":
		return o, usageErr("for example: ssmdoctor access i-0123456789abcdef0, or ssmdoctor access --principal user/alice", "access: give a TARGET or --principal")
	case len(args) == 1:
		o.target = args[0]
		if err := awsfacts.ValidateTarget(o.target); err != nil {
			return o, usageErr(targetHint, "access: %v", err)
		}
	}
	if o.principal != "" && !principalRE.MatchString(o.principal) {
		return o, usageErr("the form is --principal user/NAME or role/NAME", "access: malformed --principal %s", quoteShort(o.principal))
	}
	if _, err := report.Lookup(report.KindAccess, o.format); err != nil {
		return o, usageErr("use one of: "+strings.Join(report.Formats(report.KindAccess), ", "), "access: %v", err)
	}
	if !documentRE.MatchString(o.document) {
		return o, usageErr(documentHint, "access: malformed --document %s", quoteShort(o.document))
	}
	if len(o.osUser) > 32 || !osUserRE.MatchString(o.osUser) {
		return o, usageErr("an OS user name: a letter or _, then letters, digits, . _ -, at most 32 characters", "access: malformed --user %s", quoteShort(o.osUser))
	}
	for _, a := range o.failIfAllowed {
		if !principalRE.MatchString(a) && !principalArnRE.MatchString(a) {
			return o, usageErr("an IAM user or role ARN (arn:aws:iam::123456789012:user/alice), or user/NAME, role/NAME", "access: malformed --fail-if-allowed %s", quoteShort(a))
		}
	}
	return o, nil
}

func runAccess(c *cli.Context) error {
	o, err := parseAccessOptions(c)
	if err != nil {
		return err
	}
	d := depsOf(c)
	stderr := d.stderr
	ctx, cancel := o.g.bound(c.Context)
	defer cancel()

	clients, err := loadClients(ctx, d, o.g.awsOptions(stderr))
	if err != nil {
		return err
	}
	env := awsfacts.NewAWSEnv(clients)
	if o.target != "" {
		env, _ = proxyEnv(clients, o.g, clients.Region, d.getenv)
	}
	caller, err := env.CallerIdentity(ctx)
	if err != nil {
		return accessFailure(ctx, o, "read who you are", err)
	}
	setup := access.Setup{Partition: caller.Partition, Account: caller.Account, Region: clients.Region, Document: o.document,
		OneTimeKeys: o.ephemeral}
	if o.ephemeral {
		setup.OSUser = o.osUser
	}

	// The target first: a typo should not cost the account's whole listing.
	var target *access.Instance
	if o.target != "" {
		t, err := awsfacts.ResolveTarget(ctx, env, o.target)
		if err != nil {
			return accessTargetError(o.target, err)
		}
		tenv := env
		if t.Region != "" && t.Region != env.Region {
			tenv = awsfacts.NewAWSEnv(clients.ForRegion(t.Region))
		}
		if target, err = accessInstance(ctx, tenv, t); err != nil {
			return accessFailure(ctx, o, "describe "+t.InstanceID, err)
		}
		setup.Region = t.Region
		env = tenv
	}
	var notes []string
	key, unused, note := access.SessionKMSKey(ctx, env, o.document)
	setup.KMSKeyID, setup.UnusedKMSKeyID = key, unused
	if note != "" {
		notes = append(notes, note)
	}

	acct, err := access.ReadAccount(ctx, clients.IAM)
	if err != nil {
		return accessFailure(ctx, o, "read the account's principals", err)
	}
	ao := access.Options{Simulate: o.simulate}
	var rep *access.Report
	if target != nil {
		rep, err = access.ForInstance(ctx, clients.IAM, acct, setup, target, ao)
	} else {
		p := acct.Find(o.principal)
		if p == nil {
			return &exitError{code: exitInternal, err: fmt.Errorf("access: %s is not a principal of account %s", o.principal, caller.Account),
				hint: "user/NAME or role/NAME as IAM spells it (case matters); the account is the one your credentials reach"}
		}
		var fleet []*access.Instance
		if fleet, err = accessFleet(ctx, env); err != nil {
			return accessFailure(ctx, o, "list the fleet", err)
		}
		rep, err = access.ForPrincipal(ctx, clients.IAM, acct, p, setup, fleet, ao)
	}
	if err != nil {
		return accessFailure(ctx, o, "simulate", err)
	}
	rep.NotVisible = append(rep.NotVisible, notes...)

	for _, a := range o.failIfAllowed {
		if acct.Find(a) == nil {
			fmt.Fprintf(stderr, "warning: --fail-if-allowed %s is not a principal of account %s\n", report.Visible(a), caller.Account)
		}
	}
	if err := writeAccessReport(d, o, rep); err != nil {
		return internalErr("", err)
	}
	if allowed := rep.Allowed(o.failIfAllowed); len(allowed) > 0 {
		return &exitError{code: exitProblems, err: fmt.Errorf("access: --fail-if-allowed: %s can connect", strings.Join(allowed, ", "))}
	}
	return nil
}

// accessInstance is the target with its tags, which policies scope
// sessions by. Hybrid nodes' tags are not read (they are not EC2's).
func accessInstance(ctx context.Context, env *awsfacts.AWSEnv, t *awsfacts.Target) (*access.Instance, error) {
	in := &access.Instance{ID: t.InstanceID, Name: t.Name, Region: t.Region, Hybrid: t.Hybrid}
	if t.Hybrid {
		return in, nil
	}
	inst, err := env.Instance(ctx, t.InstanceID)
	if err != nil {
		return nil, err
	}
	if inst != nil {
		for _, tg := range inst.Tags {
			in.Tags = append(in.Tags, access.Tag{Key: aws.ToString(tg.Key), Value: aws.ToString(tg.Value)})
		}
	}
	return in, nil
}

// accessFleet is every instance of the region, as check --all lists it.
func accessFleet(ctx context.Context, env *awsfacts.AWSEnv) ([]*access.Instance, error) {
	ts, err := awsfacts.ResolveTargets(ctx, env, nil, nil, true)
	if err != nil {
		return nil, err
	}
	out := make([]*access.Instance, 0, len(ts))
	for _, t := range ts {
		in, err := accessInstance(ctx, env, t)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// accessTargetError is targetError with access's codes: the report could
// not be produced (3), never 1, which --fail-if-allowed owns.
func accessTargetError(target string, err error) error {
	e := targetError(target, err)
	var ee *exitError
	if errors.As(e, &ee) && ee.code == exitProblems {
		ee.code = exitInternal
	}
	return e
}

// accessFailure explains why the report could not be produced (exit 3),
// naming the call and what to do.
func accessFailure(ctx context.Context, o accessOptions, what string, err error) error {
	if na := noAnswer("access: ", err); na != nil {
		return na
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return internalErr("raise --timeout, or leave it at 0 for no overall limit", fmt.Errorf("access: --timeout %s ran out (%s)", o.g.timeout, what))
	}
	call := awsfacts.FailedCall(err)
	if awsfacts.Classify(err) == awsfacts.Denied && call != "" {
		hint := "grant " + call + " to the principal you run as (the AWS managed policy SecurityAudit has it), or run as one that has it"
		if call == "iam:GetAccountAuthorizationDetails" {
			hint = "access reads every principal with iam:GetAccountAuthorizationDetails: grant it (SecurityAudit and ReadOnlyAccess have it) or run as a principal that has it"
		}
		return internalErr(hint, visibleErr{fmt.Errorf("access: cannot %s: %s is denied (%s)", what, call, awsfacts.ConciseAPIError(err))})
	}
	return internalErr("run: ssmdoctor check (credentials, region, permissions)", visibleErr{fmt.Errorf("access: cannot %s: %w", what, err)})
}

func writeAccessReport(d *deps, o accessOptions, rep *access.Report) error {
	return writeOutput(d, o.output, o.g.noColor, func(w io.Writer, color bool) error {
		ro := report.Options{Color: color, Detail: o.g.verbose, Deterministic: o.deterministic}
		ar := report.AccessReport{Version: version, GeneratedAt: time.Now(), Report: rep}
		if err := report.WriteAccess(w, o.format, ar, ro); err != nil {
			return fmt.Errorf("write %s report: %w", o.format, err)
		}
		return nil
	})
}
