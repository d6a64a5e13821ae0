package fix

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// EndpointCost is stated before endpoints are created (AWS PrivateLink
// price list, us-east-1).
const EndpointCost = "each interface endpoint costs USD 0.01 per hour per Availability Zone (about USD 7.30 per month) plus USD 0.01 per GB processed"

// endpointGroupName is the security group ssmdoctor creates for the
// endpoints; finding it by name keeps a second run from creating another.
const endpointGroupName = "ssmdoctor-ssm-endpoints"

// agentNoEC2Messages: from this agent version on, ec2messages is not needed
// once ssmmessages connects.
const agentNoEC2Messages = "3.3.40.0"

// PlanVPCEndpoints creates the interface endpoints a private instance needs
// to reach Systems Manager, in its VPC and subnet, with private DNS, behind
// a security group admitting 443 from the instance's groups.
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
	var instGroups []string
	for _, g := range inst.SecurityGroups {
		instGroups = append(instGroups, aws.ToString(g.GroupId))
	}
	services := []string{"ssm", "ssmmessages"}
	agent, err := agentVersion(ctx, a, instanceID)
	if err != nil {
		return nil, err
	}
	if !versionAtLeast(agent, agentNoEC2Messages) {
		services = append(services, "ec2messages")
		p.Notes = append(p.Notes, fmt.Sprintf("ec2messages is included: agents before %s (or not yet registered: version unknown) still use it", agentNoEC2Messages))
	}
	eps, err := a.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		return nil, fmt.Errorf("describe VPC endpoints of %s: %w", vpc, err)
	}
	var missing []string
	for _, svc := range services {
		name := fmt.Sprintf("com.amazonaws.%s.%s", a.Region, svc)
		ep := findInterfaceEndpoint(eps.VpcEndpoints, name)
		switch {
		case ep == nil:
			missing = append(missing, name)
		case !aws.ToBool(ep.PrivateDnsEnabled):
			p.Notes = append(p.Notes, fmt.Sprintf("endpoint %s (%s) exists with private DNS off: ssmdoctor does not modify endpoints it did not create; turn it on with aws ec2 modify-vpc-endpoint --vpc-endpoint-id %s --private-dns-enabled",
				aws.ToString(ep.VpcEndpointId), svc, aws.ToString(ep.VpcEndpointId)))
		}
	}
	if len(missing) == 0 {
		p.Already = fmt.Sprintf("VPC %s has interface endpoints for %s", vpc, strings.Join(services, ", "))
		return p, nil
	}
	group, err := planEndpointGroup(ctx, a, p, vpc, instGroups)
	if err != nil {
		return nil, err
	}
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
	p.Notes = append(p.Notes, fmt.Sprintf("cost: %s; %d endpoint(s) in one Availability Zone", EndpointCost, len(missing)),
		"private DNS needs enableDnsSupport and enableDnsHostnames on the VPC")
	return p, nil
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

func planEndpointGroup(ctx context.Context, a *AWS, p *Plan, vpc string, from []string) (*groupRef, error) {
	out, err := a.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("group-name"), Values: []string{endpointGroupName}}}})
	if err != nil {
		return nil, fmt.Errorf("describe security groups of %s: %w", vpc, err)
	}
	g := &groupRef{}
	admitted := map[string]bool{}
	for _, sg := range out.SecurityGroups {
		if aws.ToString(sg.GroupName) != endpointGroupName {
			continue
		}
		g.id = aws.ToString(sg.GroupId)
		for _, perm := range sg.IpPermissions {
			if aws.ToString(perm.IpProtocol) == "tcp" && aws.ToInt32(perm.FromPort) <= 443 && aws.ToInt32(perm.ToPort) >= 443 {
				for _, pair := range perm.UserIdGroupPairs {
					admitted[aws.ToString(pair.GroupId)] = true
				}
			}
		}
	}
	if g.id == "" {
		g.created = true
		p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "CreateSecurityGroup",
			Params: []Param{{"GroupName", endpointGroupName}, {"Description", "HTTPS from instances to Systems Manager endpoints (ssmdoctor)"}, {"VpcId", vpc}},
			Do: func(ctx context.Context) error {
				out, err := a.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(endpointGroupName),
					Description: aws.String("HTTPS from instances to Systems Manager endpoints (ssmdoctor)"), VpcId: aws.String(vpc)})
				if err != nil {
					return err
				}
				g.id = aws.ToString(out.GroupId)
				return nil
			}})
	}
	var need []string
	for _, sg := range from {
		if !admitted[sg] {
			need = append(need, sg)
		}
	}
	if len(need) > 0 {
		p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "AuthorizeSecurityGroupIngress",
			Params: []Param{{"GroupId", g.shown()}, {"IpPermissions", fmt.Sprintf("tcp 443 from %s", strings.Join(need, ", "))}},
			Do: func(ctx context.Context) error {
				var pairs []ec2types.UserIdGroupPair
				for _, sg := range need {
					pairs = append(pairs, ec2types.UserIdGroupPair{GroupId: aws.String(sg)})
				}
				_, err := a.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(g.id),
					IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: pairs}}})
				return err
			}})
	}
	return g, nil
}

func findInterfaceEndpoint(eps []ec2types.VpcEndpoint, service string) *ec2types.VpcEndpoint {
	for i, ep := range eps {
		st := strings.ToLower(string(ep.State))
		if aws.ToString(ep.ServiceName) == service && ep.VpcEndpointType == ec2types.VpcEndpointTypeInterface && st != "deleted" && st != "deleting" {
			return &eps[i]
		}
	}
	return nil
}

func agentVersion(ctx context.Context, a *AWS, id string) (string, error) {
	info, err := instanceInfo(ctx, a, id)
	if info == nil {
		return "", err
	}
	return aws.ToString(info.AgentVersion), nil
}

// versionAtLeast compares dotted agent versions numerically; unknown or
// unparsable versions never pass. (go-version stays boxed in checks.)
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			n, err := strconv.Atoi(a[i])
			if err != nil {
				return false
			}
			x = n
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}
