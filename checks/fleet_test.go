package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// TestFleetPrefetchCallsWithinBound checks that a fleet costs the calls the
// PrefetchFleet formula states (within 10%), not calls per instance.
func TestFleetPrefetchCallsWithinBound(t *testing.T) {
	const n = 250
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("i-%017x", i+1))
	}
	f := healthyFake(ids...)
	f.on("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
	f.on("DescribeSecurityGroups", func(any) (any, error) { return &ec2.DescribeSecurityGroupsOutput{}, nil })
	a := f.env("us-east-1")
	env := &Env{AWS: a}
	var targets []*Target
	for _, id := range ids {
		targets = append(targets, ec2Target(id))
	}
	ctx := context.Background()
	if err := PrefetchFleet(ctx, env, targets); err != nil {
		t.Fatal(err)
	}
	afterPrefetch := f.total()
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
			afterPrefetch = f.total() // the first target fetches the fleet-wide answers
		}
	}
	if extra := f.total() - afterPrefetch; extra != 0 {
		t.Errorf("targets after the first made %d calls, want 0 (%v)", extra, f.calls)
	}
	ceil := func(a, b int) int { return (a + b - 1) / b }
	// Ids given explicitly: DescribeInstances by instance-id filter (200 values a call).
	bound := ceil(n, filterValuesMax) + ceil(n, 50) + 1 + 2 + 4 + 1 + ceil(n, simulateResourceBatch) + 3 + 1
	t.Logf("%d calls for %d instances, lower bound %d: %v", f.total(), n, bound, f.calls)
	if got := f.total(); float64(got) > 1.1*float64(bound) {
		t.Errorf("%d calls for %d instances, bound %d (%v)", got, n, bound, f.calls)
	}
	if got := f.count("GetConnectionStatus"); got != 0 {
		t.Errorf("GetConnectionStatus called %d times in a fleet run", got)
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
	f := healthyFake(ids...)
	f.on("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
	ok := f.ops["DescribeInstanceInformation"]
	f.on("DescribeInstanceInformation", func(in any) (any, error) {
		if slices.Contains(in.(*ssm.DescribeInstanceInformationInput).Filters[0].Values, unlucky) {
			return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
		}
		return ok(in)
	})
	a := f.env("us-east-1")
	var targets []*Target
	for _, id := range ids {
		targets = append(targets, ec2Target(id))
	}
	ctx := context.Background()
	err := PrefetchFleet(ctx, &Env{AWS: a}, targets)
	if err == nil || !strings.Contains(err.Error(), "ssm:DescribeInstanceInformation") {
		t.Fatalf("PrefetchFleet error = %v, want the failed DescribeInstanceInformation batch", err)
	}
	batched := f.count("DescribeInstanceInformation")
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
	if got := f.count("DescribeInstanceInformation") - batched; got != 50 {
		t.Errorf("%d DescribeInstanceInformation calls after the prefetch, want 50 (the failed batch's instances only)", got)
	}
}
