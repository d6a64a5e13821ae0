package awsfacts_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts/awsfactstest"
)

// TestPrefetchFleetAsksTheGivenQuestions: the prefetch simulates what the
// caller of PrefetchFleet will ask (FleetQuestions), in one batch per
// principal, and then answers those questions from the cache; without
// questions it simulates nothing.
func TestPrefetchFleetAsksTheGivenQuestions(t *testing.T) {
	ids := []string{"i-0123456789abcdef0", "i-0123456789abcdef1"}
	var targets []*awsfacts.Target
	for _, id := range ids {
		targets = append(targets, &awsfacts.Target{Input: id, InstanceID: id, Region: "us-east-1"})
	}
	fleet := func() *awsfactstest.Fake {
		f := awsfactstest.Healthy(ids...)
		f.On("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
		return f
	}
	ctx := context.Background()

	f := fleet()
	if err := awsfacts.PrefetchFleet(ctx, f.View("us-east-1"), targets, awsfacts.FleetQuestions{}); err != nil {
		t.Fatal(err)
	}
	if n := f.Count("SimulatePrincipalPolicy"); n != 0 {
		t.Errorf("no questions, yet %d simulations", n)
	}

	roleReq := []awsfacts.AccessReq{{Action: "ssm:UpdateInstanceInformation", Resource: "*"}}
	start := func(c *awsfacts.Caller, region string, t *awsfacts.Target, _ *ec2types.Instance) awsfacts.AccessReq {
		return awsfacts.AccessReq{Action: "ssm:StartSession", Resource: "arn:" + c.Partition + ":ec2:" + region + ":" + c.Account + ":instance/" + t.InstanceID}
	}
	f = fleet()
	a := f.View("us-east-1")
	if err := awsfacts.PrefetchFleet(ctx, a, targets, awsfacts.FleetQuestions{Role: roleReq, StartSession: start}); err != nil {
		t.Fatal(err)
	}
	if n := f.Count("SimulatePrincipalPolicy"); n != 2 {
		t.Errorf("%d simulations, want 2 (the role's questions, the caller's StartSession over both instances)", n)
	}
	before := f.Total()
	c, err := a.CallerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		decs, _, err := a.Evaluate(ctx, a.CallerPrincipal(c), []awsfacts.AccessReq{start(c, "us-east-1", tg, nil)})
		if err != nil || len(decs) != 1 || decs[0].Decision != "allowed" {
			t.Fatalf("%s: %v %v", tg.InstanceID, decs, err)
		}
	}
	if n := f.Total() - before; n != 0 {
		t.Errorf("the prefetched questions cost %d more calls (%v)", n, f.Calls())
	}
}
