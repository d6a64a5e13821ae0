package awsfacts

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// InstanceStatusAPI is EC2's DescribeInstanceStatus; the SDK's EC2 client
// has it.
type InstanceStatusAPI interface {
	DescribeInstanceStatus(context.Context, *ec2.DescribeInstanceStatusInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceStatusOutput, error)
}

// InstanceStatus is the instance's system and instance status checks (and
// its scheduled events); nil when EC2 reports none (an instance that is
// not running, with IncludeAllInstances, still has an entry).
func (e *AWSEnv) InstanceStatus(ctx context.Context, id string) (*ec2types.InstanceStatus, error) {
	return e.instStatus.get(ctx, id, func() (*ec2types.InstanceStatus, error) {
		api, ok := e.ec2.(InstanceStatusAPI)
		if !ok {
			return nil, callErr("ec2:DescribeInstanceStatus", errors.New("this client cannot describe instance status"))
		}
		out, err := api.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{
			InstanceIds:         []string{id},
			IncludeAllInstances: aws.Bool(true),
		})
		if err != nil {
			return nil, callErr("ec2:DescribeInstanceStatus", err)
		}
		for i := range out.InstanceStatuses {
			if aws.ToString(out.InstanceStatuses[i].InstanceId) == id {
				return &out.InstanceStatuses[i], nil
			}
		}
		return nil, nil
	})
}
