// Package checks holds the diagnostics: the Check contract, the runner that
// orders and times them, and one file per check named after its ID.
package checks

import (
	"context"
	"fmt"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// Status is the outcome of one check. StatusError means "could not
// determine" (a permission or call failed), never "your setup is wrong".
type Status string

const (
	StatusPass  Status = "pass"
	StatusWarn  Status = "warn"
	StatusFail  Status = "fail"
	StatusSkip  Status = "skip"
	StatusError Status = "error"
)

// Layer groups checks in the report, in the order a connection traverses them.
type Layer string

const (
	LayerLocal    Layer = "local"
	LayerCaller   Layer = "caller"
	LayerInstance Layer = "instance"
	LayerSession  Layer = "session"
)

// Layers lists every layer in report order.
func Layers() []Layer { return []Layer{LayerLocal, LayerCaller, LayerInstance, LayerSession} }

// Result is data; checks never print.
type Result struct {
	Status  Status
	Message string   // one line
	Details []string // more lines
	Fix     string   // the exact command the user can paste (may be empty)
	FixID   FixID    // the `ssmdoctor fix` selector that repairs it (may be NoFix)
	Missing string   // for StatusError: the permission or call that failed
}

// Check is one diagnostic. IDs are stable kebab-case: they appear in JSON,
// JUnit and --skip, so renaming one breaks users' CI.
type Check interface {
	ID() string
	Title() string
	Layer() Layer
	// DependsOn names checks that must not fail, error or skip for this one
	// to run; they must come earlier in the list.
	DependsOn() []string
	Timeout() time.Duration
	Run(ctx context.Context, env *Env) Result
}

// New adapts a function to Check.
func New(id, title string, layer Layer, deps []string, timeout time.Duration, run func(ctx context.Context, env *Env) Result) Check {
	return &funcCheck{id: id, title: title, layer: layer, deps: deps, timeout: timeout, run: run}
}

type funcCheck struct {
	id, title string
	layer     Layer
	deps      []string
	timeout   time.Duration
	run       func(ctx context.Context, env *Env) Result
}

func (c *funcCheck) ID() string                               { return c.id }
func (c *funcCheck) Title() string                            { return c.title }
func (c *funcCheck) Layer() Layer                             { return c.layer }
func (c *funcCheck) DependsOn() []string                      { return c.deps }
func (c *funcCheck) Timeout() time.Duration                   { return c.timeout }
func (c *funcCheck) Run(ctx context.Context, env *Env) Result { return c.run(ctx, env) }

// Env is everything a check may read. Shared facts come from memoized
// accessors on Local and AWS, never from fields another check wrote.
type Env struct {
	Target  *Target // nil when no target was given: only local and caller checks run
	Options Options
	Local   *LocalEnv        // workstation seams (exec, env vars, files, ssh -G)
	AWS     *awsfacts.AWSEnv // nil when AWS configuration could not be loaded
	// Sessions opens real sessions for --probe; nil when AWS configuration
	// could not be loaded.
	Sessions *SessionOpener
}

// Target is a resolved instance.
type Target = awsfacts.Target

// Options are the user's choices that change what the checks look at.
type Options struct {
	OSUser    string        // --user; empty: the ssh config's or the AMI default
	Port      int           // --port
	Probe     bool          // --probe: open a real session and read the SSH banner
	ProbeWait time.Duration // --probe-timeout: StartSession to banner; zero means 10 s
	Ephemeral bool          // one-time keys through EC2 Instance Connect
	Profile   string        // --profile as given (for hints such as `aws sso login --profile X`)
	Region    string        // --region as given
	// Document is the session document the user will start: what
	// caller-start-session evaluates. "" is AWS-StartSSHSession.
	Document string
	Verbose  bool // --verbose: results may carry raw SDK errors in their details
	// Forward: the session forwards ports (ssmdoctor forward), so the agent
	// version check judges multiplexing rather than SSH support alone.
	Forward bool
}

// SessionDocument is the document sessions are started with.
func (o Options) SessionDocument() string {
	if o.Document == "" {
		return sshDocument
	}
	return o.Document
}

// Outcome is one check's result as the runner saw it.
type Outcome struct {
	ID, Title string
	Layer     Layer
	Result    Result
	Duration  time.Duration
}

// Helpers for the common result shapes.

func Pass(format string, a ...any) Result {
	return Result{Status: StatusPass, Message: fmt.Sprintf(format, a...)}
}

func Warn(format string, a ...any) Result {
	return Result{Status: StatusWarn, Message: fmt.Sprintf(format, a...)}
}

func Fail(format string, a ...any) Result {
	return Result{Status: StatusFail, Message: fmt.Sprintf(format, a...)}
}

func Skip(format string, a ...any) Result {
	return Result{Status: StatusSkip, Message: fmt.Sprintf(format, a...)}
}

// Undetermined reports that the answer could not be obtained; missing names
// the permission or call to ask for.
func Undetermined(missing, format string, a ...any) Result {
	return Result{Status: StatusError, Message: fmt.Sprintf(format, a...), Missing: missing}
}

// WithFix returns r with a pasteable command and the fix selector.
func (r Result) WithFix(command string, fixID FixID) Result {
	r.Fix, r.FixID = command, fixID
	return r
}

// WithDetails returns r with extra lines appended.
func (r Result) WithDetails(lines ...string) Result {
	r.Details = append(append([]string(nil), r.Details...), lines...)
	return r
}
