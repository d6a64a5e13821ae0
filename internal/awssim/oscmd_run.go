package awssim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/oninstance/script"
)

// The simulated agent runs only ssmdoctor's own scripts, recognised byte
// for byte by their SHA-256 (what `check --on-instance-script` prints),
// with the positional parameters a first line `set -- 'a' 'b'` gives
// them; anything else fails as a real shell would not, with a clear
// stderr, so that a script changed without the simulator cannot pass.

type scriptKind int

const (
	scriptOnInstance scriptKind = iota + 1
	scriptAuthorizeKey
	scriptInstallEIC
)

var knownScripts = map[string]scriptKind{
	script.SHA256(script.OnInstance()):   scriptOnInstance,
	script.SHA256(script.AuthorizeKey()): scriptAuthorizeKey,
	script.SHA256(script.InstallEIC()):   scriptInstallEIC,
}

// commandOutcome is what a run printed and returned.
type commandOutcome struct {
	stdout, stderr string
	code           int
}

// runCommands runs AWS-RunShellScript's commands on the instance's OS at
// now; with realShell, for real on this machine. Under s.mu.
func runCommands(inst *Instance, commands []string, now time.Time, realShell ...string) commandOutcome {
	text := strings.Join(commands, "\n")
	first, body, _ := strings.Cut(text, "\n")
	args, err := parseSetLine(first)
	if err != nil {
		body = text
		args = nil
	}
	kind, ok := knownScripts[script.SHA256([]byte(body))]
	if !ok {
		return commandOutcome{code: 1, stderr: "ssmdoctor simulator: the simulated agent runs only ssmdoctor's own scripts; this one's SHA-256 is " +
			script.SHA256([]byte(body)) + ", which matches none (ssmdoctor check --on-instance-script prints the script it runs)\n"}
	}
	if len(realShell) > 0 && realShell[0] != "" {
		return runForReal(realShell[0], text)
	}
	o := osOf(inst)
	switch kind {
	case scriptOnInstance:
		return commandOutcome{stdout: o.onInstanceOutput(args, now)}
	case scriptAuthorizeKey:
		out, code := o.authorizeKey(args)
		return commandOutcome{stdout: out, code: code}
	default:
		out, code := o.installEIC()
		return commandOutcome{stdout: out, code: code}
	}
}

// parseSetLine reads `set -- 'a' 'b' …` as sh would, with the words
// split as splitCommand splits a command line.
func parseSetLine(line string) ([]string, error) {
	rest, ok := strings.CutPrefix(line, "set --")
	if !ok {
		return nil, errors.New("no set line")
	}
	return splitCommand(rest)
}

// runForReal runs the script text with shell, as the agent does (the
// commands joined into one file), within a minute.
func runForReal(shell, text string) commandOutcome {
	dir, err := os.MkdirTemp("", "ssmdoctor-sim-agent-")
	if err != nil {
		return commandOutcome{code: 1, stderr: err.Error() + "\n"}
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "_script.sh")
	if err := os.WriteFile(f, []byte(text+"\n"), 0o700); err != nil {
		return commandOutcome{code: 1, stderr: err.Error() + "\n"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, f)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		code = 1
		errb.WriteString(err.Error() + "\n")
	}
	return commandOutcome{stdout: out.String(), stderr: errb.String(), code: code}
}
