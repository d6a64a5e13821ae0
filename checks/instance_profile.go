package checks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

const fixInstanceRole = "--instance-role"

func instanceProfileCheck() Check {
	return New("instance-profile", "instance has an IAM role for Systems Manager (profile or Default Host Management)", LayerInstance,
		[]string{"instance-exists"}, instanceTimeout, runInstanceProfile)
}

func runInstanceProfile(ctx context.Context, env *Env) Result {
	if env.Target != nil && env.Target.Hybrid {
		return Skip("hybrid nodes use the IAM role of their activation")
	}
	inst, r, ok := targetInstance(ctx, env)
	if !ok {
		return r
	}
	if inst.IamInstanceProfile != nil {
		p, err := env.AWS.InstanceProfileByArn(ctx, aws.ToString(inst.IamInstanceProfile.Arn))
		if err != nil {
			return undetermined(err)
		}
		if p.RoleName == "" {
			return Fail("instance profile %s holds no role", p.Name).
				WithFix(fmt.Sprintf("aws iam add-role-to-instance-profile --instance-profile-name %s --role-name ROLE", p.Name), "")
		}
		return Pass("instance profile %s with role %s", p.Name, p.RoleName)
	}
	return dhmcResult(ctx, env, inst)
}

// dhmcResult judges an instance without a profile: Default Host Management
// covers it only with IMDSv2 required and a recent enough agent.
func dhmcResult(ctx context.Context, env *Env, inst *ec2types.Instance) Result {
	noProfile := Fail("no instance profile is attached and Default Host Management is not enabled").
		WithDetails("the agent logs: Systems Manager's instance management role is not configured for account",
			"alternative: enable Default Host Management (ssmdoctor fix --dhmc), which also needs IMDSv2 and agent "+agentMinDHMC+" or later").
		WithFix(instanceRoleFix(env), FixInstanceRole)
	role, err := env.AWS.ServiceSetting(ctx, awsfacts.SettingDHMCRole)
	if err != nil {
		return undetermined(err)
	}
	if role == "" || role == "$None" {
		return noProfile
	}
	if inst.MetadataOptions == nil || inst.MetadataOptions.HttpTokens != ec2types.HttpTokensStateRequired {
		return Fail("no instance profile; Default Host Management (role %s) is enabled but the instance allows IMDSv1, which it does not serve", role).
			WithFix(fmt.Sprintf("aws ec2 modify-instance-metadata-options --instance-id %s --http-tokens required --http-endpoint enabled --region %s", env.Target.InstanceID, regionOf(env)), "")
	}
	info, err := env.AWS.InstanceInformation(ctx, env.Target.InstanceID)
	if err != nil {
		return undetermined(err)
	}
	if info == nil {
		return Warn("no instance profile; Default Host Management (role %s) applies if the agent is %s or later, which cannot be seen until it registers", role, agentMinDHMC).
			WithFix(instanceRoleFix(env), FixInstanceRole)
	}
	if v := aws.ToString(info.AgentVersion); !awsfacts.AgentVersionAtLeast(v, agentMinDHMC) {
		return Fail("no instance profile; Default Host Management needs agent %s or later, the instance runs %s", agentMinDHMC, v).
			WithFix(instanceRoleFix(env), FixInstanceRole)
	}
	return Pass("no instance profile: Default Host Management (role %s) covers it", role)
}
