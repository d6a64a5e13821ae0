package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts/awsfactstest"
)

// TestFleetPrefetchCallsWithinBound checks that a fleet costs the calls the
// PrefetchFleet formula states (within 10%), not calls per instance.
func TestFleetPrefetchCallsWithinBound(t *testing.T) {
	const n = 250
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("i-%017x", i+1))
	}
	f := awsfactstest.Healthy(ids...)
	f.On("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
	f.On("DescribeSecurityGroups", func(any) (any, error) { return &ec2.DescribeSecurityGroupsOutput{}, nil })
	a := f.View("us-east-1")
	env := &Env{AWS: a}
	var targets []*Target
	for _, id := range ids {
		targets = append(targets, ec2Target(id))
	}
	ctx := context.Background()
	if err := PrefetchFleet(ctx, env, targets); err != nil {
		t.Fatal(err)
	}
	afterPrefetch := f.Total()
	fails := 0
	for i, tg := range targets {
		e := &Env{AWS: a, Target: tg}
		for _, o := range Run(ctx, e, awsChecks(), RunOptions{}) {
			if o.Result.Status == StatusFail || o.Result.Status == StatusError {
				fails++
				if fails < 5 {
					t.Errorf("%s %s: %s %s", tg.InstanceID, o.ID, o.Result.Status, o.Result.Message)
				}
			}
		}
		if i == 0 {
			afterPrefetch = f.Total() // the first target fetches the fleet-wide answers
		}
	}
	if extra := f.Total() - afterPrefetch; extra != 0 {
		t.Errorf("targets after the first made %d calls, want 0 (%v)", extra, f.Calls())
	}
	ceil := func(a, b int) int { return (a + b - 1) / b }
	// Ids given explicitly: DescribeInstances by instance-id filter (200 values a call).
	// One VPC (V = 1) without endpoints (Ve = 0): no attributes, no subnets.
	// Plus the region's instance statuses, 1000 a page.
	bound := ceil(n, awsfacts.FilterValuesMax) + ceil(n, 50) + 1 + 2 + 4 + 1 + ceil(n, awsfacts.SimulateResourceBatch) + 3 + 1 + ceil(n, 1000)
	t.Logf("%d calls for %d instances, lower bound %d: %v", f.Total(), n, bound, f.Calls())
	if got := f.Total(); float64(got) > 1.1*float64(bound) {
		t.Errorf("%d calls for %d instances, bound %d (%v)", got, n, bound, f.Calls())
	}
	if got := f.Count("GetConnectionStatus"); got != 0 {
		t.Errorf("GetConnectionStatus called %d times in a fleet run", got)
	}
	if got := f.Count("DescribeSubnets"); got != 0 {
		t.Errorf("DescribeSubnets called %d times for a fleet on the internet path", got)
	}
}

// TestFleetPrefetchSubnetsPerEndpointVPC: a fleet whose VPCs (one per
// instance, more than one filter's worth) rely on endpoints reads their
// subnets in ceil(Ve/200) calls during the prefetch, none per target,
// and stays within the bound with the Ve terms.
func TestFleetPrefetchSubnetsPerEndpointVPC(t *testing.T) {
	const n = awsfacts.FilterValuesMax + 1
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("i-%017x", i+1))
	}
	f := awsfactstest.Healthy(ids...)
	vpcOf := func(id string) string { return "vpc-" + id[2:] }
	describe := f.Handler("DescribeInstances")
	f.On("DescribeInstances", func(in any) (any, error) {
		out, err := describe(in)
		if err != nil {
			return nil, err
		}
		for _, r := range out.(*ec2.DescribeInstancesOutput).Reservations {
			for i := range r.Instances {
				v := vpcOf(aws.ToString(r.Instances[i].InstanceId))
				r.Instances[i].VpcId, r.Instances[i].SubnetId = aws.String(v), aws.String("subnet-i-"+v)
			}
		}
		return out, nil
	})
	perVPC := func(filters []ec2types.Filter) []string {
		if len(filters) != 1 || aws.ToString(filters[0].Name) != "vpc-id" || len(filters[0].Values) > awsfacts.FilterValuesMax {
			t.Errorf("filters %+v: want one vpc-id filter of at most %d values", filters, awsfacts.FilterValuesMax)
		}
		return filters[0].Values
	}
	f.On("DescribeRouteTables", func(in any) (any, error) {
		out := &ec2.DescribeRouteTablesOutput{}
		for _, v := range perVPC(in.(*ec2.DescribeRouteTablesInput).Filters) {
			out.RouteTables = append(out.RouteTables, ec2types.RouteTable{VpcId: aws.String(v),
				Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}},
				Routes:       []ec2types.Route{{DestinationCidrBlock: aws.String("10.0.0.0/16"), GatewayId: aws.String("local"), State: ec2types.RouteStateActive}}})
		}
		return out, nil
	})
	f.On("DescribeVpcEndpoints", func(in any) (any, error) {
		out := &ec2.DescribeVpcEndpointsOutput{}
		for _, v := range perVPC(in.(*ec2.DescribeVpcEndpointsInput).Filters) {
			for _, svc := range []string{"ssm", "ssmmessages"} {
				out.VpcEndpoints = append(out.VpcEndpoints, ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-" + svc + v[3:]), VpcId: aws.String(v),
					ServiceName: aws.String("com.amazonaws.us-east-1." + svc), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
					State: "available", PrivateDnsEnabled: aws.Bool(true), SubnetIds: []string{"subnet-e-" + v},
					Groups: []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-ep")}}})
			}
		}
		return out, nil
	})
	f.On("DescribeSecurityGroups", func(in any) (any, error) {
		out := &ec2.DescribeSecurityGroupsOutput{}
		for _, v := range perVPC(in.(*ec2.DescribeSecurityGroupsInput).Filters) {
			out.SecurityGroups = append(out.SecurityGroups,
				ec2types.SecurityGroup{GroupId: aws.String("sg-1"), VpcId: aws.String(v), IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
					FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.2.0/24")}}}}},
				ec2types.SecurityGroup{GroupId: aws.String("sg-ep"), VpcId: aws.String(v), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
					FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-1")}}}}})
		}
		return out, nil
	})
	f.On("DescribeNetworkAcls", func(in any) (any, error) {
		out := &ec2.DescribeNetworkAclsOutput{}
		for _, v := range perVPC(in.(*ec2.DescribeNetworkAclsInput).Filters) {
			a := awsfactstest.DefaultACL()
			a.VpcId = aws.String(v)
			out.NetworkAcls = append(out.NetworkAcls, a)
		}
		return out, nil
	})
	f.On("DescribeSubnets", func(in any) (any, error) {
		out := &ec2.DescribeSubnetsOutput{}
		for _, v := range perVPC(in.(*ec2.DescribeSubnetsInput).Filters) {
			out.Subnets = append(out.Subnets,
				ec2types.Subnet{SubnetId: aws.String("subnet-i-" + v), VpcId: aws.String(v), CidrBlock: aws.String("10.0.1.0/24")},
				ec2types.Subnet{SubnetId: aws.String("subnet-e-" + v), VpcId: aws.String(v), CidrBlock: aws.String("10.0.2.0/24")})
		}
		return out, nil
	})
	f.On("DescribeVpcAttribute", func(in any) (any, error) {
		on := &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}
		return &ec2.DescribeVpcAttributeOutput{EnableDnsSupport: on, EnableDnsHostnames: on}, nil
	})
	a := f.View("us-east-1")
	var targets []*Target
	for _, id := range ids {
		targets = append(targets, ec2Target(id))
	}
	ctx := context.Background()
	if err := PrefetchFleet(ctx, &Env{AWS: a}, targets); err != nil {
		t.Fatal(err)
	}
	if got := f.Count("DescribeSubnets"); got != 2 {
		t.Fatalf("%d DescribeSubnets calls in the prefetch for %d VPCs, want 2", got, n)
	}
	for _, tg := range targets {
		r := Run(ctx, &Env{AWS: a, Target: tg}, []Check{instanceExistsCheck(), instanceNetworkCheck()}, RunOptions{})
		for _, o := range r {
			if o.ID == "instance-network" && (o.Result.Status != StatusPass || !strings.Contains(o.Result.Message, "interface endpoints")) {
				t.Fatalf("%s instance-network: %s %s", tg.InstanceID, o.Result.Status, o.Result.Message)
			}
		}
	}
	if got := f.Count("DescribeSubnets"); got != 2 {
		t.Errorf("%d DescribeSubnets calls after the checks, want the prefetch's 2", got)
	}
	ceil := func(a, b int) int { return (a + b - 1) / b }
	v, ve := n, n
	network := 4*ceil(v, awsfacts.FilterValuesMax) + 2*ve + ceil(ve, awsfacts.FilterValuesMax)
	if got := f.Count("DescribeRouteTables") + f.Count("DescribeVpcEndpoints") + f.Count("DescribeSecurityGroups") +
		f.Count("DescribeNetworkAcls") + f.Count("DescribeVpcAttribute") + f.Count("DescribeSubnets"); got != network {
		t.Errorf("%d network calls for %d endpoint VPCs, want %d (%v)", got, n, network, f.Calls())
	}
}

// TestFleetPrefetchKeepsTheBatchesThatWorked: when one DescribeInstances or
// DescribeInstanceInformation batch fails (throttled past its retries),
// the other batches' answers stand: only the failed batch's instances are
// looked up one by one, and only the instance that keeps failing reports
// "could not determine".
func TestFleetPrefetchKeepsTheBatchesThatWorked(t *testing.T) {
	const n = 250
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("i-%017x", i+1))
	}
	unlucky := ids[60] // in the second DescribeInstanceInformation batch of 50
	f := awsfactstest.Healthy(ids...)
	f.On("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
	ok := f.Handler("DescribeInstanceInformation")
	f.On("DescribeInstanceInformation", func(in any) (any, error) {
		if slices.Contains(in.(*ssm.DescribeInstanceInformationInput).Filters[0].Values, unlucky) {
			return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
		}
		return ok(in)
	})
	a := f.View("us-east-1")
	var targets []*Target
	for _, id := range ids {
		targets = append(targets, ec2Target(id))
	}
	ctx := context.Background()
	err := PrefetchFleet(ctx, &Env{AWS: a}, targets)
	if err == nil || !strings.Contains(err.Error(), "ssm:DescribeInstanceInformation") {
		t.Fatalf("PrefetchFleet error = %v, want the failed DescribeInstanceInformation batch", err)
	}
	batched := f.Count("DescribeInstanceInformation")
	for _, tg := range targets {
		r := Run(ctx, &Env{AWS: a, Target: tg}, awsChecks(), RunOptions{})
		for _, o := range r {
			if o.ID != "instance-registered" {
				continue
			}
			want := StatusPass
			if tg.InstanceID == unlucky {
				want = StatusError
			}
			if o.Result.Status != want {
				t.Errorf("%s instance-registered = %s (%s), want %s", tg.InstanceID, o.Result.Status, o.Result.Message, want)
			}
		}
	}
	// The failed batch's 50 instances ask one by one; the other 200 were answered.
	if got := f.Count("DescribeInstanceInformation") - batched; got != 50 {
		t.Errorf("%d DescribeInstanceInformation calls after the prefetch, want 50 (the failed batch's instances only)", got)
	}
}
