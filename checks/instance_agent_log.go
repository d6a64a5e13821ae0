package checks

import "context"

func instanceAgentLogCheck() Check {
	return New("instance-agent-log", "the SSM Agent's log has no recent errors (--on-instance)", LayerInstance,
		onInstanceDeps, onInstanceTimeout, runInstanceAgentLog)
}

func runInstanceAgentLog(ctx context.Context, env *Env) Result {
	rep, _, r, ok := onInstance(ctx, env)
	if !ok {
		return r
	}
	if rep.AgentLog == "none" || rep.AgentLog == "" {
		return Pass("no agent log under /var/log/amazon/ssm (nothing logged, or logging elsewhere)")
	}
	if len(rep.AgentErrors) == 0 {
		return Pass("no ERROR lines in %s", rep.AgentLog)
	}
	return Warn("%s in %s; the last: %s", plural(len(rep.AgentErrors), "recent ERROR line"), rep.AgentLog, rep.AgentErrors[len(rep.AgentErrors)-1]).
		WithDetails(rep.AgentErrors...)
}
