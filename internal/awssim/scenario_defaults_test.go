package awssim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// scenarioDefaultsJSON leaves fields out and states them explicitly, side
// by side.
const scenarioDefaultsJSON = `{
	"AccessKeys": {"AKIAROOTDEFAULTS0001": {"SecretAccessKey": "root-secret-for-defaults", "Root": true}},
	"Vpcs": {
		"vpc-0000000000000000a": {"CidrBlock": "10.10.0.0/16"},
		"vpc-0000000000000000b": {"CidrBlock": "172.31.0.0/16", "IsDefault": true},
		"vpc-0000000000000000c": {"CidrBlock": "10.12.0.0/16", "EnableDnsSupport": false, "EnableDnsHostnames": false},
		"vpc-0000000000000000d": {"CidrBlock": "10.13.0.0/16", "enablednssupport": false, "EnableDnsHostnames": true}
	},
	"SecurityGroups": {
		"sg-0000000000000000a": {"GroupName": "omitted", "VpcId": "vpc-0000000000000000a"},
		"sg-0000000000000000b": {"GroupName": "empty", "VpcId": "vpc-0000000000000000a", "IpPermissionsEgress": []},
		"sg-0000000000000000c": {"GroupName": "own", "VpcId": "vpc-0000000000000000a",
			"IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIps": ["10.10.0.0/16"]}]}
	}
}`

// TestScenarioDefaultsForOmittedFields: a group without IpPermissionsEgress
// gets AWS's allow-all egress rule and a VPC without DNS attributes gets
// AWS's defaults (support on; hostnames on only in the default VPC), as
// the SDK reads them back; what the file states, even empty or false,
// stays.
func TestScenarioDefaultsForOmittedFields(t *testing.T) {
	st, err := ParseScenario([]byte(scenarioDefaultsJSON))
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, st, Options{})
	c := ec2.NewFromConfig(awsConfig(s, "AKIAROOTDEFAULTS0001", "root-secret-for-defaults", ""))
	ctx := context.Background()

	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0000000000000000a", "sg-0000000000000000b", "sg-0000000000000000c"}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	egress := map[string][]types.IpPermission{}
	for _, g := range out.SecurityGroups {
		egress[aws.ToString(g.GroupId)] = g.IpPermissionsEgress
	}
	if e := egress["sg-0000000000000000a"]; len(e) != 1 || aws.ToString(e[0].IpProtocol) != "-1" || len(e[0].IpRanges) != 1 || aws.ToString(e[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Errorf("group without IpPermissionsEgress: egress %+v, want all traffic to 0.0.0.0/0", e)
	}
	if e := egress["sg-0000000000000000b"]; len(e) != 0 {
		t.Errorf("group with an empty IpPermissionsEgress: egress %+v, want none", e)
	}
	if e := egress["sg-0000000000000000c"]; len(e) != 1 || aws.ToString(e[0].IpProtocol) != "tcp" || aws.ToString(e[0].IpRanges[0].CidrIp) != "10.10.0.0/16" {
		t.Errorf("group with its own egress: %+v", e)
	}

	for _, c2 := range []struct {
		vpc                string
		support, hostnames bool
	}{
		{"vpc-0000000000000000a", true, false},
		{"vpc-0000000000000000b", true, true},
		{"vpc-0000000000000000c", false, false},
		{"vpc-0000000000000000d", false, true},
	} {
		sup, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(c2.vpc), Attribute: types.VpcAttributeNameEnableDnsSupport})
		if err != nil {
			t.Fatalf("DescribeVpcAttribute: %v", err)
		}
		host, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(c2.vpc), Attribute: types.VpcAttributeNameEnableDnsHostnames})
		if err != nil {
			t.Fatalf("DescribeVpcAttribute: %v", err)
		}
		if got := aws.ToBool(sup.EnableDnsSupport.Value); got != c2.support {
			t.Errorf("%s enableDnsSupport %v, want %v", c2.vpc, got, c2.support)
		}
		if got := aws.ToBool(host.EnableDnsHostnames.Value); got != c2.hostnames {
			t.Errorf("%s enableDnsHostnames %v, want %v", c2.vpc, got, c2.hostnames)
		}
	}
}

// TestScenarioDefaultsLeaveGoStatesAlone: a state built in Go says what it
// means (tests clear Egress to block the agent), so Normalize adds no
// egress rule and turns no DNS attribute on.
func TestScenarioDefaultsLeaveGoStatesAlone(t *testing.T) {
	st := DemoScenario()
	st.SecurityGroups[netInstSG].Egress = nil
	st.VPCs[netVPC].EnableDNSSupport = false
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	if len(st.SecurityGroups[netInstSG].Egress) != 0 || st.VPCs[netVPC].EnableDNSSupport {
		t.Fatalf("Normalize filled defaults: egress %+v, DNS support %v", st.SecurityGroups[netInstSG].Egress, st.VPCs[netVPC].EnableDNSSupport)
	}
}
