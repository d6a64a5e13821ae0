package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// sessionsCommand lists Session Manager sessions (who connected where, and
// when) and ends one.
func sessionsCommand() *cli.Command {
	return &cli.Command{
		Name:      "sessions",
		Usage:     "list Session Manager sessions, active and past, or end one (--terminate)",
		ArgsUsage: "[TARGET]",
		Description: "Lists ssm:DescribeSessions: owner, target and its Name, kind (ssh, port-forwarding, shell, ...),\n" +
			"start, end, status and reason. Without --active or --history, both.\n" +
			"Exit codes: 0 listed (or terminated), 1 no such target or session, or termination declined,\n" +
			"2 usage, 3 AWS failed (the permission is named), 130 interrupted at the prompt.",
		Flags: append(globalFlags(),
			&cli.BoolFlag{Name: "active", Usage: "only sessions open now"},
			&cli.BoolFlag{Name: "history", Usage: "only sessions that ended (AWS keeps them for 30 days)"},
			&cli.StringFlag{Name: "since", Usage: "only sessions started within this long, e.g. 90m, 12h, 7d"},
			&cli.StringFlag{Name: "owner", Usage: "only sessions started by this IAM ARN (user, role or assumed-role session)"},
			&cli.StringFlag{Name: "format", Usage: "output format: " + strings.Join(report.SessionFormats(), ", "), Value: "human"},
			&cli.StringFlag{Name: "terminate", Usage: "end the active session with this id (shown and confirmed first)"},
			&cli.BoolFlag{Name: "yes", Usage: "with --terminate: do not ask"},
		),
		Action: runSessions,
	}
}

type sessionsOpts struct {
	target    string
	states    []ssmtypes.SessionState
	since     time.Duration
	owner     string
	format    string
	terminate string
	yes       bool
}

// sessionIDPattern is what a session id may hold: the owner's user or role
// session name (IAM allows letters, digits and +=,.@_-) and a hex suffix.
var sessionIDPattern = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,96}$`)

// ownerPattern is an IAM ARN of any partition.
var ownerPattern = regexp.MustCompile(`^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+$`)

func sessionsOptions(c *cli.Context) (sessionsOpts, error) {
	o := sessionsOpts{owner: c.String("owner"), format: c.String("format"), terminate: c.String("terminate"), yes: c.Bool("yes")}
	switch c.NArg() {
	case 0:
	case 1:
		o.target = c.Args().First()
		if err := validateTarget(o.target); err != nil {
			return o, err
		}
	default:
		return o, usageErr("give at most one TARGET: ssmdoctor sessions [TARGET]", "sessions: %d targets given, want at most one", c.NArg())
	}
	if !slices.Contains(report.SessionFormats(), o.format) {
		return o, usageErr("use one of: "+strings.Join(report.SessionFormats(), ", "), "sessions: unknown --format %s", quoteShort(o.format))
	}
	active, history := c.Bool("active"), c.Bool("history")
	if active && history {
		return o, usageErr("leave both out to list both", "sessions: --active and --history exclude each other")
	}
	switch {
	case active:
		o.states = []ssmtypes.SessionState{ssmtypes.SessionStateActive}
	case history:
		o.states = []ssmtypes.SessionState{ssmtypes.SessionStateHistory}
	default:
		o.states = []ssmtypes.SessionState{ssmtypes.SessionStateActive, ssmtypes.SessionStateHistory}
	}
	if s := c.String("since"); s != "" {
		d, err := parseSince(s)
		if err != nil {
			return o, usageErr("give a duration such as 90m, 12h or 7d", "sessions: invalid --since %s: %v", quoteShort(s), err)
		}
		o.since = d
	}
	if o.owner != "" && !ownerPattern.MatchString(o.owner) {
		return o, usageErr("give the owner's IAM ARN, e.g. arn:aws:iam::123456789012:user/alice (the OWNER column shows them)",
			"sessions: invalid --owner %s", quoteShort(o.owner))
	}
	if o.terminate != "" {
		if !sessionIDPattern.MatchString(o.terminate) {
			return o, usageErr("give a session id as listed by ssmdoctor sessions --active", "sessions: invalid session id %s", quoteShort(o.terminate))
		}
		if o.target != "" || active || history || o.since != 0 || o.owner != "" {
			return o, usageErr("ssmdoctor sessions --terminate SESSION_ID [--yes]", "sessions: --terminate takes a session id alone, without TARGET, --active, --history, --since or --owner")
		}
	} else if o.yes {
		return o, usageErr("--yes confirms --terminate", "sessions: --yes without --terminate")
	}
	return o, nil
}

// parseSince reads a Go duration, or a whole number of days ("7d").
func parseSince(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 3650 {
			return 0, errors.New("days must be a whole number from 0 to 3650")
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("not a duration")
		}
	}
	if d <= 0 {
		return 0, errors.New("must be more than 0")
	}
	return d, nil
}

func runSessions(c *cli.Context) error {
	g, err := readGlobals(c)
	if err != nil {
		return err
	}
	o, err := sessionsOptions(c)
	if err != nil {
		return err
	}
	d := depsOf(c)
	ctx, cancel := g.bound(c.Context)
	defer cancel()
	cl, err := loadClients(ctx, d, g.awsOptions(c.App.ErrWriter))
	if err != nil {
		return err
	}
	if o.terminate != "" {
		return terminateSession(ctx, d, cl, o)
	}
	env := awsfacts.NewAWSEnv(cl)
	targetID := ""
	if o.target != "" {
		var t *awsfacts.Target
		if cl, env, t, err = targetClients(ctx, d, g, cl, o.target); err != nil {
			return err
		}
		targetID = t.InstanceID
	}
	rep := report.Sessions{Region: cl.Region}
	var since time.Time
	if o.since > 0 {
		since = time.Now().Add(-o.since)
	}
	var all []awsfacts.Session
	for _, st := range o.states {
		list, err := awsfacts.ListSessions(ctx, cl.SSM, awsfacts.SessionQuery{State: st, Target: targetID, Owner: o.owner, Since: since})
		if err != nil {
			return awsFailure("list sessions", err)
		}
		rep.States = append(rep.States, strings.ToLower(string(st)))
		all = append(all, list...)
	}
	ids := make([]string, 0, len(all))
	for _, s := range all {
		ids = append(ids, s.Target)
	}
	// The names only decorate the list: a caller who may not describe
	// instances still gets the sessions.
	names, nerr := env.InstanceNames(ctx, ids)
	if nerr != nil {
		fmt.Fprintf(c.App.ErrWriter, "warning: no instance names: %v\n", report.Visible(awsfacts.ConciseAPIError(nerr)))
	}
	for _, s := range all {
		rep.Rows = append(rep.Rows, sessionRow(s, names[s.Target]))
	}
	if err := report.WriteSessions(c.App.Writer, o.format, rep); err != nil {
		return internalErr("check that stdout can be written", fmt.Errorf("sessions: write the %s list: %w", o.format, err))
	}
	return nil
}

func sessionRow(s awsfacts.Session, name string) report.SessionRow {
	return report.SessionRow{SessionID: s.ID, State: strings.ToLower(string(s.State)), Owner: s.Owner, Target: s.Target, TargetName: name,
		Kind: string(s.Kind), Document: s.Document, Start: s.Start, End: s.End, Status: s.Status, Reason: s.Reason}
}

// awsFailure is a failed AWS call as exit 3, naming the permission.
func awsFailure(what string, err error) error {
	if na := noAnswer(what+": ", err); na != nil {
		return na
	}
	call := awsfacts.FailedCall(err)
	hint := "check your credentials and network: run: ssmdoctor check"
	if awsfacts.Classify(err) == awsfacts.Denied && call != "" {
		hint = "the caller needs the IAM permission " + call + "; ask an administrator to allow it"
	}
	if call != "" {
		return internalErr(hint, visibleErr{fmt.Errorf("%s: %s failed: %s", what, call, awsfacts.ConciseAPIError(err))})
	}
	return internalErr(hint, visibleErr{fmt.Errorf("%s: %s", what, awsfacts.ConciseAPIError(err))})
}

// terminateSession shows the session, asks (unless --yes), then ends it.
func terminateSession(ctx context.Context, d *deps, cl *awsapi.Clients, o sessionsOpts) error {
	stdout, stderr := d.stdout, d.stderr
	find := func(st ssmtypes.SessionState) (*awsfacts.Session, error) {
		list, err := awsfacts.ListSessions(ctx, cl.SSM, awsfacts.SessionQuery{State: st, SessionID: o.terminate})
		if err != nil || len(list) == 0 {
			return nil, err
		}
		return &list[0], nil
	}
	s, err := find(ssmtypes.SessionStateActive)
	if err != nil {
		return awsFailure("look up session "+o.terminate, err)
	}
	if s == nil {
		h, err := find(ssmtypes.SessionStateHistory)
		if err != nil {
			return awsFailure("look up session "+o.terminate, err)
		}
		if h != nil {
			fmt.Fprintf(stdout, "session %s already ended: %s at %s\n", o.terminate, report.Visible(h.Status), h.End.UTC().Format(time.RFC3339))
			return nil
		}
		return &exitError{code: exitProblems, err: fmt.Errorf("no session %s in %s", o.terminate, cl.Region),
			hint: "ssmdoctor sessions --active lists the open ones (--region for another region)"}
	}
	env := awsfacts.NewAWSEnv(cl)
	names, _ := env.InstanceNames(ctx, []string{s.Target})
	rep := report.Sessions{Region: cl.Region, States: []string{"active"}, Rows: []report.SessionRow{sessionRow(*s, names[s.Target])}}
	if err := report.WriteSessions(stdout, "human", rep); err != nil {
		return internalErr("check that stdout can be written", err)
	}
	if !o.yes {
		if !d.stdinTerminal {
			return usageErr("re-run with --yes to terminate it", "sessions: refusing to terminate without confirmation: stdin is not a terminal")
		}
		ok, err := confirmLine(ctx, d, stderr, "terminate session "+o.terminate+"?")
		if errors.Is(err, errPromptInterrupted) {
			if ctx.Err() == context.DeadlineExceeded {
				return internalErr("give --timeout more time, or answer sooner", errors.New("sessions: --timeout ran out at the prompt: nothing was terminated"))
			}
			return &exitError{code: exitInterrupted, err: errors.New("sessions: interrupted at the prompt: nothing was terminated")}
		}
		if !ok {
			fmt.Fprintln(stderr, "not terminated")
			return codeOnly(exitProblems)
		}
	}
	if err := awsfacts.TerminateSession(ctx, cl.SSM, o.terminate); err != nil {
		return awsFailure("terminate session "+o.terminate, err)
	}
	fmt.Fprintf(stdout, "terminated session %s\n", o.terminate)
	return nil
}

// confirmLine asks question on w and reads a y/N answer through the seam
// (deps.readAnswer); ctx ending (Ctrl-C, --timeout) ends the prompt at
// once with errPromptInterrupted.
func confirmLine(ctx context.Context, d *deps, w io.Writer, question string) (bool, error) {
	fmt.Fprintf(w, "%s [y/N] ", question)
	line, err := d.readAnswer(ctx)
	if err != nil {
		if !errors.Is(err, errLateAnswer) {
			fmt.Fprintln(w)
		}
		return false, errPromptInterrupted
	}
	s := strings.ToLower(strings.TrimSpace(line))
	return s == "y" || s == "yes", nil
}
