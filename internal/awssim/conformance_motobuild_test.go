package awssim

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/ssmdoctor/ssmdoctor/internal/motoserver"
)

// buildInMoto makes, in a fresh moto account, what the simulator cannot be
// asked to create (it has no RunInstances, CreateVpc, CreateUser, ...): a
// VPC with a subnet, three instances (A with IMDSv2, B stopped, C launched
// without security groups) and the user alice with AdministratorAccess and
// an access key. The simulator is then seeded with the same ids.
func buildInMoto(t *testing.T, ctx context.Context, m *motoserver.Server) *motoWorld {
	t.Helper()
	w := &motoWorld{account: motoserver.NewAccountID(), instances: map[string]ec2types.Instance{}}
	cfg := m.Config(w.account)
	e, i := ec2.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("moto setup: %s: %v\nmoto log tail:\n%s", what, err, tail(m.Log(), 2000))
		}
	}

	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	must("create vpc", err)
	w.vpc = aws.ToString(vpc.Vpc.VpcId)
	// AWS refuses private DNS on an endpoint unless the VPC has DNS
	// hostnames (off by default on a new VPC); the simulator checks this
	// and moto does not, so the VPC is made valid for both.
	_, err = e.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(w.vpc), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
	must("enable dns hostnames", err)
	for _, attr := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		a, err := e.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(w.vpc), Attribute: attr})
		must("describe vpc attribute", err)
		if a.EnableDnsSupport != nil {
			w.dnsSupport = aws.ToBool(a.EnableDnsSupport.Value)
		}
		if a.EnableDnsHostnames != nil {
			w.dnsHostnames = aws.ToBool(a.EnableDnsHostnames.Value)
		}
	}
	sub, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(w.vpc), CidrBlock: aws.String("10.20.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	must("create subnet", err)
	w.subnet = aws.ToString(sub.Subnet.SubnetId)

	sgs, err := e.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{w.vpc}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
	must("describe default security group", err)
	if len(sgs.SecurityGroups) != 1 {
		t.Fatalf("moto setup: %d default security groups in %s", len(sgs.SecurityGroups), w.vpc)
	}
	w.sg = aws.ToString(sgs.SecurityGroups[0].GroupId)
	w.sgIngress, w.sgEgress = sgs.SecurityGroups[0].IpPermissions, sgs.SecurityGroups[0].IpPermissionsEgress
	w.mainRtb = mainTable(t, ctx, e, w.vpc)

	def, err := e.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	must("describe default vpc", err)
	if len(def.Vpcs) != 1 {
		t.Fatalf("moto setup: %d default VPCs", len(def.Vpcs))
	}
	w.defaultVpc, w.defaultVpcCidr = aws.ToString(def.Vpcs[0].VpcId), aws.ToString(def.Vpcs[0].CidrBlock)
	w.defaultRtb = mainTable(t, ctx, e, w.defaultVpc)

	// One of the AMIs moto bundles; listing them all costs seconds.
	const ami = "ami-03cf127a"
	imgs, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami}})
	must("describe image "+ami, err)
	if len(imgs.Images) != 1 {
		t.Fatalf("moto setup: AMI %s not bundled with this moto", ami)
	}
	launch := func(name string, sgs []string, md *ec2types.InstanceMetadataOptionsRequest) string {
		out, err := e.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			SubnetId: aws.String(w.subnet), SecurityGroupIds: sgs, MetadataOptions: md,
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{
				{Key: aws.String("Env"), Value: aws.String("conf")}, {Key: aws.String("Name"), Value: aws.String(name)}}}}})
		must("run instance "+name, err)
		return aws.ToString(out.Instances[0].InstanceId)
	}
	full := func(tokens ec2types.HttpTokensState, hops int32) *ec2types.InstanceMetadataOptionsRequest {
		// Every field is sent: moto blanks the ones left out (a known
		// deviation of ModifyInstanceMetadataOptions, avoided here too).
		return &ec2types.InstanceMetadataOptionsRequest{HttpTokens: tokens, HttpPutResponseHopLimit: aws.Int32(hops), HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled}
	}
	w.instA = launch("conf-a", []string{w.sg}, full(ec2types.HttpTokensStateRequired, 2))
	w.instB = launch("conf-b", []string{w.sg}, full(ec2types.HttpTokensStateOptional, 1))
	w.instC = launch("conf-c", nil, full(ec2types.HttpTokensStateOptional, 1))
	_, err = e.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{w.instB}})
	must("stop instance B", err)
	desc, err := e.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{w.instA, w.instB, w.instC}})
	must("describe instances", err)
	for _, r := range desc.Reservations {
		for _, in := range r.Instances {
			w.instances[aws.ToString(in.InstanceId)] = in
		}
	}

	u, err := i.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	must("create user", err)
	w.userID = aws.ToString(u.User.UserId)
	_, err = i.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(PolicyAdministratorAccess)})
	must("attach user policy", err)
	k, err := i.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	must("create access key", err)
	w.keyID, w.secret = aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	return w
}

func mainTable(t *testing.T, ctx context.Context, e *ec2.Client, vpc string) string {
	t.Helper()
	out, err := e.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("association.main"), Values: []string{"true"}}}})
	if err != nil || len(out.RouteTables) != 1 {
		t.Fatalf("moto setup: main route table of %s: %v (%d tables)", vpc, err, len(out.RouteTables))
	}
	return aws.ToString(out.RouteTables[0].RouteTableId)
}

// simStateFrom is the simulator's account holding what moto built, with
// moto's ids, so that responses line up. Where moto deviates from AWS the
// state follows AWS (the default VPC routes to an internet gateway;
// instance C has the default security group).
func simStateFrom(w *motoWorld) *State {
	st := &State{AccountID: w.account}
	st.Normalize()
	st.VPCs[w.vpc] = &VPC{ID: w.vpc, Region: "us-east-1", CidrBlock: "10.20.0.0/16", EnableDNSSupport: w.dnsSupport, EnableDNSHostnames: w.dnsHostnames}
	st.VPCs[w.defaultVpc] = &VPC{ID: w.defaultVpc, Region: "us-east-1", CidrBlock: w.defaultVpcCidr, IsDefault: true, EnableDNSSupport: true, EnableDNSHostnames: true}
	st.Subnets[w.subnet] = &Subnet{ID: w.subnet, VpcID: w.vpc, Region: "us-east-1", CidrBlock: "10.20.1.0/24", AvailabilityZone: "us-east-1a"}
	st.SecurityGroups[w.sg] = &SecurityGroup{ID: w.sg, Name: "default", Description: "default VPC security group", VpcID: w.vpc, Region: "us-east-1",
		Ingress: sgRules(w.sgIngress), Egress: sgRules(w.sgEgress)}
	st.RouteTables[w.mainRtb] = &RouteTable{ID: w.mainRtb, VpcID: w.vpc, Region: "us-east-1", Main: true,
		Routes: []Route{{DestinationCidrBlock: "10.20.0.0/16", GatewayID: "local", State: "active"}}}
	st.RouteTables[w.defaultRtb] = &RouteTable{ID: w.defaultRtb, VpcID: w.defaultVpc, Region: "us-east-1", Main: true,
		Routes: []Route{{DestinationCidrBlock: w.defaultVpcCidr, GatewayID: "local", State: "active"},
			{DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-0c0ffee0000000001", State: "active"}}}
	for id, in := range w.instances {
		var tags []Tag
		for _, tg := range in.Tags {
			tags = append(tags, Tag{Key: aws.ToString(tg.Key), Value: aws.ToString(tg.Value)})
		}
		md := in.MetadataOptions
		st.Instances[id] = &Instance{ID: id, Region: "us-east-1", State: string(in.State.Name), InstanceType: string(in.InstanceType), ImageID: aws.ToString(in.ImageId),
			Tags: tags, PrivateIP: aws.ToString(in.PrivateIpAddress), PrivateDNS: aws.ToString(in.PrivateDnsName), VpcID: w.vpc, SubnetID: w.subnet,
			SecurityGroupIDs: []string{w.sg}, LaunchTime: aws.ToTime(in.LaunchTime),
			Metadata: MetadataOptions{HTTPTokens: string(md.HttpTokens), HTTPEndpoint: string(md.HttpEndpoint), HopLimit: int(aws.ToInt32(md.HttpPutResponseHopLimit))}}
	}
	st.Users["alice"] = &User{Name: "alice", ID: w.userID, AttachedPolicies: []string{PolicyAdministratorAccess}, CreatedAt: time.Now().UTC()}
	st.AccessKeys[w.keyID] = &AccessKey{ID: w.keyID, Secret: w.secret, UserName: "alice", Status: "Active"}
	return st
}

func sgRules(perms []ec2types.IpPermission) []SGRule {
	var out []SGRule
	for _, p := range perms {
		r := SGRule{Protocol: aws.ToString(p.IpProtocol), FromPort: int(aws.ToInt32(p.FromPort)), ToPort: int(aws.ToInt32(p.ToPort))}
		for _, ip := range p.IpRanges {
			r.Cidrs = append(r.Cidrs, aws.ToString(ip.CidrIp))
		}
		for _, g := range p.UserIdGroupPairs {
			r.Groups = append(r.Groups, aws.ToString(g.GroupId))
		}
		out = append(out, r)
	}
	return out
}

func sortedTags(tags []ec2types.Tag) []ec2types.Tag {
	out := append([]ec2types.Tag(nil), tags...)
	sort.Slice(out, func(i, j int) bool { return aws.ToString(out[i].Key) < aws.ToString(out[j].Key) })
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
