package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// deps is the seam between the commands and the world: what run()
// decides once, for every command, about the process it runs in. The
// global flags are read once per command (globals.go); everything else a
// command needs from outside comes from here, so that tests and the demo
// hand a command another world without touching the process's.
type deps struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// Whether each stream is a terminal, decided once. A character device
	// is not enough (/dev/null is one): x/term asks the terminal driver.
	// stdinTerminal is also "may prompt".
	stdinTerminal, stdoutTerminal, stderrTerminal bool
	// lookupEnv reads the environment the commands see (NO_COLOR, TERM,
	// AWS_PROFILE for messages, the local checks' variables).
	lookupEnv func(string) (string, bool)
	// passwdHome is the home directory of the user's passwd entry: the one
	// OpenSSH reads ~/.ssh/config from, whatever $HOME says.
	passwdHome func() (string, error)
	// loadAWS builds the AWS clients: the SDK's default chain, or for the
	// demo the simulator's.
	loadAWS func(context.Context, awsapi.Options) (*awsapi.Clients, error)
	// answers reads the replies to prompts (readAnswer).
	answers *bufio.Reader
}

// systemDeps is the real world of a process with these streams.
func systemDeps(stdin io.Reader, stdout, stderr io.Writer) *deps {
	return &deps{
		stdin: stdin, stdout: stdout, stderr: stderr,
		stdinTerminal:  isTerminal(stdin),
		stdoutTerminal: isTerminal(stdout),
		stderrTerminal: isTerminal(stderr),
		lookupEnv:      os.LookupEnv,
		passwdHome:     sshconfig.PasswdHome,
		loadAWS:        awsapi.Load,
	}
}

// adjustDeps, when set (by tests only), changes the world run() builds
// before any command sees it: a fake terminal, a fake passwd home.
var adjustDeps func(*deps)

func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (d *deps) getenv(k string) string {
	v, _ := d.lookupEnv(k)
	return v
}

// useColor decides colour for stdout: a terminal, no --no-color, no
// NO_COLOR, not TERM=dumb.
func (d *deps) useColor(noColorFlag bool) bool {
	return d.stdoutTerminal && !noColorFlag && d.getenv("NO_COLOR") == "" && d.getenv("TERM") != "dumb"
}

const depsKey = "ssmdoctor.deps"

// depsOf is the seam a command runs with.
func depsOf(c *cli.Context) *deps {
	if d, ok := c.App.Metadata[depsKey].(*deps); ok {
		return d
	}
	return systemDeps(c.App.Reader, c.App.Writer, c.App.ErrWriter)
}

// readAnswer reads one line typed at stdin, awaited together with ctx: an
// interrupt (or --timeout) ends the wait at once with ctx's error, and a
// line that arrives once ctx has ended is never taken as an answer
// (errLateAnswer). One buffered reader
// serves every prompt of the process, so an answer typed ahead for a
// later prompt is not lost in the buffer of an earlier one.
func (d *deps) readAnswer(ctx context.Context) (string, error) {
	if d.answers == nil {
		d.answers = bufio.NewReader(d.stdin)
	}
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1) // buffered: a reader left behind never blocks
	go func() {
		line, err := d.answers.ReadString('\n')
		got <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-got:
		if ctx.Err() != nil {
			return "", errLateAnswer
		}
		return a.line, nil
	}
}

// errLateAnswer is a line read after the prompt's context ended.
var errLateAnswer = errors.New("answer after the prompt ended")
