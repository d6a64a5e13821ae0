package checks

import (
	"context"
	"time"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

const instanceTimeout = 60 * time.Second

// Agent versions that change what works (awsfacts.Agent*).
const (
	agentMinSSH     = awsfacts.AgentMinSSH
	agentMuxPortFwd = awsfacts.AgentMuxPortForwarding
	agentMinDHMC    = awsfacts.AgentMinDHMC
	agentNoEC2Msgs  = awsfacts.AgentNoEC2Messages
	// AWS managed policies by name: their ARNs differ per partition
	// (arn:aws:, arn:aws-us-gov:, arn:aws-cn:), see awsManagedPolicy.
	legacyRolePolicyName = "service-role/AmazonEC2RoleforSSM"
	corePolicyArn        = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" // tests (commercial partition)
)

// coreActions are what the agent calls to register and to carry sessions.
var coreActions = []string{
	"ssm:UpdateInstanceInformation",
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
	"ec2messages:GetMessages",
}

// targetInstance returns the EC2 instance of the target, or a result that
// explains why there is none.
func targetInstance(ctx context.Context, env *Env) (*ec2types.Instance, Result, bool) {
	if r, ok := awsReady(env); !ok {
		return nil, r, false
	}
	if env.Target == nil {
		return nil, Skip("no target instance given"), false
	}
	inst, err := env.AWS.Instance(ctx, env.Target.InstanceID)
	if err != nil {
		return nil, undetermined(err), false
	}
	if inst == nil {
		return nil, Fail("%s does not exist in %s", env.Target.InstanceID, regionOf(env)), false
	}
	return inst, Result{}, true
}

func startCommand(env *Env) string {
	return fixCommand(env, "--start "+env.Target.InstanceID)
}

func instanceRoleFix(env *Env) string {
	return fixCommand(env, fixInstanceRole+" "+env.Target.InstanceID)
}

// fixCommand is the `ssmdoctor fix` line for a selector, carrying the
// region the check looked at so that the fix acts on the same instance.
func fixCommand(env *Env, selector string) string {
	cmd := "ssmdoctor fix " + selector
	if env.Options.Profile != "" {
		cmd += " --profile " + env.Options.Profile
	}
	if env.Options.Region != "" {
		cmd += " --region " + env.Options.Region
	}
	return cmd
}

// versionNewer: v is strictly newer than min (the plugin's comparison for
// multiplexing); unknown or unparsable versions never are.
func versionNewer(v, min string) bool {
	return awsfacts.AgentVersionAtLeast(v, min) && !awsfacts.AgentVersionAtLeast(min, v)
}
