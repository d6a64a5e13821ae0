package checks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

func instanceExistsCheck() Check {
	return New("instance-exists", "instance exists and is running", LayerInstance, nil, instanceTimeout, runInstanceExists)
}

func runInstanceExists(ctx context.Context, env *Env) Result {
	if r, ok := awsReady(env); !ok {
		return r
	}
	if env.Target == nil {
		return Skip("no target instance given")
	}
	if env.Target.Hybrid {
		info, err := env.AWS.InstanceInformation(ctx, env.Target.InstanceID)
		if err != nil {
			return undetermined(err)
		}
		if info == nil {
			return Fail("hybrid node %s is not registered in %s", env.Target.InstanceID, regionOf(env)).
				WithFix("amazon-ssm-agent -register -code CODE -id ID -region "+regionOf(env)+"   # on the node, with a new activation", "")
		}
		return Pass("hybrid managed node %s (%s)", env.Target.InstanceID, aws.ToString(info.Name))
	}
	inst, r, ok := targetInstance(ctx, env)
	if !ok {
		return r
	}
	state := awsfacts.StateName(*inst)
	desc := env.Target.InstanceID
	if n := awsfacts.TagValue(inst.Tags, "Name"); n != "" {
		desc = fmt.Sprintf("%s (%s)", desc, n)
	}
	switch state {
	case "running":
		return Pass("%s is running", desc)
	case "pending":
		return Warn("%s is starting (pending): the agent registers a minute or two after boot", desc)
	case "stopped", "stopping":
		return Fail("%s is %s: Session Manager answers TargetNotConnected", desc, state).WithFix(startCommand(env), FixStart)
	}
	return Fail("%s is %s and cannot be connected to", desc, state).
		WithDetails("terminated instances cannot be started again; connect to its replacement")
}
