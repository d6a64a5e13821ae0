package awssim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// TestEC2SGEgressAuthorize: an egress rule added through the SDK shows in
// DescribeSecurityGroups, is answered as egress rules per peer, cannot be
// added twice, and lets a private instance whose group had no way out
// register again.
func TestEC2SGEgressAuthorize(t *testing.T) {
	st := DemoScenario()
	st.SecurityGroups[netInstSG].Egress = nil
	st.Users["nobody"] = &User{Name: "nobody"}
	st.AccessKeys[ec2NobodyKey] = &AccessKey{ID: ec2NobodyKey, Secret: ec2NobodySecret, UserName: "nobody"}
	s := startSim(t, st, Options{})
	c := ec2As(s, "admin")
	ctx := context.Background()
	online := func() bool {
		t.Helper()
		out, err := ssm.NewFromConfig(awsConfig(s, DemoAccessKey, DemoSecretKey, "")).DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{
			Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: []string{netPrivInst}}}})
		if err != nil {
			t.Fatalf("DescribeInstanceInformation: %v", err)
		}
		return len(out.InstanceInformationList) == 1 && out.InstanceInformationList[0].PingStatus == ssmtypes.PingStatusOnline
	}
	if online() {
		t.Fatal("an instance whose group lets nothing out is Online")
	}

	perm := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		IpRanges:         []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(netEndpSG)}}}
	out, err := c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(netInstSG), IpPermissions: []types.IpPermission{perm}})
	if err != nil || !aws.ToBool(out.Return) || len(out.SecurityGroupRules) != 2 {
		t.Fatalf("AuthorizeSecurityGroupEgress: %v %+v", err, out)
	}
	for _, r := range out.SecurityGroupRules {
		if !aws.ToBool(r.IsEgress) || aws.ToString(r.GroupId) != netInstSG || aws.ToInt32(r.FromPort) != 443 || aws.ToString(r.SecurityGroupRuleId) == "" {
			t.Errorf("rule %+v", r)
		}
	}
	if out.SecurityGroupRules[0].SecurityGroupRuleId == out.SecurityGroupRules[1].SecurityGroupRuleId {
		t.Errorf("both peers got rule id %s", aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId))
	}
	d, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{netInstSG}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	eg := d.SecurityGroups[0].IpPermissionsEgress
	if len(eg) != 1 || aws.ToString(eg[0].IpProtocol) != "tcp" || aws.ToInt32(eg[0].ToPort) != 443 ||
		aws.ToString(eg[0].IpRanges[0].CidrIp) != "0.0.0.0/0" || aws.ToString(eg[0].UserIdGroupPairs[0].GroupId) != netEndpSG {
		t.Fatalf("egress after the call: %+v", eg)
	}
	if len(d.SecurityGroups[0].IpPermissions) != 0 {
		t.Errorf("ingress changed: %+v", d.SecurityGroups[0].IpPermissions)
	}
	if !online() {
		t.Error("the instance is not Online once 443 may leave")
	}

	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(netInstSG), IpPermissions: []types.IpPermission{perm}})
	wantAPIError(t, err, "InvalidPermission.Duplicate", 400, "peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW")
	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String("sg-00000000"), IpPermissions: []types.IpPermission{perm}})
	wantAPIError(t, err, "InvalidGroup.NotFound", 400, "sg-00000000")
	ghost := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String("sg-0000000000000beef")}}}
	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(netInstSG), IpPermissions: []types.IpPermission{ghost}})
	wantAPIError(t, err, "InvalidGroup.NotFound", 400, "sg-0000000000000beef")
	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(netInstSG)})
	wantAPIError(t, err, "MissingParameter", 400, "ipPermissions")

	_, err = ec2As(s, "nobody").AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(netInstSG),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}})
	wantAPIError(t, err, "UnauthorizedOperation", 403,
		"User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: ec2:AuthorizeSecurityGroupEgress on resource: arn:aws:ec2:us-east-1:123456789012:security-group/"+netInstSG)
	s.WithState(func(st *State) {
		if n := len(st.SecurityGroups[netInstSG].Egress); n != 1 {
			t.Errorf("refused calls changed the group: %d egress rules", n)
		}
	})
}

// TestEC2VpcModifyAttribute: each DNS attribute changes alone and reads
// back through DescribeVpcAttribute; both at once, hostnames without DNS
// support, an unknown VPC and a caller without permission are refused as
// EC2 refuses them.
func TestEC2VpcModifyAttribute(t *testing.T) {
	s, _ := startEC2Sim(t)
	c := ec2As(s, "admin")
	ctx := context.Background()
	read := func(attr types.VpcAttributeName) bool {
		t.Helper()
		out, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(netVPC), Attribute: attr})
		if err != nil {
			t.Fatalf("DescribeVpcAttribute %s: %v", attr, err)
		}
		if attr == types.VpcAttributeNameEnableDnsSupport {
			return aws.ToBool(out.EnableDnsSupport.Value)
		}
		return aws.ToBool(out.EnableDnsHostnames.Value)
	}
	set := func(support, hostnames *bool) error {
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(netVPC)}
		if support != nil {
			in.EnableDnsSupport = &types.AttributeBooleanValue{Value: support}
		}
		if hostnames != nil {
			in.EnableDnsHostnames = &types.AttributeBooleanValue{Value: hostnames}
		}
		_, err := c.ModifyVpcAttribute(ctx, in)
		return err
	}
	if err := set(nil, aws.Bool(false)); err != nil {
		t.Fatalf("hostnames off: %v", err)
	}
	if read(types.VpcAttributeNameEnableDnsHostnames) || !read(types.VpcAttributeNameEnableDnsSupport) {
		t.Fatal("after hostnames off: want hostnames off, support on")
	}
	if err := set(aws.Bool(false), nil); err != nil {
		t.Fatalf("support off: %v", err)
	}
	wantAPIError(t, set(nil, aws.Bool(true)), "InvalidParameterValue", 400, "enableDnsSupport")
	wantAPIError(t, set(aws.Bool(true), aws.Bool(true)), "InvalidParameterCombination", 400, "Fields for multiple attribute types specified")
	wantAPIError(t, set(nil, nil), "MissingParameter", 400, "")
	if err := set(aws.Bool(true), nil); err != nil {
		t.Fatalf("support on: %v", err)
	}
	if err := set(nil, aws.Bool(true)); err != nil {
		t.Fatalf("hostnames on: %v", err)
	}
	if !read(types.VpcAttributeNameEnableDnsHostnames) || !read(types.VpcAttributeNameEnableDnsSupport) {
		t.Fatal("both attributes should be on again")
	}
	_, err := c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String("vpc-00000000"), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantAPIError(t, err, "InvalidVpcID.NotFound", 400, "vpc-00000000")
	_, err = ec2As(s, "nobody").ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(netVPC), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(false)}})
	wantAPIError(t, err, "UnauthorizedOperation", 403,
		"User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: ec2:ModifyVpcAttribute on resource: arn:aws:ec2:us-east-1:123456789012:vpc/"+netVPC)
	if !read(types.VpcAttributeNameEnableDnsSupport) {
		t.Error("a refused call turned DNS support off")
	}
}
