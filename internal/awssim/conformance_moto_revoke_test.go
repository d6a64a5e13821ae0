package awssim

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/motoserver"
)

// TestConformanceMotoRevokeIngress creates a VPC and a security group in
// moto, seeds the same into the simulator, and then makes the same calls on
// both: AuthorizeSecurityGroupIngress (SSH from 0.0.0.0/0, ::/0 and
// 10.0.0.0/8, all traffic from a documentation block),
// RevokeSecurityGroupIngress by properties (SSH from the world, both
// families), a revoke of a rule that is not there (InvalidPermission.NotFound
// on both: a non-default VPC), and a revoke by the rule id each side's
// authorize answered. DescribeSecurityGroups is compared after each step.
// Only Return and the error code of the revokes are compared: moto answers
// with Return alone (no revokedSecurityGroupRuleSet), and in a default VPC
// it fails an unknown rule where AWS answers unknownIpPermissionSet
// (docs/test-doubles.md#known-moto-deviations); the simulator's default-VPC
// behaviour is TestEC2SGRevokeDefaultVPC's.
func TestConformanceMotoRevokeIngress(t *testing.T) {
	m := motoserver.Start(t)
	ctx := context.Background()
	acct := motoserver.NewAccountID()
	mc := ec2.NewFromConfig(m.Config(acct))
	vpc, err := mc.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.8.0.0/16")})
	if err != nil {
		t.Fatalf("moto CreateVpc: %v", err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	sg, err := mc.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: aws.String(vpcID), GroupName: aws.String("web"), Description: aws.String("web servers")})
	if err != nil {
		t.Fatalf("moto CreateSecurityGroup: %v", err)
	}
	sgID := aws.ToString(sg.GroupId)

	st := ec2ReaderState(t, acct)
	st.Users["reader"].InlinePolicies["ec2w"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
	st.VPCs[vpcID] = &VPC{ID: vpcID, Region: "us-east-1", CidrBlock: "10.8.0.0/16"}
	st.SecurityGroups[sgID] = &SecurityGroup{ID: sgID, Name: "web", Description: "web servers", VpcID: vpcID, Region: "us-east-1",
		Egress: []SGRule{{Protocol: "-1", Cidrs: []string{"0.0.0.0/0"}}}}
	s := startSim(t, st, Options{})
	sc := ec2.NewFromConfig(awsConfig(s, filterKey, filterSecret, ""))
	clients := []*ec2.Client{mc, sc}

	describe := func(step string) {
		t.Helper()
		var trees [2]any
		for i, c := range clients {
			out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sgID}})
			if err != nil {
				t.Fatalf("%s: DescribeSecurityGroups (%d): %v", step, i, err)
			}
			for k := range out.SecurityGroups {
				g := &out.SecurityGroups[k]
				sortPerms(g.IpPermissions)
				sortPerms(g.IpPermissionsEgress)
			}
			trees[i] = tree(t, out, idMap{})
		}
		compareTrees(t, "DescribeSecurityGroups("+step+")", trees[0], trees[1])
	}

	perms := []ec2types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges:   []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}, {CidrIp: aws.String("10.0.0.0/8")}},
			Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}},
		{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("192.0.2.0/24")}}},
	}
	var allTraffic [2]string
	for i, c := range clients {
		out, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgID), IpPermissions: perms})
		if err != nil {
			t.Fatalf("AuthorizeSecurityGroupIngress (%d): %v", i, err)
		}
		for _, r := range out.SecurityGroupRules {
			if aws.ToString(r.CidrIpv4) == "192.0.2.0/24" {
				allTraffic[i] = aws.ToString(r.SecurityGroupRuleId)
			}
		}
		if allTraffic[i] == "" {
			t.Fatalf("side %d: no rule id for the all-traffic rule in %+v", i, out.SecurityGroupRules)
		}
	}
	describe("authorized")

	world := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}, Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}}}
	for i, c := range clients {
		out, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgID), IpPermissions: world})
		if err != nil || !aws.ToBool(out.Return) || len(out.UnknownIpPermissions) != 0 {
			t.Fatalf("RevokeSecurityGroupIngress (%d): %v %+v", i, err, out)
		}
	}
	describe("revoked by properties")

	var codes [2]string
	for i, c := range clients {
		_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgID), IpPermissions: world})
		codes[i] = apiErrorCode(err)
	}
	if codes[0] != "InvalidPermission.NotFound" || codes[1] != codes[0] {
		t.Errorf("revoking a rule that is not there: moto %q, simulator %q", codes[0], codes[1])
	}
	describe("after a failed revoke")

	for i, c := range clients {
		if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgID), SecurityGroupRuleIds: []string{allTraffic[i]}}); err != nil {
			t.Fatalf("RevokeSecurityGroupIngress by id (%d): %v", i, err)
		}
	}
	describe("revoked by rule id")
}

func sortPerms(p []ec2types.IpPermission) {
	sort.Slice(p, func(a, b int) bool {
		ka := aws.ToString(p[a].IpProtocol) + itoa32(p[a].FromPort)
		kb := aws.ToString(p[b].IpProtocol) + itoa32(p[b].FromPort)
		return ka < kb
	})
	for i := range p {
		sort.Slice(p[i].IpRanges, func(a, b int) bool {
			return aws.ToString(p[i].IpRanges[a].CidrIp) < aws.ToString(p[i].IpRanges[b].CidrIp)
		})
	}
}

func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
