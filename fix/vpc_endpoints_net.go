package fix

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// vpcNet is what --vpc-endpoints reads of the instance's VPC to decide
// which security group rules are missing: read once at plan time, and
// judged with the predicates the check instance-network uses.
type vpcNet struct {
	vpc, subnet string
	instGroups  []string
	groups      map[string]ec2types.SecurityGroup
	net         awsfacts.Network
}

func loadVPCNet(ctx context.Context, a *AWS, inst *ec2types.Instance, eps []ec2types.VpcEndpoint) (*vpcNet, error) {
	n := &vpcNet{vpc: aws.ToString(inst.VpcId), subnet: aws.ToString(inst.SubnetId),
		groups: map[string]ec2types.SecurityGroup{}}
	n.net = awsfacts.Network{Instance: inst, Groups: n.groups, SubnetBlocks: map[string]netip.Prefix{}}
	for _, g := range inst.SecurityGroups {
		n.instGroups = append(n.instGroups, aws.ToString(g.GroupId))
	}
	pages := ec2.NewDescribeSecurityGroupsPaginator(a.EC2, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.vpc}}}})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe security groups of %s: %w", n.vpc, err)
		}
		for _, g := range out.SecurityGroups {
			n.groups[aws.ToString(g.GroupId)] = g
		}
	}
	// The endpoints' subnets say where their network interfaces are, so
	// whether an egress CIDR reaches them.
	ids := map[string]bool{n.subnet: true}
	for _, ep := range eps {
		for _, s := range ep.SubnetIds {
			ids[s] = true
		}
	}
	out, err := a.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: slices.Sorted(maps.Keys(ids))})
	if err != nil {
		return nil, fmt.Errorf("describe subnets of %s: %w", n.vpc, err)
	}
	for _, s := range out.Subnets {
		if p, err := netip.ParsePrefix(aws.ToString(s.CidrBlock)); err == nil {
			n.net.SubnetBlocks[aws.ToString(s.SubnetId)] = p
		}
	}
	return n, nil
}

func endpointGroupIDs(ep *ec2types.VpcEndpoint) []string {
	var ids []string
	for _, g := range ep.Groups {
		ids = append(ids, aws.ToString(g.GroupId))
	}
	return ids
}

// planVPCDNS turns on the DNS attributes endpoint private DNS needs,
// support first: EC2 refuses hostnames without it, and both in one call.
func planVPCDNS(ctx context.Context, a *AWS, p *Plan, vpc string) error {
	for _, attr := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		out, err := a.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpc), Attribute: attr})
		if err != nil {
			return fmt.Errorf("describe %s of %s: %w", attr, vpc, err)
		}
		on := out.EnableDnsSupport
		if attr == ec2types.VpcAttributeNameEnableDnsHostnames {
			on = out.EnableDnsHostnames
		}
		if on != nil && aws.ToBool(on.Value) {
			continue
		}
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpc)}
		name := "EnableDnsSupport"
		if attr == ec2types.VpcAttributeNameEnableDnsHostnames {
			name, in.EnableDnsHostnames = "EnableDnsHostnames", &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}
		} else {
			in.EnableDnsSupport = &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}
		}
		p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "ModifyVpcAttribute",
			Params: []Param{{"VpcId", vpc}, {name, "true"}},
			Why:    "endpoint private DNS resolves only with enableDnsSupport and enableDnsHostnames on",
			Do: func(ctx context.Context) error {
				_, err := a.EC2.ModifyVpcAttribute(ctx, in)
				return err
			}})
	}
	return nil
}

// ingressStep admits TCP 443 from the instance's groups into an existing
// endpoint's group.
func ingressStep(a *AWS, group string, from []string, why string) *Call {
	return &Call{Service: "ec2", Operation: "AuthorizeSecurityGroupIngress",
		Params: []Param{{"GroupId", group}, {"IpPermissions", "tcp 443 from " + strings.Join(from, ", ")}},
		Why:    why,
		Do: func(ctx context.Context) error {
			_, err := a.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(group),
				IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: groupPairs(from)}}})
			return err
		}}
}

// egressStep lets TCP 443 leave the instance's first group toward the
// endpoints' groups: only as far as the endpoints, not to the internet.
func egressStep(a *AWS, group string, to []*groupRef) *Call {
	var shown []string
	for _, g := range to {
		shown = append(shown, g.shown())
	}
	return &Call{Service: "ec2", Operation: "AuthorizeSecurityGroupEgress",
		Params: []Param{{"GroupId", group}, {"IpPermissions", "tcp 443 to " + strings.Join(shown, ", ")}},
		Why:    "the instance's security groups let no TCP 443 out to the endpoints",
		Do: func(ctx context.Context) error {
			var ids []string
			for _, g := range to {
				ids = append(ids, g.id)
			}
			_, err := a.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(group),
				IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: groupPairs(ids)}}})
			return err
		}}
}

func groupPairs(ids []string) []ec2types.UserIdGroupPair {
	var pairs []ec2types.UserIdGroupPair
	for _, id := range ids {
		pairs = append(pairs, ec2types.UserIdGroupPair{GroupId: aws.String(id)})
	}
	return pairs
}
