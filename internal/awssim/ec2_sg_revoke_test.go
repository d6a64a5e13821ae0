package awssim

import (
	"context"
	"sort"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func ingressPeers(t *testing.T, c *ec2.Client, sg string) []string {
	t.Helper()
	d, err := c.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	var out []string
	for _, p := range d.SecurityGroups[0].IpPermissions {
		key := aws.ToString(p.IpProtocol) + " " + itoa32(p.FromPort) + "-" + itoa32(p.ToPort) + " "
		for _, r := range p.IpRanges {
			out = append(out, key+aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, key+aws.ToString(r.CidrIpv6))
		}
		for _, g := range p.UserIdGroupPairs {
			out = append(out, key+aws.ToString(g.GroupId))
		}
	}
	sort.Strings(out)
	return out
}

func itoa32(p *int32) string {
	if p == nil {
		return "*"
	}
	return strconv.Itoa(int(*p))
}

// TestEC2SGRevokeIngress: rules revoke by their properties, one peer at a
// time (the other peers of the permission stay), IPv6 blocks included, and
// by the rule ids AuthorizeSecurityGroupIngress answered; in a non-default
// VPC an unknown rule fails the request and revokes nothing.
func TestEC2SGRevokeIngress(t *testing.T) {
	st := DemoScenario()
	st.Users["nobody"] = &User{Name: "nobody"}
	st.AccessKeys[ec2NobodyKey] = &AccessKey{ID: ec2NobodyKey, Secret: ec2NobodySecret, UserName: "nobody"}
	s := startSim(t, st, Options{})
	c := ec2As(s, "admin")
	ctx := context.Background()
	auth, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(netInstSG), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges:   []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}, {CidrIp: aws.String("10.0.0.0/8")}},
			Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}},
		{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("192.0.2.0/24")}}},
	}})
	if err != nil || len(auth.SecurityGroupRules) != 4 {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v %+v", err, auth)
	}
	if got := ingressPeers(t, c, netInstSG); len(got) != 4 || got[0] != "-1 *-* 192.0.2.0/24" || got[3] != "tcp 22-22 ::/0" {
		t.Fatalf("after authorize: %q", got)
	}
	if v6 := aws.ToString(auth.SecurityGroupRules[2].CidrIpv6); v6 != "::/0" {
		t.Fatalf("IPv6 rule answered as %+v", auth.SecurityGroupRules[2])
	}

	// A permission naming one existing and one missing peer: nothing is
	// revoked (non-default VPC).
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(netInstSG), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}, {CidrIp: aws.String("198.51.100.0/24")}}}}})
	wantAPIError(t, err, "InvalidPermission.NotFound", 400, "The specified rule does not exist in this security group.")
	if got := ingressPeers(t, c, netInstSG); len(got) != 4 {
		t.Fatalf("a failed revoke changed the group: %q", got)
	}

	s.ResetCalls()
	rev, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(netInstSG), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}, Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}}}})
	if err != nil || !aws.ToBool(rev.Return) || len(rev.RevokedSecurityGroupRules) != 2 || len(rev.UnknownIpPermissions) != 0 {
		t.Fatalf("RevokeSecurityGroupIngress: %v %+v", err, rev)
	}
	if s.MutatingCalls() != 1 {
		t.Errorf("mutating calls %d, want 1 (RevokeSecurityGroupIngress counts as a change)", s.MutatingCalls())
	}
	if aws.ToString(rev.RevokedSecurityGroupRules[0].SecurityGroupRuleId) != aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId) {
		t.Errorf("revoked rule id %s, authorized as %s", aws.ToString(rev.RevokedSecurityGroupRules[0].SecurityGroupRuleId), aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId))
	}
	if got := ingressPeers(t, c, netInstSG); len(got) != 2 || got[1] != "tcp 22-22 10.0.0.0/8" {
		t.Fatalf("after revoking 0.0.0.0/0 and ::/0: %q", got)
	}

	// By rule id: the id of the all-traffic rule, stable since authorize.
	allID := auth.SecurityGroupRules[3].SecurityGroupRuleId
	if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(netInstSG), SecurityGroupRuleIds: []string{aws.ToString(allID)}}); err != nil {
		t.Fatalf("revoke by rule id: %v", err)
	}
	if got := ingressPeers(t, c, netInstSG); len(got) != 1 || got[0] != "tcp 22-22 10.0.0.0/8" {
		t.Fatalf("after revoking by id: %q", got)
	}
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(netInstSG), SecurityGroupRuleIds: []string{aws.ToString(allID)}})
	wantAPIError(t, err, "InvalidSecurityGroupRuleId.NotFound", 400, "")
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String("sg-0000000000000dead"), SecurityGroupRuleIds: []string{"sgr-1"}})
	wantAPIError(t, err, "InvalidGroup.NotFound", 400, "")
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(netInstSG)})
	wantAPIError(t, err, "MissingParameter", 400, "")
	_, err = ec2As(s, "nobody").RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(netInstSG), SecurityGroupRuleIds: []string{"sgr-1"}})
	if err == nil {
		t.Fatal("a user without ec2:RevokeSecurityGroupIngress revoked")
	}
}

// TestEC2SGRevokeDefaultVPC: in a default VPC a rule that is not there is
// no error: it comes back in unknownIpPermissionSet, and the rules that
// are there are revoked.
func TestEC2SGRevokeDefaultVPC(t *testing.T) {
	st := ec2ReaderState(t, "123456789012")
	st.Users["reader"].InlinePolicies["ec2w"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
	st.VPCs["vpc-0def"] = &VPC{ID: "vpc-0def", Region: "us-east-1", CidrBlock: "172.31.0.0/16", IsDefault: true}
	st.SecurityGroups["sg-0def"] = &SecurityGroup{ID: "sg-0def", Name: "launch-wizard-1", Description: "d", VpcID: "vpc-0def", Region: "us-east-1",
		Ingress: []SGRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, Cidrs: []string{"0.0.0.0/0"}}}}
	s := startSim(t, st, Options{})
	c := ec2.NewFromConfig(awsConfig(s, filterKey, filterSecret, ""))
	out, err := c.RevokeSecurityGroupIngress(context.Background(), &ec2.RevokeSecurityGroupIngressInput{GroupName: aws.String("launch-wizard-1"), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}, {CidrIp: aws.String("198.51.100.0/24")}}}}})
	if err != nil || !aws.ToBool(out.Return) || len(out.RevokedSecurityGroupRules) != 1 || len(out.UnknownIpPermissions) != 1 ||
		aws.ToString(out.UnknownIpPermissions[0].IpRanges[0].CidrIp) != "198.51.100.0/24" {
		t.Fatalf("revoke in a default VPC: %v %+v", err, out)
	}
	if got := ingressPeers(t, c, "sg-0def"); len(got) != 0 {
		t.Fatalf("left: %q", got)
	}
}
