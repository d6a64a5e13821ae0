package checks

import (
	"context"
	"fmt"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

func callerSessionLifecycleCheck() Check {
	return New("caller-session-lifecycle", "you may end and resume your sessions (ssm:TerminateSession, ssm:ResumeSession)", LayerCaller,
		[]string{"caller-identity"}, callerTimeout, runCallerSessionLifecycle)
}

// exampleSessionSuffix stands in for the random part of a session id:
// policies match the caller's prefix, so any suffix gives the same answer.
const exampleSessionSuffix = "0123456789abcdef0"

func runCallerSessionLifecycle(ctx context.Context, env *Env) Result {
	c, r, ok := callerFor(ctx, env)
	if !ok {
		return r
	}
	if c.Kind == "root" {
		return Pass("the root user may end and resume sessions")
	}
	region := regionOf(env)
	arn := fmt.Sprintf("arn:%s:ssm:%s:%s:session/%s-%s", c.Partition, region, c.Account, c.SessionPrefix(), exampleSessionSuffix)
	cv := principalCtx(c)
	reqs := []awsfacts.AccessReq{
		{Action: "ssm:TerminateSession", Resource: arn, Context: cv},
		{Action: "ssm:ResumeSession", Resource: arn, Context: cv},
	}
	decs, method, err := env.AWS.Evaluate(ctx, env.AWS.CallerPrincipal(c), reqs)
	if err != nil {
		return accessError(err)
	}
	stmt := `{"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"], "Resource": "arn:` + c.Partition + `:ssm:*:*:session/${aws:username}-*"}`
	if c.Kind == "assumed-role" {
		stmt = `{"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"], "Resource": "arn:` + c.Partition + `:ssm:*:*:session/*", "Condition": {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}}}`
	}
	res := judge(env, reqs, decs, method, "your sessions (session/"+c.SessionPrefix()+"-*) can be ended and resumed", stmt)
	if res.Status == StatusFail {
		res = res.WithDetails("without ssm:TerminateSession, ending a session (or a missing session-manager-plugin) shows up as an AccessDeniedException for TerminateSession")
	}
	return res
}
