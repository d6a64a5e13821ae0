package checks

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func instanceNetworkCheck() Check {
	return New("instance-network", "instance can reach Systems Manager (route to the internet or VPC endpoints)", LayerInstance,
		[]string{"instance-exists"}, instanceTimeout, runInstanceNetwork)
}

func runInstanceNetwork(ctx context.Context, env *Env) Result {
	if env.Target != nil && env.Target.Hybrid {
		return Skip("hybrid nodes reach Systems Manager through their own network")
	}
	inst, r, ok := targetInstance(ctx, env)
	if !ok {
		return r
	}
	vpc, subnet := aws.ToString(inst.VpcId), aws.ToString(inst.SubnetId)
	if vpc == "" || subnet == "" {
		return Skip("instance is not in a VPC subnet")
	}
	rt, err := env.AWS.RouteTable(ctx, vpc, subnet)
	if err != nil {
		return undetermined(err)
	}
	egress, via := defaultRoute(rt, inst)
	if !egress {
		return endpointPath(ctx, env, inst, subnet, via)
	}
	// A route out is not enough: the agent's HTTPS leaves through the
	// instance's security groups.
	groups, err := env.AWS.SecurityGroups(ctx, vpc)
	if err != nil {
		return undetermined(err)
	}
	if !egress443(inst, groups) {
		ids := instanceGroupIDs(inst)
		return Fail("the instance's security groups allow no outbound TCP 443: the agent cannot reach Systems Manager through %s", via).
			WithDetails("groups: "+strings.Join(ids, ", "), "the agent connects out to ssm, ssmmessages and ec2messages on 443; nothing connects in").
			WithFix(fmt.Sprintf("aws ec2 authorize-security-group-egress --group-id %s --ip-permissions IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges='[{CidrIp=0.0.0.0/0}]' --region %s", ids[0], regionOf(env)), "")
	}
	return Pass("subnet %s routes 0.0.0.0/0 to %s", subnet, via)
}

func instanceGroupIDs(inst *ec2types.Instance) []string {
	var ids []string
	for _, g := range inst.SecurityGroups {
		ids = append(ids, aws.ToString(g.GroupId))
	}
	return ids
}

// defaultRoute reports whether the subnet reaches public AWS endpoints: an
// internet gateway (with a public address on the instance) or a NAT gateway.
func defaultRoute(rt *ec2types.RouteTable, inst *ec2types.Instance) (bool, string) {
	if rt == nil {
		return false, "no route table"
	}
	for _, r := range rt.Routes {
		if aws.ToString(r.DestinationCidrBlock) != "0.0.0.0/0" || r.State == ec2types.RouteStateBlackhole {
			continue
		}
		switch {
		case aws.ToString(r.NatGatewayId) != "":
			return true, aws.ToString(r.NatGatewayId)
		case strings.HasPrefix(aws.ToString(r.GatewayId), "igw-"):
			if inst.PublicIpAddress != nil {
				return true, aws.ToString(r.GatewayId)
			}
			return false, aws.ToString(r.GatewayId) + " but the instance has no public IP"
		case aws.ToString(r.TransitGatewayId) != "":
			return true, aws.ToString(r.TransitGatewayId) + " (egress beyond the transit gateway is not visible from here)"
		}
	}
	return false, "no 0.0.0.0/0 route to an internet or NAT gateway"
}

// endpointPath checks the private-subnet path: interface endpoints with
// private DNS, VPC DNS on, and security groups that admit 443.
func endpointPath(ctx context.Context, env *Env, inst *ec2types.Instance, subnet, routeNote string) Result {
	vpc := aws.ToString(inst.VpcId)
	region := regionOf(env)
	fix := fixCommand(env, "--vpc-endpoints "+env.Target.InstanceID)
	eps, err := env.AWS.VpcEndpoints(ctx, vpc)
	if err != nil {
		return undetermined(err)
	}
	needed := []string{"ssm", "ssmmessages"}
	info, _ := env.AWS.InstanceInformation(ctx, env.Target.InstanceID)
	if info == nil || !versionAtLeast(aws.ToString(info.AgentVersion), agentNoEC2Msgs) {
		needed = append(needed, "ec2messages")
	}
	groups, err := env.AWS.SecurityGroups(ctx, vpc)
	if err != nil {
		return undetermined(err)
	}
	var problems []string
	for _, svc := range needed {
		name := fmt.Sprintf("com.amazonaws.%s.%s", region, svc)
		ep := findEndpoint(eps, name)
		switch {
		case ep == nil:
			problems = append(problems, "no interface endpoint "+name)
		case !aws.ToBool(ep.PrivateDnsEnabled):
			problems = append(problems, fmt.Sprintf("endpoint %s (%s) has private DNS off: the agent resolves the public name", aws.ToString(ep.VpcEndpointId), svc))
		case !admits443(ep, groups, inst):
			problems = append(problems, fmt.Sprintf("endpoint %s (%s): no security group admits TCP 443 from the instance", aws.ToString(ep.VpcEndpointId), svc))
		}
	}
	if len(problems) == len(needed) && !anyEndpoint(eps, region) {
		return Fail("subnet %s has no way out to Systems Manager: %s, and no VPC endpoints", subnet, routeNote).
			WithDetails("add a NAT gateway route, or interface endpoints for "+strings.Join(needed, ", ")+" with private DNS").
			WithFix(fix, "vpc-endpoints")
	}
	for _, attr := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		on, err := env.AWS.VpcAttribute(ctx, vpc, attr)
		if err != nil {
			return undetermined(err)
		}
		if !on {
			problems = append(problems, fmt.Sprintf("VPC %s has %s off: endpoint private DNS does not resolve", vpc, attr))
		}
	}
	if !egress443(inst, groups) {
		problems = append(problems, "the instance's security groups allow no outbound TCP 443")
	}
	if len(problems) > 0 {
		return Fail("private path incomplete: %s", problems[0]).WithDetails(problems[1:]...).
			WithDetails("internet path: "+routeNote).WithFix(fix, "vpc-endpoints")
	}
	return Pass("interface endpoints for %s with private DNS and 443 open", strings.Join(needed, ", ")).
		WithDetails("internet path: " + routeNote)
}

func findEndpoint(eps []ec2types.VpcEndpoint, service string) *ec2types.VpcEndpoint {
	for i, ep := range eps {
		if aws.ToString(ep.ServiceName) == service && ep.VpcEndpointType == ec2types.VpcEndpointTypeInterface &&
			!strings.EqualFold(string(ep.State), "deleted") && !strings.EqualFold(string(ep.State), "deleting") {
			return &eps[i]
		}
	}
	return nil
}

func anyEndpoint(eps []ec2types.VpcEndpoint, region string) bool {
	for _, svc := range []string{"ssm", "ssmmessages", "ec2messages"} {
		if findEndpoint(eps, fmt.Sprintf("com.amazonaws.%s.%s", region, svc)) != nil {
			return true
		}
	}
	return false
}

// admits443 reports whether one of the endpoint's groups lets the instance
// in on 443: by one of its security groups, or by a CIDR holding its IP.
func admits443(ep *ec2types.VpcEndpoint, groups map[string]ec2types.SecurityGroup, inst *ec2types.Instance) bool {
	mine := map[string]bool{}
	for _, g := range inst.SecurityGroups {
		mine[aws.ToString(g.GroupId)] = true
	}
	ip, _ := netip.ParseAddr(aws.ToString(inst.PrivateIpAddress))
	for _, eg := range ep.Groups {
		g, ok := groups[aws.ToString(eg.GroupId)]
		if !ok {
			continue
		}
		for _, p := range g.IpPermissions {
			if !covers443(p) {
				continue
			}
			for _, pair := range p.UserIdGroupPairs {
				if mine[aws.ToString(pair.GroupId)] {
					return true
				}
			}
			for _, rng := range p.IpRanges {
				if pfx, err := netip.ParsePrefix(aws.ToString(rng.CidrIp)); err == nil && ip.IsValid() && pfx.Contains(ip) {
					return true
				}
			}
		}
	}
	return false
}

func egress443(inst *ec2types.Instance, groups map[string]ec2types.SecurityGroup) bool {
	for _, ig := range inst.SecurityGroups {
		g, ok := groups[aws.ToString(ig.GroupId)]
		if !ok {
			return true // not visible: do not claim a problem we cannot see
		}
		for _, p := range g.IpPermissionsEgress {
			if covers443(p) {
				return true
			}
		}
	}
	return len(inst.SecurityGroups) == 0
}

func covers443(p ec2types.IpPermission) bool {
	proto := aws.ToString(p.IpProtocol)
	if proto == "-1" || proto == "all" {
		return true
	}
	if proto != "tcp" && proto != "6" {
		return false
	}
	return aws.ToInt32(p.FromPort) <= 443 && aws.ToInt32(p.ToPort) >= 443
}
