// Command ssmdoctor diagnoses, repairs and uses SSH over AWS Systems Manager
// Session Manager.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes. They are part of the public interface (README "Exit codes").
const (
	exitOK       = 0 // nothing failed
	exitProblems = 1 // a check failed (or a remote command's status, for ssh)
	exitUsage    = 2 // bad flags, bad target, a fix that needs confirmation
	exitInternal = 3 // ssmdoctor itself could not do its job
)

// version is stamped by the release build (-ldflags "-X main.version=...");
// unstamped, cmd_version.go sets it from the toolchain's build information.
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries an exit code and an optional hint line to the edge,
// where it is rendered once.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(hint string, format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...), hint: hint}
}

func internalErr(hint string, err error) error {
	return &exitError{code: exitInternal, err: err, hint: hint}
}

// codeOnly ends the command with a code and nothing more to print (the
// command already rendered its result).
func codeOnly(code int) error { return &exitError{code: code} }

// run is the whole program; main only exits with its result.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	d := systemDeps(stdin, stdout, stderr)
	if adjustDeps != nil {
		adjustDeps(d)
	}
	return runWith(ctx, args, d)
}

// runWith runs the program in the world d (the demo runs check in its
// simulated one).
func runWith(ctx context.Context, args []string, d *deps) int {
	stderr := d.stderr
	app := newApp(d)
	// urfave/cli only calls a hook for an unknown command and then
	// succeeds; keep the error so it ends with a usage exit code.
	var unknown error
	app.CommandNotFound = func(_ *cli.Context, name string) {
		hint := "run 'ssmdoctor --help' for the commands"
		if s := suggestCommand(app, name); s != "" {
			hint = fmt.Sprintf("did you mean 'ssmdoctor %s'? (run 'ssmdoctor --help' for the commands)", s)
		}
		unknown = usageErr(hint, "unknown command %s", quoteShort(name))
	}
	err := app.RunContext(ctx, flagsFirst(app, args))
	if unknown != nil {
		err = unknown
	}
	return renderError(stderr, err)
}

func renderError(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "error: %v\n", ee.err)
		}
		if ee.hint != "" {
			fmt.Fprintf(stderr, "hint: %s\n", ee.hint)
		}
		return ee.code
	}
	// urfave/cli reports flag and argument problems as plain errors.
	fmt.Fprintf(stderr, "error: %v\n", err)
	fmt.Fprintln(stderr, "hint: run 'ssmdoctor --help' for usage")
	return exitUsage
}

func newApp(d *deps) *cli.App {
	stdin, stdout, stderr := d.stdin, d.stdout, d.stderr
	app := &cli.App{
		Metadata:             map[string]any{depsKey: d},
		Name:                 "ssmdoctor",
		Usage:                "diagnose, fix and use SSH through AWS Systems Manager Session Manager",
		Version:              version,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: false,
		HideHelpCommand:      true,
		Flags:                globalFlags(),
		// Never let urfave/cli call os.Exit: run maps errors to codes.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, isSub bool) error {
			return usageErr("run 'ssmdoctor --help' for usage", "%v", err)
		},
		Commands: []*cli.Command{
			checkCommand(),
			accessCommand(),
			fixCommand(),
			sshCommand(),
			shellCommand(),
			scpCommand(),
			proxyCommand(),
			forwardCommand(),
			demoCommand(),
			simCommand(),
			sessionsCommand(),
			versionCommand(),
			waitCommand(),
			completionCommand(),
		},
	}
	// A usage error is one error line and a hint on stderr, never the
	// help text on stdout: stdout is proxy's session channel and the file
	// a user sources for sim.
	for _, cmd := range app.Commands {
		if cmd.OnUsageError == nil {
			name := cmd.Name
			cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
				return usageErr(fmt.Sprintf("run 'ssmdoctor %s --help' for usage", name), "%s: %v", name, err)
			}
		}
	}
	return app
}

// suggestCommand returns the command nearest to a mistyped name (at most
// two edits away), or "".
func suggestCommand(app *cli.App, name string) string {
	best, bestD := "", 3
	for _, cmd := range app.Commands {
		if d := editDistance(strings.ToLower(name), cmd.Name); d < bestD {
			best, bestD = cmd.Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, with a transposition counted
// as one edit ("chekc" is one from "check").
func editDistance(a, b string) int {
	if len(a) > 64 {
		return len(a) // no command name is that long
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// globalFlags are accepted before the command and by every command.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		// No EnvVars: the SDK reads AWS_PROFILE and AWS_REGION itself, and a
		// flag typed on the command line must beat them (see globals.go).
		&cli.StringFlag{Name: "profile", Usage: "AWS shared config profile (default: AWS_PROFILE, else default)"},
		&cli.StringFlag{Name: "region", Usage: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's)"},
		&cli.BoolFlag{Name: "no-color", Usage: "disable colour (also NO_COLOR)"},
		&cli.BoolFlag{Name: "verbose", Usage: "print progress and API calls to stderr"},
		&cli.DurationFlag{Name: "timeout", Usage: "overall time limit", Value: 0},
		connectTimeoutFlag(),
	}
}
