package checks

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

func instanceNetworkCheck() Check {
	return New("instance-network", "instance can reach Systems Manager (route to the internet or VPC endpoints)", LayerInstance,
		[]string{"instance-exists"}, instanceTimeout, runInstanceNetwork)
}

// netView is what the check knows of the instance's network: all of it
// read per VPC (route tables, endpoints, security groups, DNS
// attributes), so a fleet costs no call per instance.
type netView struct {
	// Network's SubnetBlocks are read only when the agent's traffic goes
	// to an endpoint (nil otherwise): its interfaces' addresses are not
	// listed, their subnets' blocks are.
	awsfacts.Network
	eps      []ec2types.VpcEndpoint
	internet bool
	via      string
	denials  []*awsfacts.ACLDenial // network ACL problems, one per problem line
}

// runInstanceNetwork judges each service the agent needs on the path name
// resolution gives it, as AWS does: an available interface endpoint with
// private DNS, in a VPC with DNS support and hostnames on, takes the
// service's traffic even when an internet route exists; otherwise it goes
// out through the route to the public endpoint.
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
	nv := &netView{Network: awsfacts.Network{Instance: inst, VPCBlocks: localBlocks(rt)}}
	nv.internet, nv.via = defaultRoute(rt, inst)
	if nv.Groups, err = env.AWS.SecurityGroups(ctx, vpc); err != nil {
		return undetermined(err)
	}
	if nv.ACLs, err = env.AWS.NetworkACLs(ctx, vpc); err != nil {
		return undetermined(err)
	}
	eps, epErr := env.AWS.VpcEndpoints(ctx, vpc)
	if epErr != nil && !nv.internet {
		return undetermined(epErr)
	}
	nv.eps = eps
	needed := agentServices(ctx, env)
	dns, dnsOff, err := privateDNSUsable(ctx, env, vpc, nv.eps, needed)
	if err != nil {
		return undetermined(err)
	}
	if dns && awsfacts.EndpointPathPossible(nv.eps, regionOf(env), needed) {
		if nv.SubnetBlocks, err = env.AWS.SubnetCIDRs(ctx, vpc); err != nil {
			return undetermined(err)
		}
	}

	var problems, viaEndpoint, viaRoute []string
	internetEgressOnly := true // every problem is 443 not leaving for the internet
	for _, svc := range needed {
		name := fmt.Sprintf("com.amazonaws.%s.%s", regionOf(env), svc)
		ep := awsfacts.FindEndpoint(nv.eps, name)
		switch {
		case dns && awsfacts.UsableEndpoint(ep):
			id := aws.ToString(ep.VpcEndpointId)
			if !nv.EgressToEndpoint(ep) {
				problems = append(problems, fmt.Sprintf("%s: the instance's security groups allow no outbound TCP 443 to endpoint %s", svc, id))
			} else if !nv.Admits443(ep) {
				problems = append(problems, fmt.Sprintf("endpoint %s (%s): no security group admits TCP 443 from the instance", id, svc))
			} else if d := nv.ACLToEndpoint(ep); d != nil {
				problems = append(problems, svc+": "+d.String())
				nv.denials = append(nv.denials, d)
			} else {
				viaEndpoint = append(viaEndpoint, svc)
				continue
			}
			internetEgressOnly = false
		case nv.internet:
			if !nv.EgressToInternet() {
				problems = append(problems, fmt.Sprintf("%s: the instance's security groups allow no outbound TCP 443 to the internet", svc))
				continue
			}
			if d := nv.ACLToInternet(); d != nil {
				problems = append(problems, svc+": "+d.String())
				nv.denials = append(nv.denials, d)
				internetEgressOnly = false
				continue
			}
			viaRoute = append(viaRoute, svc)
		default:
			internetEgressOnly = false
			problems = append(problems, whyNoEndpoint(svc, name, ep, dnsOff))
		}
	}
	return networkVerdict(env, nv, subnet, needed, problems, viaEndpoint, viaRoute, internetEgressOnly, epErr)
}

func networkVerdict(env *Env, nv *netView, subnet string, needed, problems, viaEndpoint, viaRoute []string, internetEgressOnly bool, epErr error) Result {
	fix := fixCommand(env, "--vpc-endpoints "+env.Target.InstanceID)
	routeNote := "internet path: " + nv.via
	if len(problems) == 0 {
		var r Result
		switch {
		case len(viaEndpoint) == 0:
			r = Pass("subnet %s routes 0.0.0.0/0 to %s", subnet, nv.via)
		case len(viaRoute) == 0:
			r = Pass("interface endpoints for %s with private DNS and 443 open", strings.Join(viaEndpoint, ", ")).WithDetails(routeNote)
		default:
			r = Pass("%s through interface endpoints with private DNS, %s through %s", strings.Join(viaEndpoint, ", "), strings.Join(viaRoute, ", "), nv.via)
		}
		if epErr != nil {
			r = r.WithDetails(fmt.Sprintf("judged on the route alone: %v (interface endpoints with private DNS would take the agent's traffic instead)", epErr))
		}
		return r
	}
	if len(nv.denials) == len(problems) {
		return aclVerdict(env, nv, problems)
	}
	if internetEgressOnly {
		ids := instanceGroupIDs(nv.Instance)
		r := Fail("the instance's security groups allow no outbound TCP 443 to the internet: the agent cannot reach Systems Manager through %s", nv.via).
			WithDetails("groups: "+strings.Join(ids, ", "), "the agent connects out to ssm, ssmmessages and ec2messages on 443; nothing connects in")
		if len(ids) > 0 {
			r = r.WithFix(fmt.Sprintf("aws ec2 authorize-security-group-egress --group-id %s --ip-permissions IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges='[{CidrIp=0.0.0.0/0}]' --region %s", ids[0], regionOf(env)), "")
		}
		return r
	}
	if !nv.internet && !anyEndpoint(nv.eps, regionOf(env)) {
		return Fail("subnet %s has no way out to Systems Manager: %s, and no VPC endpoints", subnet, nv.via).
			WithDetails("add a NAT gateway route, or interface endpoints for "+strings.Join(needed, ", ")+" with private DNS").
			WithFix(fix, FixVPCEndpoints)
	}
	return Fail("network path incomplete: %s", problems[0]).WithDetails(problems[1:]...).
		WithDetails(routeNote).WithFix(fix, FixVPCEndpoints)
}

// agentServices are the endpoints the agent needs; an unregistered agent's
// version is unknown, so it may still need ec2messages.
func agentServices(ctx context.Context, env *Env) []string {
	var v string
	if info, _ := env.AWS.InstanceInformation(ctx, env.Target.InstanceID); info != nil {
		v = aws.ToString(info.AgentVersion)
	}
	return awsfacts.AgentEndpoints(v)
}

// privateDNSUsable reads the VPC's DNS attributes, only when some needed
// service has an endpoint whose private DNS they decide: a VPC without one
// costs no call. dnsOff names the attributes that are off.
func privateDNSUsable(ctx context.Context, env *Env, vpc string, eps []ec2types.VpcEndpoint, needed []string) (bool, []string, error) {
	matters := false
	for _, svc := range needed {
		if ep := awsfacts.FindEndpoint(eps, fmt.Sprintf("com.amazonaws.%s.%s", regionOf(env), svc)); ep != nil && aws.ToBool(ep.PrivateDnsEnabled) {
			matters = true
		}
	}
	if !matters {
		return false, nil, nil
	}
	var off []string
	for _, attr := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		on, err := env.AWS.VpcAttribute(ctx, vpc, attr)
		if err != nil {
			return false, nil, err
		}
		if !on {
			off = append(off, fmt.Sprintf("VPC %s has %s off: endpoint private DNS does not resolve", vpc, attr))
		}
	}
	return len(off) == 0, off, nil
}

// whyNoEndpoint says why a service without an internet route has no usable
// endpoint either.
func whyNoEndpoint(svc, name string, ep *ec2types.VpcEndpoint, dnsOff []string) string {
	switch {
	case ep == nil:
		return "no interface endpoint " + name
	case !aws.ToBool(ep.PrivateDnsEnabled):
		return fmt.Sprintf("endpoint %s (%s) has private DNS off: the agent resolves the public name", aws.ToString(ep.VpcEndpointId), svc)
	case !awsfacts.UsableEndpoint(ep):
		return fmt.Sprintf("endpoint %s (%s) is %s, not available", aws.ToString(ep.VpcEndpointId), svc, ep.State)
	case len(dnsOff) > 0:
		return dnsOff[0]
	}
	return "no route to " + name
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

// localBlocks are the VPC's IPv4 blocks, as its local routes state them.
func localBlocks(rt *ec2types.RouteTable) []netip.Prefix {
	var out []netip.Prefix
	if rt == nil {
		return nil
	}
	for _, r := range rt.Routes {
		if aws.ToString(r.GatewayId) != "local" {
			continue
		}
		if p, err := netip.ParsePrefix(aws.ToString(r.DestinationCidrBlock)); err == nil && p.Addr().Is4() {
			out = append(out, p.Masked())
		}
	}
	return out
}

func anyEndpoint(eps []ec2types.VpcEndpoint, region string) bool {
	for _, svc := range []string{"ssm", "ssmmessages", "ec2messages"} {
		if awsfacts.FindEndpoint(eps, fmt.Sprintf("com.amazonaws.%s.%s", region, svc)) != nil {
			return true
		}
	}
	return false
}
