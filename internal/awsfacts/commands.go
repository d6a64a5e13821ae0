package awsfacts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// CommandAPI is Run Command as the on-instance checks and the fixes that
// run a script use it. The SDK's SSM client has it; a view whose SSM
// client lacks it cannot run commands.
type CommandAPI interface {
	SendCommand(context.Context, *ssm.SendCommandInput, ...func(*ssm.Options)) (*ssm.SendCommandOutput, error)
	GetCommandInvocation(context.Context, *ssm.GetCommandInvocationInput, ...func(*ssm.Options)) (*ssm.GetCommandInvocationOutput, error)
}

// ShellDocument is the document every script is sent with.
const ShellDocument = "AWS-RunShellScript"

// CommandRun is one command's invocation on one instance, as
// GetCommandInvocation last reported it.
type CommandRun struct {
	CommandID     string
	InstanceID    string
	Status        string // Success, Failed, TimedOut, Cancelled, …
	StatusDetails string
	ResponseCode  int32
	Stdout        string
	Stderr        string
	// Start and End are the service's clock for the execution (zero when
	// not reported).
	Start, End time.Time
}

// ErrCommandPending: the deadline came before the command finished.
var ErrCommandPending = errors.New("the command did not finish in time")

// CommandPendingError says how far the command got before the deadline.
type CommandPendingError struct {
	CommandID, Status string
	Waited            time.Duration
}

func (e *CommandPendingError) Error() string {
	return fmt.Sprintf("command %s still %s after %s", e.CommandID, e.Status, e.Waited.Round(time.Second))
}

func (e *CommandPendingError) Unwrap() error { return ErrCommandPending }

// commandTerminal are the invocation statuses that do not change again.
var commandTerminal = map[string]bool{
	"Success": true, "Failed": true, "TimedOut": true, "Cancelled": true,
	"DeliveryTimedOut": true, "ExecutionTimedOut": true, "Undeliverable": true,
	"Terminated": true, "InvalidPlatform": true, "AccessDenied": true,
}

// RunShellScript sends commands to instance with AWS-RunShellScript and
// polls GetCommandInvocation until the invocation ends or wait runs out
// (then a *CommandPendingError). It is not remembered: the fixes change
// the instance with it. OnInstance is the remembered form.
func (e *AWSEnv) RunShellScript(ctx context.Context, instance string, commands []string, wait time.Duration) (*CommandRun, error) {
	api, ok := e.ssm.(CommandAPI)
	if !ok {
		return nil, callErr("ssm:SendCommand", errors.New("this client cannot run commands"))
	}
	return RunShellScript(ctx, api, instance, commands, wait)
}

// RunShellScript is the method's work on any Run Command client (the
// fixes have their own).
func RunShellScript(ctx context.Context, api CommandAPI, instance string, commands []string, wait time.Duration) (*CommandRun, error) {
	start := time.Now()
	deadline := start.Add(wait)
	out, err := api.SendCommand(ctx, sendCommandInput([]string{instance}, commands, wait))
	if err != nil {
		return nil, callErr("ssm:SendCommand", err)
	}
	id := aws.ToString(out.Command.CommandId)
	run := &CommandRun{CommandID: id, InstanceID: instance, Status: "Pending"}
	poll := newCommandPoll(deadline)
	for {
		if err := poll.wait(ctx); err != nil {
			return nil, callErr("ssm:GetCommandInvocation", err)
		}
		inv, err := api.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: aws.String(id), InstanceId: aws.String(instance)})
		switch {
		case ErrorCode(err) == "InvocationDoesNotExist":
			// Just sent: the invocation is not listed yet.
		case err != nil:
			return nil, callErr("ssm:GetCommandInvocation", err)
		default:
			run = invocationRun(id, instance, inv)
			if run.terminal() {
				return run, nil
			}
		}
		if poll.over() {
			return nil, &CommandPendingError{CommandID: id, Status: run.Status, Waited: time.Since(start)}
		}
	}
}

// commandPoll is the pauses between Run Command polls, a single run's and
// a batch's alike: from 0.2 s, doubling to 2 s, never past the deadline.
type commandPoll struct {
	pause    time.Duration
	deadline time.Time
}

func newCommandPoll(deadline time.Time) *commandPoll {
	return &commandPoll{pause: 200 * time.Millisecond, deadline: deadline}
}

// wait sleeps the next pause, or returns the context's error when it ends
// first.
func (p *commandPoll) wait(ctx context.Context) error {
	t := time.NewTimer(min(p.pause, time.Until(p.deadline)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	p.pause = min(p.pause*2, 2*time.Second)
	return nil
}

// over: the deadline has come.
func (p *commandPoll) over() bool { return !time.Now().Before(p.deadline) }

// sendCommandInput is the SendCommand request for commands on ids, bounded
// by wait.
func sendCommandInput(ids, commands []string, wait time.Duration) *ssm.SendCommandInput {
	// The agent's own limit: a few seconds beyond ours, so that a script
	// stuck on the instance ends there too.
	exec := int(wait.Seconds()) + 5
	return &ssm.SendCommandInput{
		DocumentName: aws.String(ShellDocument),
		InstanceIds:  ids,
		Parameters: map[string][]string{
			"commands":         commands,
			"executionTimeout": {fmt.Sprint(exec)},
		},
		Comment:        aws.String("ssmdoctor"),
		TimeoutSeconds: aws.Int32(int32(max(30, exec))),
	}
}

// invocationRun is what GetCommandInvocation said of id on instance.
func invocationRun(id, instance string, inv *ssm.GetCommandInvocationOutput) *CommandRun {
	return &CommandRun{
		CommandID: id, InstanceID: instance,
		Status:        string(inv.Status),
		StatusDetails: aws.ToString(inv.StatusDetails),
		ResponseCode:  inv.ResponseCode,
		Stdout:        aws.ToString(inv.StandardOutputContent),
		Stderr:        aws.ToString(inv.StandardErrorContent),
		Start:         parseCommandTime(aws.ToString(inv.ExecutionStartDateTime)),
		End:           parseCommandTime(aws.ToString(inv.ExecutionEndDateTime)),
	}
}

// terminal: the invocation will not change again.
func (r *CommandRun) terminal() bool {
	return commandTerminal[r.Status] || commandTerminal[r.StatusDetails]
}

// OnInstance is RunShellScript remembered per instance and commands:
// the on-instance checks share one run of their read-only script.
func (e *AWSEnv) OnInstance(ctx context.Context, instance string, commands []string, wait time.Duration) (*CommandRun, error) {
	key := onInstanceKey(instance, commands)
	return e.commands.get(ctx, key, func() (*CommandRun, error) {
		return e.RunShellScript(ctx, instance, commands, wait)
	})
}

// parseCommandTime reads GetCommandInvocation's times, which the API gives
// as strings ("2026-01-05T09:00:00.123Z").
func parseCommandTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

func onInstanceKey(instance string, commands []string) string {
	return instance + "\x00" + strings.Join(commands, "\x00")
}
