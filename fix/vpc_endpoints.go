package fix

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// EndpointCost is stated before endpoints are created (AWS PrivateLink
// price list, us-east-1).
const EndpointCost = "each interface endpoint costs USD 0.01 per hour per Availability Zone (about USD 7.30 per month) plus USD 0.01 per GB processed"

// endpointGroupName is the security group ssmdoctor creates for the
// endpoints; finding it by name keeps a second run from creating another.
const endpointGroupName = "ssmdoctor-ssm-endpoints"

// PlanVPCEndpoints makes the endpoint path work for a private instance:
// the VPC's DNS attributes on, interface endpoints with private DNS for
// the services its agent needs (created in its subnet when missing, behind
// a group admitting 443 from the instance's groups), existing endpoints'
// groups admitting 443 from the instance, and the instance's first group
// letting 443 out to the endpoints.
//
// An existing endpoint is repaired with an ingress rule on its (first)
// group rather than by attaching ssmdoctor's group to it
// (ModifyVpcEndpoint AddSecurityGroupIds): the rule is one narrow,
// reversible change (revoke-security-group-ingress) that leaves the
// endpoint as its owner built it, and the simulator has no
// ModifyVpcEndpoint. The price: the group's other members admit 443 from
// the instance too. Private DNS off on an existing endpoint is left to the
// user, with the command, for the same reason.
func PlanVPCEndpoints(ctx context.Context, a *AWS, instanceID string) (*Plan, error) {
	p := &Plan{Title: "VPC endpoints for " + instanceID}
	inst, err := describeInstance(ctx, a, instanceID)
	if err != nil {
		return nil, err
	}
	vpc, subnet := aws.ToString(inst.VpcId), aws.ToString(inst.SubnetId)
	if vpc == "" || subnet == "" {
		return nil, refuse("", "%s is not in a VPC subnet", instanceID)
	}
	agent, err := agentVersion(ctx, a, instanceID)
	if err != nil {
		return nil, err
	}
	services := awsfacts.AgentEndpoints(agent)
	if slices.Contains(services, "ec2messages") {
		p.Notes = append(p.Notes, fmt.Sprintf("ec2messages is included: agents before %s (or not yet registered: version unknown) still use it", awsfacts.AgentNoEC2Messages))
	}
	eps, err := a.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		return nil, fmt.Errorf("describe VPC endpoints of %s: %w", vpc, err)
	}
	n, err := loadVPCNet(ctx, a, inst, eps.VpcEndpoints)
	if err != nil {
		return nil, err
	}
	if err := planVPCDNS(ctx, a, p, vpc); err != nil {
		return nil, err
	}
	var missing []string
	var egressTo []*groupRef
	blocked := map[string][]string{} // endpoint group -> endpoints behind it that do not admit the instance
	var blockedOrder []string
	for _, svc := range services {
		name := fmt.Sprintf("com.amazonaws.%s.%s", a.Region, svc)
		ep := awsfacts.FindEndpoint(eps.VpcEndpoints, name)
		if ep == nil {
			missing = append(missing, name)
			continue
		}
		id := aws.ToString(ep.VpcEndpointId)
		if !aws.ToBool(ep.PrivateDnsEnabled) {
			p.Notes = append(p.Notes, fmt.Sprintf("endpoint %s (%s) has private DNS off, so the agent does not use it; ssmdoctor does not modify endpoints: aws ec2 modify-vpc-endpoint --vpc-endpoint-id %s --private-dns-enabled --region %s",
				id, svc, id, a.Region))
		}
		groups := endpointGroupIDs(ep)
		if len(groups) == 0 {
			continue
		}
		if len(n.instGroups) > 0 && !n.net.Admits443(ep) {
			if blocked[groups[0]] == nil {
				blockedOrder = append(blockedOrder, groups[0])
			}
			blocked[groups[0]] = append(blocked[groups[0]], fmt.Sprintf("%s (%s)", id, svc))
		}
		if !n.net.EgressToEndpoint(ep) {
			egressTo = addGroupRef(egressTo, &groupRef{id: groups[0]})
		}
	}
	for _, g := range blockedOrder {
		p.Steps = append(p.Steps, ingressStep(a, g, n.instGroups,
			fmt.Sprintf("this group, on endpoint %s, admits no TCP 443 from the instance", strings.Join(blocked[g], ", "))))
	}
	if len(missing) > 0 {
		group := planEndpointGroup(a, p, n)
		for _, name := range missing {
			p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "CreateVpcEndpoint",
				Params: []Param{{"VpcId", vpc}, {"ServiceName", name}, {"VpcEndpointType", "Interface"}, {"SubnetIds", subnet},
					{"SecurityGroupIds", group.shown()}, {"PrivateDnsEnabled", "true"}},
				Do: func(ctx context.Context) error {
					_, err := a.EC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(vpc), ServiceName: aws.String(name),
						VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{subnet},
						SecurityGroupIds: []string{group.id}, PrivateDnsEnabled: aws.Bool(true)})
					return err
				}})
		}
		// A group about to be created has no id to be named by a rule yet;
		// a CIDR rule toward the subnet may still reach it.
		planned := &ec2types.VpcEndpoint{Groups: []ec2types.SecurityGroupIdentifier{{GroupId: aws.String(group.id)}}, SubnetIds: []string{subnet}}
		if !n.net.EgressToEndpoint(planned) {
			egressTo = addGroupRef(egressTo, group)
		}
		p.Notes = append(p.Notes, fmt.Sprintf("cost: %s; %d endpoint(s) in one Availability Zone", EndpointCost, len(missing)))
	}
	if len(egressTo) > 0 && len(n.instGroups) > 0 {
		p.Steps = append(p.Steps, egressStep(a, n.instGroups[0], egressTo))
	}
	if p.Empty() {
		p.Already = fmt.Sprintf("VPC %s has interface endpoints for %s, and TCP 443 is open from the instance to them", vpc, strings.Join(services, ", "))
		for _, note := range p.Notes {
			if strings.Contains(note, "private DNS off") {
				p.PrintOnly, p.Already = true, "the endpoints' groups already let the instance in; private DNS is yours to turn on (see the note)"
			}
		}
	}
	return p, nil
}

// addGroupRef adds g unless a known group with its id is there already.
func addGroupRef(list []*groupRef, g *groupRef) []*groupRef {
	for _, x := range list {
		if x == g || (g.id != "" && x.id == g.id) {
			return list
		}
	}
	return append(list, g)
}

// groupRef is a security group known at plan time or created by a step.
type groupRef struct {
	id      string
	created bool
}

func (g *groupRef) shown() string {
	if g.created && g.id == "" {
		return "(the group created above)"
	}
	return g.id
}

// planEndpointGroup finds or creates ssmdoctor's endpoint group (found by
// name, so a second run does not create another) and admits 443 from the
// instance's groups it does not admit yet.
func planEndpointGroup(a *AWS, p *Plan, n *vpcNet) *groupRef {
	g := &groupRef{}
	admitted := map[string]bool{}
	for _, id := range sortedGroupIDs(n.groups) {
		sg := n.groups[id]
		if aws.ToString(sg.GroupName) != endpointGroupName {
			continue
		}
		g.id = id
		for _, perm := range sg.IpPermissions {
			if awsfacts.Covers443(perm) {
				for _, pair := range perm.UserIdGroupPairs {
					admitted[aws.ToString(pair.GroupId)] = true
				}
			}
		}
	}
	if g.id == "" {
		g.created = true
		p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "CreateSecurityGroup",
			Params: []Param{{"GroupName", endpointGroupName}, {"Description", "HTTPS from instances to Systems Manager endpoints (ssmdoctor)"}, {"VpcId", n.vpc}},
			Do: func(ctx context.Context) error {
				out, err := a.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(endpointGroupName),
					Description: aws.String("HTTPS from instances to Systems Manager endpoints (ssmdoctor)"), VpcId: aws.String(n.vpc)})
				if err != nil {
					return err
				}
				g.id = aws.ToString(out.GroupId)
				return nil
			}})
	}
	var need []string
	for _, sg := range n.instGroups {
		if !admitted[sg] {
			need = append(need, sg)
		}
	}
	if len(need) > 0 {
		p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "AuthorizeSecurityGroupIngress",
			Params: []Param{{"GroupId", g.shown()}, {"IpPermissions", fmt.Sprintf("tcp 443 from %s", strings.Join(need, ", "))}},
			Do: func(ctx context.Context) error {
				_, err := a.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(g.id),
					IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: groupPairs(need)}}})
				return err
			}})
	}
	return g
}

func sortedGroupIDs(m map[string]ec2types.SecurityGroup) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func agentVersion(ctx context.Context, a *AWS, id string) (string, error) {
	info, err := instanceInfo(ctx, a, id)
	if info == nil {
		return "", err
	}
	return aws.ToString(info.AgentVersion), nil
}
