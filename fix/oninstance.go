package fix

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
)

// The fixes that run a script on the instance with Run Command
// (authorize_key.go, install_eic.go) look first with the read-only
// on-instance script, so that a state that already holds changes nothing.

const defaultCommandWait = 2 * time.Minute

func (a *AWS) commandWait() time.Duration {
	if a.CommandWait > 0 {
		return a.CommandWait
	}
	return defaultCommandWait
}

// runScript runs commands on the instance and returns its output; a run
// that did not succeed is an error naming the command and what the script
// said.
func (a *AWS) runScript(ctx context.Context, instanceID string, commands []string) (string, error) {
	if a.Commands == nil {
		return "", errors.New("no Run Command client")
	}
	run, err := awsfacts.RunShellScript(ctx, a.Commands, instanceID, commands, a.commandWait())
	if err != nil {
		return "", err
	}
	if run.Status != "Success" {
		msg := scriptError(run.Stdout)
		if msg == "" {
			msg = strings.TrimSpace(run.Stderr)
		}
		msg = clipMessage(msg, 300)
		return run.Stdout, fmt.Errorf("command %s ended %s: %s", run.CommandID, run.Status, msg)
	}
	return run.Stdout, nil
}

// scriptError is a script's "error=" line.
func scriptError(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "error="); ok {
			return v
		}
	}
	return ""
}

// look runs the read-only on-instance script for user (and port 22),
// reading sshd's configuration from config ("" for the default).
func (a *AWS) look(ctx context.Context, instanceID, user, config string) (*oninstance.Report, error) {
	if err := a.linuxNode(ctx, instanceID); err != nil {
		return nil, err
	}
	out, err := a.runScript(ctx, instanceID, oninstance.CheckCommands(user, 22, config))
	if err != nil {
		return nil, fmt.Errorf("look inside %s (read-only): %w", instanceID, err)
	}
	rep, err := oninstance.Parse(out)
	if err != nil {
		return nil, fmt.Errorf("look inside %s: %w", instanceID, err)
	}
	return rep, nil
}

// linuxNode refuses nodes Run Command cannot run the scripts on: not
// managed, not Online, or Windows.
func (a *AWS) linuxNode(ctx context.Context, id string) error {
	info, err := instanceInfo(ctx, a, id)
	if err != nil {
		return err
	}
	switch {
	case info == nil:
		return refuse("run: ssmdoctor check "+id, "%s is not a managed node: Run Command cannot reach it", id)
	case info.PingStatus != ssmtypes.PingStatusOnline:
		return refuse("run: ssmdoctor check "+id, "%s's agent is %s, not Online: Run Command cannot reach it", id, info.PingStatus)
	case info.PlatformType == ssmtypes.PlatformTypeWindows:
		return refuse("these fixes cover Linux instances", "%s runs Windows", id)
	}
	return nil
}

// sendCommandCall is the step that runs a script, shown as the call.
func sendCommandCall(a *AWS, instanceID, what, why string, commands []string, done func(out string) error) *Call {
	return &Call{Service: "ssm", Operation: "SendCommand",
		Params: []Param{{"InstanceIds", instanceID}, {"DocumentName", oninstance.Document}, {"Parameters.commands", what}},
		Why:    why,
		Do: func(ctx context.Context) error {
			out, err := a.runScript(ctx, instanceID, commands)
			if err != nil {
				return err
			}
			return done(out)
		}}
}

func scriptResult(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "result="); ok {
			return v
		}
	}
	return ""
}

// clipMessage cuts msg to at most n bytes, at a character boundary, and
// marks the cut.
func clipMessage(msg string, n int) string {
	if len(msg) <= n {
		return msg
	}
	for n > 0 && !utf8.RuneStart(msg[n]) {
		n--
	}
	return msg[:n] + "…"
}
