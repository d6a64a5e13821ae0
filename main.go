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

// version is stamped by the release build (-ldflags "-X main.version=...").
var version = "0.1.0-dev"

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
	app := newApp(stdin, stdout, stderr)
	// urfave/cli only calls a hook for an unknown command and then
	// succeeds; keep the error so it ends with a usage exit code.
	var unknown error
	app.CommandNotFound = func(_ *cli.Context, name string) {
		unknown = usageErr("run 'ssmdoctor --help' for the commands", "unknown command %q", name)
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

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
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
			fixCommand(),
			sshCommand(),
			scpCommand(),
			proxyCommand(),
			demoCommand(),
			simCommand(),
		},
	}
	return app
}

// globalFlags are accepted before the command and by every command.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Usage: "AWS shared config profile", EnvVars: []string{"AWS_PROFILE"}},
		&cli.StringFlag{Name: "region", Usage: "AWS region", EnvVars: []string{"AWS_REGION", "AWS_DEFAULT_REGION"}},
		&cli.BoolFlag{Name: "no-color", Usage: "disable colour (also NO_COLOR)"},
		&cli.BoolFlag{Name: "verbose", Usage: "print progress and API calls to stderr"},
		&cli.DurationFlag{Name: "timeout", Usage: "overall time limit", Value: 0},
		connectTimeoutFlag(),
	}
}
