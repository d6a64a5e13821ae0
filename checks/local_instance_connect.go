package checks

import (
	"context"
	"strings"
	"time"
)

func localInstanceConnectCheck() Check {
	return New("local-instance-connect", "this workstation reaches EC2 Instance Connect (one-time keys)", LayerLocal,
		nil, 30*time.Second, runLocalInstanceConnect)
}

func runLocalInstanceConnect(ctx context.Context, env *Env) Result {
	if !env.Options.Ephemeral {
		return Skip("one-time keys are not used (--ephemeral-key)")
	}
	u, _ := awsEndpoint(env, "EC2_INSTANCE_CONNECT", "ec2-instance-connect", localRegion(ctx, env))
	if strings.HasPrefix(u, "http://") {
		return Skip("the EC2 Instance Connect endpoint is plain HTTP (%s: a local simulator or test double): no TLS or proxy to check", u)
	}
	p := probeEndpoint(ctx, env, u)
	if p.Err != nil {
		return Fail("%s", p.failure()).WithDetails("SendSSHPublicKey goes there: without it no one-time key reaches the instance")
	}
	msg := p.describe() + " " + p.Via
	if p.Note != "" {
		msg += " (" + p.Note + ")"
	}
	return Pass("%s", msg)
}
