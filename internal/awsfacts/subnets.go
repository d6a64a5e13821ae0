package awsfacts

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// describeSubnetsPage is the largest page DescribeSubnets accepts.
const describeSubnetsPage = 1000

// vpcSubnets holds each subnet's IPv4 block: the endpoint path is judged
// against the blocks of the endpoint's subnets, where its interfaces are.
type vpcSubnets struct{ cidrs map[string]netip.Prefix }

// SubnetCIDRs maps the VPC's subnet ids to their IPv4 blocks.
func (e *AWSEnv) SubnetCIDRs(ctx context.Context, vpcID string) (map[string]netip.Prefix, error) {
	rec, err := perVPC(ctx, &e.subnets, vpcID, e.fetchSubnets)
	if err != nil {
		return nil, err
	}
	return rec.cidrs, nil
}

func (e *AWSEnv) fetchSubnets(ctx context.Context, vpcIDs []string) (map[string]*vpcSubnets, error) {
	out := map[string]*vpcSubnets{}
	for _, id := range vpcIDs {
		out[id] = &vpcSubnets{cidrs: map[string]netip.Prefix{}}
	}
	for _, chunk := range chunks(vpcIDs, FilterValuesMax) {
		p := ec2.NewDescribeSubnetsPaginator(e.ec2, &ec2.DescribeSubnetsInput{
			Filters:    []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}},
			MaxResults: aws.Int32(describeSubnetsPage),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, callErr("ec2:DescribeSubnets", err)
			}
			for _, s := range page.Subnets {
				r := out[aws.ToString(s.VpcId)]
				pfx, perr := netip.ParsePrefix(aws.ToString(s.CidrBlock))
				if r != nil && perr == nil && pfx.Addr().Is4() {
					r.cidrs[aws.ToString(s.SubnetId)] = pfx.Masked()
				}
			}
		}
	}
	return out, nil
}

// endpointVPCs are the VPCs among vpcs whose agent traffic may go to
// interface endpoints (an available one with private DNS, in some
// subnet, for a service the agent uses): only they need their subnets
// read, so a fleet on the internet path pays nothing for them.
func (e *AWSEnv) endpointVPCs(ctx context.Context, vpcs []string) []string {
	var out []string
	for _, v := range vpcs {
		if !e.endpoints.has(v) {
			continue // the endpoints' read failed: the check reports it
		}
		eps, err := e.VpcEndpoints(ctx, v)
		if err == nil && EndpointPathPossible(eps, e.Region, agentServiceNames) {
			out = append(out, v)
		}
	}
	return out
}

// agentServiceNames are all the services an agent may need; the fleet
// prefetch does not know each instance's agent version.
var agentServiceNames = []string{"ssm", "ssmmessages", "ec2messages"}

// EndpointPathPossible: some service in needed has a usable endpoint with
// subnets, whose blocks then decide its path.
func EndpointPathPossible(eps []ec2types.VpcEndpoint, region string, needed []string) bool {
	for _, svc := range needed {
		if ep := FindEndpoint(eps, fmt.Sprintf("com.amazonaws.%s.%s", region, svc)); UsableEndpoint(ep) && len(ep.SubnetIds) > 0 {
			return true
		}
	}
	return false
}
