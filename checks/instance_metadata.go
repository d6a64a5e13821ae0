package checks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func instanceMetadataCheck() Check {
	return New("instance-metadata", "instance metadata service gives the agent its credentials", LayerInstance,
		[]string{"instance-exists"}, instanceTimeout, runInstanceMetadata)
}

func runInstanceMetadata(ctx context.Context, env *Env) Result {
	if env.Target != nil && env.Target.Hybrid {
		return Skip("hybrid nodes have no EC2 metadata service")
	}
	inst, r, ok := targetInstance(ctx, env)
	if !ok {
		return r
	}
	mo := inst.MetadataOptions
	if mo == nil {
		return Skip("metadata options not reported")
	}
	hop := fmt.Sprintf("hop limit %d: 1 suits an agent on the host; containerised agents need 2", aws.ToInt32(mo.HttpPutResponseHopLimit))
	base := fmt.Sprintf("aws ec2 modify-instance-metadata-options --instance-id %s --http-endpoint enabled --http-tokens required --region %s", env.Target.InstanceID, regionOf(env))
	if mo.HttpEndpoint == ec2types.InstanceMetadataEndpointStateDisabled {
		return Fail("the metadata endpoint is disabled: the agent gets no role credentials").WithDetails(hop).WithFix(base, "")
	}
	if mo.HttpTokens != ec2types.HttpTokensStateRequired {
		r := Pass("enabled, IMDSv1 and IMDSv2 accepted").WithDetails(hop)
		if inst.IamInstanceProfile == nil {
			r = Warn("enabled but IMDSv2 is not required, which Default Host Management needs").WithDetails(hop).WithFix(base, "")
		}
		return r
	}
	return Pass("enabled, IMDSv2 required").WithDetails(hop)
}
