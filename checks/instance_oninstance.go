package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
)

// The on-instance checks (instance-sshd, instance-os-user,
// instance-authorized-keys, instance-eic, instance-agent-log,
// instance-clock, instance-disk) share one run of the read-only script
// (internal/oninstance), sent with Run Command only when the user asks
// (--on-instance): it runs a command on the instance.

const defaultOnInstanceWait = 60 * time.Second

// onInstanceDeps: the script needs a registered, Online agent.
var onInstanceDeps = []string{"instance-registered"}

// onInstanceTimeout is the runner's backstop; the run bounds itself.
const onInstanceTimeout = 3 * time.Minute

// onInstance returns the script's report for the target, or the result a
// check returns instead (skip when not asked for, Windows; the missing
// permission; a run that failed).
func onInstance(ctx context.Context, env *Env) (*oninstance.Report, *awsfacts.CommandRun, Result, bool) {
	commands, wait, r, ok := onInstanceRequest(ctx, env)
	if !ok {
		return nil, nil, r, false
	}
	id := env.Target.InstanceID
	run, err := env.AWS.OnInstance(ctx, id, commands, wait)
	var pending *awsfacts.CommandPendingError
	switch {
	case errors.As(err, &pending):
		return nil, nil, Undetermined("ssm:GetCommandInvocation", "the on-instance script did not finish within %s (%s)", wait, pending).
			WithDetails("the agent may be busy with other commands, or its connection slow: run again, or look with aws ssm get-command-invocation --command-id " + pending.CommandID + " --instance-id " + id), false
	case err != nil:
		return nil, nil, undetermined(err), false
	}
	if run.Status != "Success" {
		return nil, nil, commandFailure(run), false
	}
	rep, err := oninstance.Parse(run.Stdout)
	if err != nil {
		return nil, nil, Undetermined("Run Command", "could not read the on-instance script's output: %v", err).
			WithDetails("command " + run.CommandID), false
	}
	if rep.Error != "" {
		return nil, nil, Undetermined("Run Command", "the on-instance script refused its arguments: %s", rep.Error), false
	}
	return rep, run, Result{}, true
}

// onInstanceRequest is what onInstance sends to the target and how long it
// waits, or the result a check returns instead (not asked for, Windows,
// the missing permission).
func onInstanceRequest(ctx context.Context, env *Env) ([]string, time.Duration, Result, bool) {
	if !env.Options.OnInstance {
		return nil, 0, Skip("opt-in: run with --on-instance to look inside the instance (a read-only script through Run Command: ssmdoctor check --on-instance-script)"), false
	}
	if env.Target == nil {
		return nil, 0, Skip("no target instance given"), false
	}
	if r, ok := awsReady(env); !ok {
		return nil, 0, r, false
	}
	if win, r, ok := isWindows(ctx, env); !ok {
		return nil, 0, r, false
	} else if win {
		return nil, 0, Skip("Windows instance: the on-instance checks run a POSIX shell script and cover Linux only"), false
	}
	if r, ok := sendCommandAllowed(ctx, env); !ok {
		return nil, 0, r, false
	}
	wait := env.Options.OnInstanceWait
	if wait <= 0 {
		wait = defaultOnInstanceWait
	}
	port := env.Options.Port
	if port == 0 {
		port = 22
	}
	return oninstance.CheckCommands(osUserOf(env), port, env.Options.SSHDConfig), wait, Result{}, true
}

// commandFailure explains an invocation that did not succeed.
func commandFailure(run *awsfacts.CommandRun) Result {
	var r Result
	switch run.Status {
	case "Delayed", "Undeliverable", "DeliveryTimedOut":
		r = Undetermined("Run Command", "the on-instance script was not delivered (%s): the agent did not pick it up", statusWords(run))
	case "TimedOut", "ExecutionTimedOut":
		r = Undetermined("Run Command", "the on-instance script timed out on the instance (%s)", statusWords(run))
	default:
		r = Undetermined("Run Command", "the on-instance script did not succeed (%s, exit code %d)", statusWords(run), run.ResponseCode)
	}
	if s := stderrLine(run.Stderr); s != "" {
		r = r.WithDetails("stderr: " + s)
	}
	return r.WithDetails("command " + run.CommandID)
}

func statusWords(run *awsfacts.CommandRun) string {
	if run.StatusDetails != "" && run.StatusDetails != run.Status {
		return run.Status + ": " + run.StatusDetails
	}
	return run.Status
}

func stderrLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// isWindows: Run Command's AWS-RunShellScript does not run on Windows
// (the registration's PlatformType, else EC2's Platform).
func isWindows(ctx context.Context, env *Env) (bool, Result, bool) {
	info, err := env.AWS.InstanceInformation(ctx, env.Target.InstanceID)
	if err == nil && info != nil {
		return string(info.PlatformType) == "Windows", Result{}, true
	}
	if env.Target.Hybrid {
		if err != nil {
			return false, undetermined(err), false
		}
		return false, Result{}, true
	}
	inst, err := env.AWS.Instance(ctx, env.Target.InstanceID)
	if err != nil {
		return false, undetermined(err), false
	}
	return inst != nil && inst.Platform == ec2types.PlatformValuesWindows, Result{}, true
}

// sendCommandAllowed evaluates the caller's ssm:SendCommand on the
// instance and on AWS-RunShellScript, and ssm:GetCommandInvocation, before
// anything is sent; a missing one is named.
func sendCommandAllowed(ctx context.Context, env *Env) (Result, bool) {
	c, r, ok := callerFor(ctx, env)
	if !ok {
		return r, false
	}
	if c.Kind == "root" {
		return Result{}, true
	}
	region := regionOf(env)
	var inst *ec2types.Instance
	if !env.Target.Hybrid {
		i, err := env.AWS.Instance(ctx, env.Target.InstanceID)
		if err != nil {
			return undetermined(err), false
		}
		inst = i
	}
	cv := principalCtx(c)
	if inst != nil {
		cv = append(cv, tagCtx(inst.Tags)...)
	}
	reqs := []awsfacts.AccessReq{
		{Action: "ssm:SendCommand", Resource: instanceArn(c, region, env.Target), Context: cv},
		{Action: "ssm:SendCommand", Resource: documentArn(c, region, oninstance.Document), Context: principalCtx(c)},
		{Action: "ssm:GetCommandInvocation", Resource: "*", Context: principalCtx(c)},
	}
	decs, method, err := env.AWS.Evaluate(ctx, env.AWS.CallerPrincipal(c), reqs)
	if err != nil {
		return accessError(err), false
	}
	res := judge(env, reqs, decs, method, "", sendCommandStatement(c, region))
	if res.Status == StatusPass {
		return Result{}, true
	}
	// The user asked for the on-instance checks and may not run them:
	// could not determine, naming the permission.
	missing := "ssm:SendCommand"
	for i, d := range decs {
		if d.Decision != iampolicy.Allowed && reqs[i].Action == "ssm:GetCommandInvocation" {
			missing = "ssm:GetCommandInvocation"
		}
	}
	return Result{Status: StatusError, Message: "cannot run the on-instance script: " + res.Message, Details: res.Details, Missing: missing}, false
}

func sendCommandStatement(c *awsfacts.Caller, region string) string {
	return strings.Join([]string{
		`{"Effect": "Allow", "Action": "ssm:SendCommand",`,
		fmt.Sprintf(` "Resource": ["arn:%s:ec2:%s:%s:instance/*", "%s"]},`, c.Partition, region, c.Account, documentArn(c, region, oninstance.Document)),
		`{"Effect": "Allow", "Action": "ssm:GetCommandInvocation", "Resource": "*"}`,
	}, "\n")
}
