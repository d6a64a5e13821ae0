package checks

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const restartAgent = "sudo systemctl restart amazon-ssm-agent   # on the instance, once the role and network findings are fixed"

func instanceRegisteredCheck() Check {
	return New("instance-registered", "instance is a managed node and Online", LayerInstance,
		[]string{"instance-exists"}, instanceTimeout, runInstanceRegistered)
}

func runInstanceRegistered(ctx context.Context, env *Env) Result {
	if r, ok := awsReady(env); !ok {
		return r
	}
	if env.Target == nil {
		return Skip("no target instance given")
	}
	info, err := env.AWS.InstanceInformation(ctx, env.Target.InstanceID)
	if err != nil {
		return undetermined(err)
	}
	if info == nil {
		return Fail("%s is not registered with Systems Manager", env.Target.InstanceID).
			WithDetails("the agent needs an IAM role (instance-profile), a network path to ssm/ssmmessages (instance-network) and to be running",
				"StartSession answers: TargetNotConnected").
			WithFix(restartAgent, "")
	}
	last := "never"
	if t := info.LastPingDateTime; t != nil {
		last = t.UTC().Format(time.RFC3339)
	}
	switch info.PingStatus {
	case ssmtypes.PingStatusOnline:
		return Pass("Online, last ping %s", last)
	case ssmtypes.PingStatusConnectionLost:
		return Fail("ConnectionLost since %s: the agent stopped reaching Systems Manager", last).
			WithDetails("usual causes: the agent stopped, the instance lost its route or endpoint, or its role credentials").
			WithFix(restartAgent, "")
	}
	return Fail("%s (last ping %s)", string(info.PingStatus), last).
		WithDetails("Inactive nodes (e.g. stopped or deregistered) cannot take sessions", "registered as "+aws.ToString(info.Name)).
		WithFix(restartAgent, "")
}
