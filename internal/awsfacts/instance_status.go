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
// its scheduled events); nil when EC2 reports none. In a fleet run
// (PrefetchFleet) the first question reads the whole region's statuses,
// 1000 a page, and every later one is answered from them.
func (e *AWSEnv) InstanceStatus(ctx context.Context, id string) (*ec2types.InstanceStatus, error) {
	if e.fleet {
		if _, err := e.regionStatuses.get(ctx, "", func() (bool, error) { return true, e.fetchRegionStatuses(ctx) }); err != nil {
			return nil, err
		}
	}
	return e.instStatus.get(ctx, id, func() (*ec2types.InstanceStatus, error) {
		if e.regionStatusesRead.Load() {
			return nil, nil // the region's list did not name it
		}
		api, err := e.instanceStatusAPI()
		if err != nil {
			return nil, err
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

// fetchRegionStatuses stores every instance's status of the region; an
// instance it does not list has none (nil).
func (e *AWSEnv) fetchRegionStatuses(ctx context.Context) error {
	api, err := e.instanceStatusAPI()
	if err != nil {
		return err
	}
	p := ec2.NewDescribeInstanceStatusPaginator(api, &ec2.DescribeInstanceStatusInput{IncludeAllInstances: aws.Bool(true), MaxResults: aws.Int32(1000)})
	got := map[string]*ec2types.InstanceStatus{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, withStatusPageDecoder())
		if err != nil {
			return callErr("ec2:DescribeInstanceStatus", err)
		}
		for i := range page.InstanceStatuses {
			st := page.InstanceStatuses[i]
			got[aws.ToString(st.InstanceId)] = &st
		}
	}
	e.instStatus.putAll(got, nil)
	e.regionStatusesRead.Store(true)
	return nil
}

// instanceStatusAPI is the view's EC2 client as DescribeInstanceStatus, or
// the error a client without it answers.
func (e *AWSEnv) instanceStatusAPI() (InstanceStatusAPI, error) {
	api, ok := e.ec2.(InstanceStatusAPI)
	if !ok {
		return nil, callErr("ec2:DescribeInstanceStatus", errors.New("this client cannot describe instance status"))
	}
	return api, nil
}
