package checks

import (
	"context"
	"time"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func connectionStatusCheck() Check {
	return New("connection-status", "Session Manager can reach the instance (GetConnectionStatus)", LayerSession,
		[]string{"instance-registered"}, 60*time.Second, runConnectionStatus)
}

func runConnectionStatus(ctx context.Context, env *Env) Result {
	// GetConnectionStatus has no batch form: in fleet runs the registration
	// already fetched in pages answers instead.
	if env.AWS.Fleet() {
		info, err := env.AWS.InstanceInformation(ctx, env.Target.InstanceID)
		if err != nil {
			return undetermined(err)
		}
		if info != nil && info.PingStatus == ssmtypes.PingStatusOnline {
			return Pass("connected (from the node's Online ping status; fleet runs skip per-instance GetConnectionStatus)")
		}
		return Fail("notconnected (from the node's ping status)").WithFix(restartAgent, "")
	}
	st, err := env.AWS.ConnectionStatus(ctx, env.Target.InstanceID)
	if err != nil {
		return undetermined(err)
	}
	if st == "connected" {
		return Pass("connected")
	}
	return Fail("%s: StartSession would answer TargetNotConnected", st).WithFix(restartAgent, "")
}
