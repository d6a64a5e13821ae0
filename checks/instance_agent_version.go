package checks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

func instanceAgentVersionCheck() Check {
	return New("instance-agent-version", "SSM Agent is recent enough for SSH", LayerInstance,
		[]string{"instance-registered"}, instanceTimeout, runInstanceAgentVersion)
}

func runInstanceAgentVersion(ctx context.Context, env *Env) Result {
	info, err := env.AWS.InstanceInformation(ctx, env.Target.InstanceID)
	if err != nil {
		return undetermined(err)
	}
	if info == nil {
		return Skip("not registered")
	}
	v := aws.ToString(info.AgentVersion)
	thresholds := fmt.Sprintf("thresholds: %s SSH sessions, %s multiplexed port forwarding, %s Default Host Management, %s no ec2messages endpoint needed",
		agentMinSSH, agentMuxPortFwd, agentMinDHMC, agentNoEC2Msgs)
	fix := fmt.Sprintf("aws ssm send-command --document-name AWS-UpdateSSMAgent --targets Key=InstanceIds,Values=%s --region %s", env.Target.InstanceID, regionOf(env))
	if !awsfacts.AgentVersionAtLeast(v, agentMinSSH) {
		return Fail("agent %s is older than %s, the first to support SSH sessions", v, agentMinSSH).WithDetails(thresholds).WithFix(fix, "")
	}
	if env.Options.Forward {
		// The plugin multiplexes for agents strictly newer than the
		// threshold; at it or below, one connection at a time.
		if !versionNewer(v, agentMuxPortFwd) {
			return Warn("agent %s forwards one connection at a time: multiplexed port forwarding needs an agent newer than %s", v, agentMuxPortFwd).
				WithDetails(thresholds).WithFix(fix, "")
		}
		return Pass("agent %s multiplexes forwarded connections (newer than %s)", v, agentMuxPortFwd).WithDetails(thresholds)
	}
	if info.IsLatestVersion != nil && !*info.IsLatestVersion {
		r := Warn("agent %s works for SSH but is not the latest", v).WithDetails(thresholds)
		if !awsfacts.AgentVersionAtLeast(v, agentMuxPortFwd) {
			r = r.WithDetails("below " + agentMuxPortFwd + ": port forwarding is not multiplexed")
		}
		return r.WithFix(fix, "")
	}
	return Pass("agent %s", v).WithDetails(thresholds)
}
