package checks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	version "github.com/hashicorp/go-version"
)

const instanceTimeout = 60 * time.Second

// Agent versions that change what works
// (docs/check-catalogue.md#instance-agent-version).
const (
	agentMinSSH     = "2.3.672.0" // AWS-StartSSHSession
	agentMuxPortFwd = "3.0.196.0" // multiplexed port forwarding
	agentMinDHMC    = "3.2.582.0" // Default Host Management Configuration
	agentNoEC2Msgs  = "3.3.40.0"  // stops needing ec2messages once ssmmessages connects
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

// versionAtLeast compares agent versions; unparsable versions never pass.
func versionAtLeast(v, min string) bool {
	a := parsedVersion(v)
	if a == nil {
		return false
	}
	return a.GreaterThanOrEqual(parsedVersion(min))
}

// versionNewer: v is strictly newer than min (the plugin's comparison for
// multiplexing); unparsable versions never are.
func versionNewer(v, min string) bool {
	a := parsedVersion(v)
	if a == nil {
		return false
	}
	return a.GreaterThan(parsedVersion(min))
}

// parsedVersions keeps each agent version parsed once: a fleet has few
// distinct versions and asks about each of them thousands of times.
var parsedVersions sync.Map // string -> *version.Version, nil when unparsable

// parsedVersionsMax bounds the cache; versions beyond it are parsed each time.
const parsedVersionsMax = 1024

var parsedVersionsLen atomic.Int32

func parsedVersion(v string) *version.Version {
	if p, ok := parsedVersions.Load(v); ok {
		return p.(*version.Version)
	}
	p, err := version.NewVersion(v)
	if err != nil {
		p = nil
	}
	if parsedVersionsLen.Load() < parsedVersionsMax {
		if _, loaded := parsedVersions.LoadOrStore(v, p); !loaded {
			parsedVersionsLen.Add(1)
		}
	}
	return p
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
