package awsfacts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts/awsfactstest"
)

const testID = "i-0123456789abcdef0"

// TestListFleetHybridNodes: --filter passes the tag to Systems Manager
// next to ResourceType, hybrid nodes become Hybrid targets named after
// the host, and a denied listing fails the selection, naming the call,
// rather than silently checking only the EC2 part of the fleet.
func TestListFleetHybridNodes(t *testing.T) {
	f := awsfactstest.Healthy(testID)
	var sent []ssmtypes.InstanceInformationStringFilter
	f.On("DescribeInstanceInformation", func(in any) (any, error) {
		sent = in.(*ssm.DescribeInstanceInformationInput).Filters
		return &ssm.DescribeInstanceInformationOutput{InstanceInformationList: []ssmtypes.InstanceInformation{
			{InstanceId: aws.String("mi-0123456789abcdef0"), ResourceType: "ManagedInstance", ComputerName: aws.String("build-01"), PingStatus: ssmtypes.PingStatusOnline},
			// An endpoint that ignored the filter must not add an EC2 node twice.
			{InstanceId: aws.String(testID), ResourceType: "EC2Instance"},
		}}, nil
	})
	ts, err := awsfacts.ResolveTargets(context.Background(), f.View("us-east-1"), nil, []string{"tag:Name=web-def0"}, false)
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

	f.Deny("DescribeInstanceInformation")
	_, err = awsfacts.ResolveTargets(context.Background(), f.View("us-east-1"), nil, nil, true)
	if err == nil || !strings.Contains(err.Error(), "list hybrid managed nodes") || !strings.Contains(err.Error(), "ssm:DescribeInstanceInformation") {
		t.Fatalf("denied hybrid listing: %v, want an error naming ssm:DescribeInstanceInformation", err)
	}
}

func TestResolveTargets(t *testing.T) {
	f := awsfactstest.Healthy(testID, "i-0123456789abcdef1")
	f.On("DescribeRegions", func(any) (any, error) {
		return &ec2.DescribeRegionsOutput{Regions: []ec2types.Region{{RegionName: aws.String("us-east-1")}, {RegionName: aws.String("eu-west-1")}}}, nil
	})
	other := awsfactstest.Healthy("i-0aaaaaaaaaaaaaaaa")
	a := awsfacts.New("us-east-1", awsfacts.APIs{EC2: f, IAM: f, SSM: f, STS: f,
		Regional: func(string) awsfacts.EC2API { return other }})
	ctx := context.Background()

	ts, err := awsfacts.ResolveTargets(ctx, a, []string{"web-def0"}, nil, false)
	if err != nil || len(ts) != 1 || ts[0].InstanceID != testID || ts[0].Name != "web-def0" {
		t.Fatalf("by name: %+v %v", ts, err)
	}
	// Without the search (the user gave --region): not found, and no other
	// region asked.
	_, err = awsfacts.ResolveTargets(ctx, a, []string{"i-0aaaaaaaaaaaaaaaa"}, nil, false)
	var nf *awsfacts.TargetNotFoundError
	if !errors.As(err, &nf) || len(nf.Searched) != 0 || f.Count("DescribeRegions") != 0 {
		t.Fatalf("other region, search off: %v (%d DescribeRegions)", err, f.Count("DescribeRegions"))
	}
	// With it: found in eu-west-1, and the target says so.
	a.SearchOtherRegions(nil)
	ts, err = awsfacts.ResolveTargets(ctx, a, []string{"i-0aaaaaaaaaaaaaaaa"}, nil, false)
	if err != nil || len(ts) != 1 || ts[0].InstanceID != "i-0aaaaaaaaaaaaaaaa" || ts[0].Region != "eu-west-1" {
		t.Fatalf("other region, search on: %+v %v", ts, err)
	}
	_, err = awsfacts.ResolveTargets(ctx, a, []string{"web;rm -rf /"}, nil, false)
	var bad *awsfacts.MalformedTargetError
	if !errors.As(err, &bad) {
		t.Fatalf("metacharacters: %v", err)
	}
	f.On("DescribeInstances", func(any) (any, error) {
		a, b := awsfactstest.InstanceFixture(testID), awsfactstest.InstanceFixture("i-0123456789abcdef1")
		return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: []ec2types.Instance{a, b}}}}, nil
	})
	_, err = awsfacts.ResolveTargets(ctx, f.View("us-east-1"), []string{"web"}, nil, false)
	var amb *awsfacts.AmbiguousTargetError
	if !errors.As(err, &amb) || len(amb.Candidates) != 2 || !strings.Contains(amb.Candidates[0], testID) {
		t.Fatalf("ambiguous: %v", err)
	}
}
