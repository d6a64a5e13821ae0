package checks

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// TestListFleetHybridNodes: --filter passes the tag to Systems Manager
// next to ResourceType, hybrid nodes become Hybrid targets named after
// the host, and a denied listing fails the selection, naming the call,
// rather than silently checking only the EC2 part of the fleet.
func TestListFleetHybridNodes(t *testing.T) {
	f := healthyFake(testID)
	var sent []ssmtypes.InstanceInformationStringFilter
	f.on("DescribeInstanceInformation", func(in any) (any, error) {
		sent = in.(*ssm.DescribeInstanceInformationInput).Filters
		return &ssm.DescribeInstanceInformationOutput{InstanceInformationList: []ssmtypes.InstanceInformation{
			{InstanceId: aws.String("mi-0123456789abcdef0"), ResourceType: "ManagedInstance", ComputerName: aws.String("build-01"), PingStatus: ssmtypes.PingStatusOnline},
			// An endpoint that ignored the filter must not add an EC2 node twice.
			{InstanceId: aws.String(testID), ResourceType: "EC2Instance"},
		}}, nil
	})
	ts, err := ResolveTargets(context.Background(), &Env{AWS: f.env("us-east-1")}, nil, []string{"tag:Name=web-def0"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].InstanceID != testID || ts[0].Hybrid || ts[1].InstanceID != "mi-0123456789abcdef0" || !ts[1].Hybrid || ts[1].Name != "build-01" {
		t.Fatalf("targets %+v %+v", ts[0], ts[len(ts)-1])
	}
	got := map[string][]string{}
	for _, fl := range sent {
		got[aws.ToString(fl.Key)] = fl.Values
	}
	if strings.Join(got["ResourceType"], ",") != "ManagedInstance" || strings.Join(got["tag:Name"], ",") != "web-def0" {
		t.Errorf("DescribeInstanceInformation filters %v, want ResourceType=ManagedInstance and tag:Name=web-def0", got)
	}

	f.deny("DescribeInstanceInformation")
	_, err = ResolveTargets(context.Background(), &Env{AWS: f.env("us-east-1")}, nil, nil, true)
	if err == nil || !strings.Contains(err.Error(), "list hybrid managed nodes") || !strings.Contains(err.Error(), "ssm:DescribeInstanceInformation") {
		t.Fatalf("denied hybrid listing: %v, want an error naming ssm:DescribeInstanceInformation", err)
	}
}
