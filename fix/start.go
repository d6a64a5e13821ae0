package fix

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// PlanStart starts a stopped instance and waits until its agent is Online.
func PlanStart(ctx context.Context, a *AWS, instanceID string) (*Plan, error) {
	p := &Plan{Title: "start " + instanceID}
	inst, err := describeInstance(ctx, a, instanceID)
	if err != nil {
		return nil, err
	}
	state := ""
	if inst.State != nil {
		state = string(inst.State.Name)
	}
	online := &Wait{What: instanceID + " is Online in Systems Manager", Do: func(ctx context.Context) error {
		return a.poll(ctx, func(ctx context.Context) (bool, error) {
			ping, err := pingStatus(ctx, a, instanceID)
			return ping == ssmtypes.PingStatusOnline, err
		})
	}}
	switch state {
	case "stopped":
		p.Notes = append(p.Notes, "a running instance is billed again; an instance with an ephemeral public IP gets a new one")
		p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "StartInstances", Params: []Param{{"InstanceIds", instanceID}},
			Do: func(ctx context.Context) error {
				_, err := a.EC2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{instanceID}})
				return err
			}}, online)
	case "pending", "running":
		ping, err := pingStatus(ctx, a, instanceID)
		if err != nil {
			return nil, err
		}
		if ping == ssmtypes.PingStatusOnline {
			p.Already = instanceID + " is running and Online"
			return p, nil
		}
		if state == "pending" {
			p.Steps = append(p.Steps, online)
			return p, nil
		}
		p.Already = fmt.Sprintf("%s is running (its agent is not Online: the other checks say why)", instanceID)
	case "stopping":
		return nil, refuse("run the fix again once it has stopped", "%s is stopping", instanceID)
	default:
		return nil, refuse("connect to its replacement", "%s is %s and cannot be started", instanceID, state)
	}
	return p, nil
}

func pingStatus(ctx context.Context, a *AWS, id string) (ssmtypes.PingStatus, error) {
	info, err := instanceInfo(ctx, a, id)
	if info == nil {
		return "", err
	}
	return info.PingStatus, nil
}

// instanceInfo is id's registration with Systems Manager; nil when it is
// not registered.
func instanceInfo(ctx context.Context, a *AWS, id string) (*ssmtypes.InstanceInformation, error) {
	out, err := a.SSM.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{
		Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: []string{id}}}})
	if err != nil {
		return nil, fmt.Errorf("describe instance information of %s: %w", id, err)
	}
	for i, info := range out.InstanceInformationList {
		if aws.ToString(info.InstanceId) == id {
			return &out.InstanceInformationList[i], nil
		}
	}
	return nil, nil
}
