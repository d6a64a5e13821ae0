package awssim

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func ec2F(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

func TestEC2ProfileAssociations(t *testing.T) {
	s, _ := startEC2Sim(t)
	c := ec2As(s, "admin")
	ctx := context.Background()

	d, err := c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []types.Filter{ec2F("instance-id", demoHealthy), ec2F("state", "associated")}})
	if err != nil || len(d.IamInstanceProfileAssociations) != 1 {
		t.Fatalf("%v %+v", err, d)
	}
	healthyAssoc := d.IamInstanceProfileAssociations[0]
	if healthyAssoc.State != types.IamInstanceProfileAssociationStateAssociated ||
		aws.ToString(healthyAssoc.IamInstanceProfile.Arn) != "arn:aws:iam::123456789012:instance-profile/SSMInstanceProfile" {
		t.Fatalf("%+v", healthyAssoc)
	}
	byID, err := c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{AssociationIds: []string{aws.ToString(healthyAssoc.AssociationId)}})
	if err != nil || len(byID.IamInstanceProfileAssociations) != 1 {
		t.Fatalf("by id: %v", err)
	}
	all, err := c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{})
	// healthy, old agent, role without ssm, legacy, connection lost, isolated, stopped, private endpoints, ssh open, key pair
	if err != nil || len(all.IamInstanceProfileAssociations) != 10 {
		t.Fatalf("all: %v %d", err, len(all.IamInstanceProfileAssociations))
	}
	_, err = c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{AssociationIds: []string{"iip-assoc-0000000000000000"}})
	wantAPIError(t, err, "InvalidAssociationID.NotFound", 400, "The association ID 'iip-assoc-0000000000000000' does not exist")

	// Associate by name, then the instance shows it.
	a, err := c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(demoNoProfile),
		IamInstanceProfile: &types.IamInstanceProfileSpecification{Name: aws.String("SSMInstanceProfile")}})
	if err != nil {
		t.Fatal(err)
	}
	if a.IamInstanceProfileAssociation.State != types.IamInstanceProfileAssociationStateAssociating {
		t.Fatalf("state %s", a.IamInstanceProfileAssociation.State)
	}
	inst, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{demoNoProfile}})
	if err != nil || inst.Reservations[0].Instances[0].IamInstanceProfile == nil ||
		!strings.HasSuffix(aws.ToString(inst.Reservations[0].Instances[0].IamInstanceProfile.Arn), "/SSMInstanceProfile") {
		t.Fatalf("after associate: %v", err)
	}
	_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(demoNoProfile),
		IamInstanceProfile: &types.IamInstanceProfileSpecification{Name: aws.String("SSMInstanceProfile")}})
	wantAPIError(t, err, "IncorrectState", 400, "There is an existing association for instance "+demoNoProfile)
	_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(demoDHMC),
		IamInstanceProfile: &types.IamInstanceProfileSpecification{Name: aws.String("NoSuchProfile")}})
	wantAPIError(t, err, "InvalidParameterValue", 400, "Value (NoSuchProfile) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
	// By ARN works too.
	_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(demoDHMC),
		IamInstanceProfile: &types.IamInstanceProfileSpecification{Arn: aws.String("arn:aws:iam::123456789012:instance-profile/LegacySSMProfile")}})
	if err != nil {
		t.Fatal(err)
	}

	// Replace: a new association id, the old one gone, DescribeInstances current.
	r, err := c.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId:      healthyAssoc.AssociationId,
		IamInstanceProfile: &types.IamInstanceProfileSpecification{Name: aws.String("AppServerProfile")}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(r.IamInstanceProfileAssociation.AssociationId) == aws.ToString(healthyAssoc.AssociationId) {
		t.Fatal("replace kept the association id")
	}
	inst, _ = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{demoHealthy}})
	if got := aws.ToString(inst.Reservations[0].Instances[0].IamInstanceProfile.Arn); !strings.HasSuffix(got, "/AppServerProfile") {
		t.Fatalf("DescribeInstances after replace: %s", got)
	}
	_, err = c.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId:      healthyAssoc.AssociationId,
		IamInstanceProfile: &types.IamInstanceProfileSpecification{Name: aws.String("AppServerProfile")}})
	wantAPIError(t, err, "InvalidAssociationID.NotFound", 400, aws.ToString(healthyAssoc.AssociationId))
}

func TestEC2NetworkDescribes(t *testing.T) {
	s, _ := startEC2Sim(t)
	c := ec2As(s, "alice")
	ctx := context.Background()

	rt, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{ec2F("association.subnet-id", "subnet-0a11600d000000001")}})
	if err != nil || len(rt.RouteTables) != 1 {
		t.Fatalf("%v %+v", err, rt)
	}
	pub := rt.RouteTables[0]
	var igw, local bool
	for _, r := range pub.Routes {
		igw = igw || (aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" && strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") && r.State == types.RouteStateActive)
		local = local || aws.ToString(r.GatewayId) == "local"
	}
	if !igw || !local || len(pub.Associations) != 1 || aws.ToString(pub.Associations[0].SubnetId) != "subnet-0a11600d000000001" {
		t.Fatalf("public table %+v", pub)
	}
	// The isolated subnet is only implicitly associated: find its VPC's main table.
	none, _ := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{ec2F("association.subnet-id", "subnet-0bad0000000000007")}})
	main, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{ec2F("vpc-id", "vpc-0bad0000000000007"), ec2F("association.main", "true")}})
	if err != nil || len(none.RouteTables) != 0 || len(main.RouteTables) != 1 || !aws.ToBool(main.RouteTables[0].Associations[0].Main) || len(main.RouteTables[0].Routes) != 1 {
		t.Fatalf("isolated main table: %v %+v", err, main)
	}
	byID, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-0a11600d000000002"}})
	if err != nil || len(byID.RouteTables) != 1 {
		t.Fatalf("route-table by id: %v", err)
	}
	byFilter, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{ec2F("route-table-id", "rtb-0a11600d000000002")}})
	if err != nil || len(byFilter.RouteTables) != 1 {
		t.Fatalf("route-table-id filter: %v", err)
	}
	_, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-00000000"}})
	wantAPIError(t, err, "InvalidRouteTableID.NotFound", 400, "rtb-00000000")

	subs, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{ec2F("vpc-id", "vpc-0a11600d000000001")}})
	if err != nil || len(subs.Subnets) != 2 {
		t.Fatalf("subnets %v %d", err, len(subs.Subnets))
	}
	one, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0a11600d000000001"}})
	if err != nil || aws.ToString(one.Subnets[0].CidrBlock) != "10.0.1.0/24" || !aws.ToBool(one.Subnets[0].MapPublicIpOnLaunch) ||
		aws.ToString(one.Subnets[0].AvailabilityZone) != "us-east-1a" || aws.ToInt32(one.Subnets[0].AvailableIpAddressCount) <= 0 {
		t.Fatalf("subnet %+v", one)
	}
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-00000000"}})
	wantAPIError(t, err, "InvalidSubnetID.NotFound", 400, "subnet-00000000")

	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{ec2F("group-name", "demo-ssm-endpoints")}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("sg %v", err)
	}
	ep := sgs.SecurityGroups[0]
	in := ep.IpPermissions
	if len(in) != 1 || aws.ToString(in[0].IpProtocol) != "tcp" || aws.ToInt32(in[0].FromPort) != 443 || aws.ToInt32(in[0].ToPort) != 443 ||
		len(in[0].UserIdGroupPairs) != 1 || aws.ToString(in[0].UserIdGroupPairs[0].GroupId) != "sg-0a11600d000000001" {
		t.Fatalf("endpoint SG ingress %+v", in)
	}
	if len(ep.IpPermissionsEgress) != 1 || aws.ToString(ep.IpPermissionsEgress[0].IpProtocol) != "-1" || ep.IpPermissionsEgress[0].FromPort != nil ||
		aws.ToString(ep.IpPermissionsEgress[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Fatalf("egress %+v", ep.IpPermissionsEgress)
	}
	byVPC, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{ec2F("vpc-id", "vpc-0bad0000000000007")}})
	if err != nil || len(byVPC.SecurityGroups) != 2 { // demo-isolated + the VPC's default
		t.Fatalf("by vpc %v %d", err, len(byVPC.SecurityGroups))
	}
	byGroup, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{ec2F("group-id", "sg-0a11600d000000001")}})
	if err != nil || len(byGroup.SecurityGroups) != 1 || aws.ToString(byGroup.SecurityGroups[0].GroupName) != "demo-instances" {
		t.Fatalf("group-id filter %v", err)
	}
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-00000000"}})
	wantAPIError(t, err, "InvalidGroup.NotFound", 400, "sg-00000000")

	for _, attr := range []types.VpcAttributeName{types.VpcAttributeNameEnableDnsSupport, types.VpcAttributeNameEnableDnsHostnames} {
		a, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-0a11600d000000001"), Attribute: attr})
		if err != nil {
			t.Fatal(err)
		}
		v := a.EnableDnsSupport
		if attr == types.VpcAttributeNameEnableDnsHostnames {
			v = a.EnableDnsHostnames
		}
		if v == nil || !aws.ToBool(v.Value) {
			t.Fatalf("%s: %+v", attr, a)
		}
	}
	_, err = c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-00000000"), Attribute: types.VpcAttributeNameEnableDnsSupport})
	wantAPIError(t, err, "InvalidVpcID.NotFound", 400, "The vpc ID 'vpc-00000000' does not exist")

	regs, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil || len(regs.Regions) != 4 || aws.ToString(regs.Regions[0].Endpoint) != "ec2."+aws.ToString(regs.Regions[0].RegionName)+".amazonaws.com" {
		t.Fatalf("regions %v %+v", err, regs)
	}
	one2, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{Filters: []types.Filter{ec2F("region-name", "eu-*")}})
	if err != nil || len(one2.Regions) != 1 || aws.ToString(one2.Regions[0].RegionName) != "eu-west-1" {
		t.Fatalf("region filter %v", err)
	}
}

func TestEC2VpcEndpoints(t *testing.T) {
	s, clk := startEC2Sim(t)
	c := ec2As(s, "admin")
	ctx := context.Background()
	d, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		ec2F("vpc-id", "vpc-0a11600d000000001"), ec2F("service-name", "com.amazonaws.us-east-1.ssm", "com.amazonaws.us-east-1.ssmmessages"),
		ec2F("vpc-endpoint-type", "Interface"), ec2F("vpc-endpoint-state", "available")}})
	if err != nil || len(d.VpcEndpoints) != 2 {
		t.Fatalf("%v %+v", err, d)
	}
	var names []string
	for _, e := range d.VpcEndpoints {
		names = append(names, aws.ToString(e.ServiceName))
		if !aws.ToBool(e.PrivateDnsEnabled) || len(e.Groups) != 1 || aws.ToString(e.Groups[0].GroupId) != "sg-0a11600d000000002" ||
			len(e.SubnetIds) != 1 || len(e.DnsEntries) != 2 {
			t.Fatalf("endpoint %+v", e)
		}
	}
	sort.Strings(names)
	if names[1] != "com.amazonaws.us-east-1.ssmmessages" {
		t.Fatalf("names %v", names)
	}
	none, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{ec2F("vpc-id", "vpc-0bad0000000000007")}})
	if err != nil || len(none.VpcEndpoints) != 0 {
		t.Fatalf("isolated VPC endpoints %v", err)
	}

	// The fix for the isolated VPC: an ssm interface endpoint.
	cr, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String("vpc-0bad0000000000007"), ServiceName: aws.String("com.amazonaws.us-east-1.ssm"),
		VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: []string{"subnet-0bad0000000000007"},
		SecurityGroupIds: []string{"sg-0bad0000000000007"}, PrivateDnsEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	e := cr.VpcEndpoint
	// AWS sends the state in lower case although the SDK's enum constants
	// are capitalised; the simulator follows AWS.
	if string(e.State) != "pending" || !strings.HasPrefix(aws.ToString(e.VpcEndpointId), "vpce-") || !aws.ToBool(e.PrivateDnsEnabled) ||
		!e.CreationTimestamp.Equal(clk.Now()) {
		t.Fatalf("created %+v", e)
	}
	after, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(e.VpcEndpointId)}})
	if err != nil || string(after.VpcEndpoints[0].State) != "available" {
		t.Fatalf("after create %v", err)
	}
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String("vpc-0bad0000000000007"), ServiceName: aws.String("com.amazonaws.us-east-1.ssm"),
		VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: []string{"subnet-0bad0000000000007"}, PrivateDnsEnabled: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameter", 400, "conflicting DNS domain for ssm.us-east-1.amazonaws.com")
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-00000000"), ServiceName: aws.String("com.amazonaws.us-east-1.ssm"),
		VpcEndpointType: types.VpcEndpointTypeInterface})
	wantAPIError(t, err, "InvalidVpcID.NotFound", 400, "vpc-00000000")
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-0bad0000000000007"), ServiceName: aws.String("com.amazonaws.us-east-1.nosuch"),
		VpcEndpointType: types.VpcEndpointTypeGateway})
	wantAPIError(t, err, "InvalidServiceName", 400, "com.amazonaws.us-east-1.nosuch")

	gw, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-0bad0000000000007"),
		ServiceName: aws.String("com.amazonaws.us-east-1.s3"), RouteTableIds: []string{"rtb-0bad0000000000007"}})
	if err != nil || gw.VpcEndpoint.VpcEndpointType != types.VpcEndpointTypeGateway || len(gw.VpcEndpoint.RouteTableIds) != 1 {
		t.Fatalf("gateway %v %+v", err, gw)
	}
	rts, _ := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-0bad0000000000007"}})
	if len(rts.RouteTables[0].Routes) != 2 || aws.ToString(rts.RouteTables[0].Routes[1].GatewayId) != aws.ToString(gw.VpcEndpoint.VpcEndpointId) {
		t.Fatalf("gateway route %+v", rts.RouteTables[0].Routes)
	}
}

func TestEC2SecurityGroupChanges(t *testing.T) {
	s, _ := startEC2Sim(t)
	c := ec2As(s, "admin")
	ctx := context.Background()
	cr, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("isolated-endpoints"),
		Description: aws.String("HTTPS from the isolated instances"), VpcId: aws.String("vpc-0bad0000000000007")})
	if err != nil || !strings.HasPrefix(aws.ToString(cr.GroupId), "sg-") {
		t.Fatalf("%v %+v", err, cr)
	}
	_, err = c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("isolated-endpoints"),
		Description: aws.String("again"), VpcId: aws.String("vpc-0bad0000000000007")})
	wantAPIError(t, err, "InvalidGroup.Duplicate", 400, "The security group 'isolated-endpoints' already exists for VPC 'vpc-0bad0000000000007'")

	perm := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String("sg-0bad0000000000007")}},
		IpRanges:         []types.IpRange{{CidrIp: aws.String("10.1.0.0/16")}}}
	au, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: cr.GroupId, IpPermissions: []types.IpPermission{perm}})
	if err != nil || !aws.ToBool(au.Return) || len(au.SecurityGroupRules) != 2 {
		t.Fatalf("%v %+v", err, au)
	}
	d, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(cr.GroupId)}})
	if err != nil {
		t.Fatal(err)
	}
	in := d.SecurityGroups[0].IpPermissions
	if len(in) != 1 || aws.ToInt32(in[0].FromPort) != 443 || aws.ToString(in[0].IpRanges[0].CidrIp) != "10.1.0.0/16" ||
		aws.ToString(in[0].UserIdGroupPairs[0].GroupId) != "sg-0bad0000000000007" {
		t.Fatalf("ingress %+v", in)
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: cr.GroupId, IpPermissions: []types.IpPermission{perm}})
	wantAPIError(t, err, "InvalidPermission.Duplicate", 400, "already exists")
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-00000000"), IpPermissions: []types.IpPermission{perm}})
	wantAPIError(t, err, "InvalidGroup.NotFound", 400, "sg-00000000")
}
