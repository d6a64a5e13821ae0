package awsfacts

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Page sizes: the largest each API accepts, so fleets cost the fewest calls.
const (
	describeInstancesPage = 1000
	describeRouteTables   = 100
	describeGroupsPage    = 1000
	describeEndpointsPage = 1000
	// FilterValuesMax is how many values one EC2 filter takes.
	FilterValuesMax = 200
)

type instanceRec struct {
	inst *ec2types.Instance // nil: no such instance in this region
}

// Instance describes an EC2 instance; nil without error when the region has
// no such instance. Hybrid (mi-) nodes are not EC2 instances: nil as well.
func (e *AWSEnv) Instance(ctx context.Context, id string) (*ec2types.Instance, error) {
	if strings.HasPrefix(id, "mi-") {
		return nil, nil
	}
	rec, err := e.instances.get(ctx, id, func() (*instanceRec, error) {
		out, err := e.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			if c := ErrorCode(err); c == "InvalidInstanceID.NotFound" || c == "InvalidInstanceID.Malformed" {
				return &instanceRec{}, nil
			}
			return nil, callErr("ec2:DescribeInstances", err)
		}
		for _, r := range out.Reservations {
			for i := range r.Instances {
				if aws.ToString(r.Instances[i].InstanceId) == id {
					return &instanceRec{inst: &r.Instances[i]}, nil
				}
			}
		}
		return &instanceRec{}, nil
	})
	if err != nil {
		return nil, err
	}
	return rec.inst, nil
}

// describeInstances pages through DescribeInstances with server-side
// filters, remembering every instance it sees.
func (e *AWSEnv) describeInstances(ctx context.Context, api EC2API, filters []ec2types.Filter) ([]ec2types.Instance, error) {
	return e.describeInstancesPaged(ctx, api, filters, nil)
}

// describeInstancesPaged is describeInstances handing onPage each page's
// instances as it is decoded, in order.
func (e *AWSEnv) describeInstancesPaged(ctx context.Context, api EC2API, filters []ec2types.Filter, onPage func([]ec2types.Instance)) ([]ec2types.Instance, error) {
	in := &ec2.DescribeInstancesInput{Filters: filters, MaxResults: aws.Int32(describeInstancesPage)}
	out, err := describeInstancePages(ctx, api, in, onPage)
	if err != nil {
		return nil, callErr("ec2:DescribeInstances", err)
	}
	if api == e.ec2 {
		for i := range out {
			e.instances.put(aws.ToString(out[i].InstanceId), &instanceRec{inst: &out[i]}, nil)
		}
	}
	return out, nil
}

// Network facts are fetched per VPC (one call covers every subnet and
// instance in it) so that a fleet costs calls per VPC, not per instance.

type vpcRoutes struct{ tables []ec2types.RouteTable }
type vpcEndpoints struct{ list []ec2types.VpcEndpoint }
type vpcGroups struct {
	byID map[string]ec2types.SecurityGroup
}

// perVPC answers vpcID from m, fetching that VPC alone when PrefetchFleet
// has not already stored it (with m.putAll) from a fetch of many.
func perVPC[V any](ctx context.Context, m *memo[string, *V], vpcID string, fetch func(context.Context, []string) (map[string]*V, error)) (*V, error) {
	return m.get(ctx, vpcID, func() (*V, error) {
		got, err := fetch(ctx, []string{vpcID})
		return got[vpcID], err
	})
}

// RouteTable is the table that routes subnetID: its explicit association,
// else the VPC's main table (implicitly associated subnets have no
// association record of their own).
func (e *AWSEnv) RouteTable(ctx context.Context, vpcID, subnetID string) (*ec2types.RouteTable, error) {
	rec, err := perVPC(ctx, &e.routeTables, vpcID, e.fetchRouteTables)
	if err != nil {
		return nil, err
	}
	var main *ec2types.RouteTable
	for i, t := range rec.tables {
		for _, a := range t.Associations {
			if aws.ToString(a.SubnetId) == subnetID {
				return &rec.tables[i], nil
			}
			if aws.ToBool(a.Main) {
				main = &rec.tables[i]
			}
		}
	}
	return main, nil
}

func (e *AWSEnv) fetchRouteTables(ctx context.Context, vpcIDs []string) (map[string]*vpcRoutes, error) {
	out := map[string]*vpcRoutes{}
	for _, id := range vpcIDs {
		out[id] = &vpcRoutes{}
	}
	for _, chunk := range chunks(vpcIDs, FilterValuesMax) {
		p := ec2.NewDescribeRouteTablesPaginator(e.ec2, &ec2.DescribeRouteTablesInput{
			Filters:    []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}},
			MaxResults: aws.Int32(describeRouteTables),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, callErr("ec2:DescribeRouteTables", err)
			}
			for _, t := range page.RouteTables {
				if r := out[aws.ToString(t.VpcId)]; r != nil {
					r.tables = append(r.tables, t)
				}
			}
		}
	}
	return out, nil
}

// VpcEndpoints lists the VPC's endpoints.
func (e *AWSEnv) VpcEndpoints(ctx context.Context, vpcID string) ([]ec2types.VpcEndpoint, error) {
	rec, err := perVPC(ctx, &e.endpoints, vpcID, e.fetchEndpoints)
	if err != nil {
		return nil, err
	}
	return rec.list, nil
}

func (e *AWSEnv) fetchEndpoints(ctx context.Context, vpcIDs []string) (map[string]*vpcEndpoints, error) {
	out := map[string]*vpcEndpoints{}
	for _, id := range vpcIDs {
		out[id] = &vpcEndpoints{}
	}
	for _, chunk := range chunks(vpcIDs, FilterValuesMax) {
		p := ec2.NewDescribeVpcEndpointsPaginator(e.ec2, &ec2.DescribeVpcEndpointsInput{
			Filters:    []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}},
			MaxResults: aws.Int32(describeEndpointsPage),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, callErr("ec2:DescribeVpcEndpoints", err)
			}
			for _, ep := range page.VpcEndpoints {
				if r := out[aws.ToString(ep.VpcId)]; r != nil {
					r.list = append(r.list, ep)
				}
			}
		}
	}
	return out, nil
}

// SecurityGroups returns the VPC's security groups by id.
func (e *AWSEnv) SecurityGroups(ctx context.Context, vpcID string) (map[string]ec2types.SecurityGroup, error) {
	rec, err := perVPC(ctx, &e.sgs, vpcID, e.fetchGroups)
	if err != nil {
		return nil, err
	}
	return rec.byID, nil
}

func (e *AWSEnv) fetchGroups(ctx context.Context, vpcIDs []string) (map[string]*vpcGroups, error) {
	out := map[string]*vpcGroups{}
	for _, id := range vpcIDs {
		out[id] = &vpcGroups{byID: map[string]ec2types.SecurityGroup{}}
	}
	for _, chunk := range chunks(vpcIDs, FilterValuesMax) {
		p := ec2.NewDescribeSecurityGroupsPaginator(e.ec2, &ec2.DescribeSecurityGroupsInput{
			Filters:    []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}},
			MaxResults: aws.Int32(describeGroupsPage),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, callErr("ec2:DescribeSecurityGroups", err)
			}
			for _, g := range page.SecurityGroups {
				if r := out[aws.ToString(g.VpcId)]; r != nil {
					r.byID[aws.ToString(g.GroupId)] = g
				}
			}
		}
	}
	return out, nil
}

// VpcAttribute reads enableDnsSupport or enableDnsHostnames.
func (e *AWSEnv) VpcAttribute(ctx context.Context, vpcID string, attr ec2types.VpcAttributeName) (bool, error) {
	return e.vpcAttrs.get(ctx, vpcID+"|"+string(attr), func() (bool, error) {
		out, err := e.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: attr})
		if err != nil {
			return false, callErr("ec2:DescribeVpcAttribute", err)
		}
		switch attr {
		case ec2types.VpcAttributeNameEnableDnsSupport:
			return out.EnableDnsSupport != nil && aws.ToBool(out.EnableDnsSupport.Value), nil
		case ec2types.VpcAttributeNameEnableDnsHostnames:
			return out.EnableDnsHostnames != nil && aws.ToBool(out.EnableDnsHostnames.Value), nil
		}
		return false, fmt.Errorf("vpc attribute %s is not supported here", attr)
	})
}

func chunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
