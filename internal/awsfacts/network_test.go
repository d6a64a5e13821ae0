package awsfacts

import (
	"net/netip"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestCovers443: which security group rules pass TCP 443. Protocol names
// are compared without regard to case (EC2 takes "TCP" as well as "tcp"),
// for the check instance-network and the fix --vpc-endpoints alike.
func TestCovers443(t *testing.T) {
	rule := func(proto string, from, to int32) ec2types.IpPermission {
		return ec2types.IpPermission{IpProtocol: aws.String(proto), FromPort: aws.Int32(from), ToPort: aws.Int32(to)}
	}
	cases := []struct {
		p    ec2types.IpPermission
		want bool
	}{
		{rule("tcp", 443, 443), true},
		{rule("TCP", 443, 443), true},
		{rule("Tcp", 0, 65535), true},
		{rule("6", 400, 500), true},
		{rule("-1", 0, 0), true},
		{rule("all", 0, 0), true},
		{rule("ALL", 0, 0), true},
		{rule("tcp", 80, 80), false},
		{rule("TCP", 444, 1000), false},
		{rule("udp", 443, 443), false},
		{rule("17", 443, 443), false},
		{rule("icmp", -1, -1), false},
		{rule("", 443, 443), false},
	}
	for _, c := range cases {
		if got := Covers443(c.p); got != c.want {
			t.Errorf("%s %d-%d: Covers443 = %v, want %v", aws.ToString(c.p.IpProtocol), aws.ToInt32(c.p.FromPort), aws.ToInt32(c.p.ToPort), got, c.want)
		}
	}
}

// TestNetworkPredicates: the endpoint's group admits the instance by group
// or by a CIDR holding its address; egress reaches the endpoint by its
// group or by a CIDR overlapping its subnet's block (with none known, all
// of IPv4 or a CIDR holding the instance); egress to the internet needs a
// public block; a group the listing lacks is not judged.
func TestNetworkPredicates(t *testing.T) {
	in443 := func(proto string, pairs []string, cidrs ...string) ec2types.IpPermission {
		p := ec2types.IpPermission{IpProtocol: aws.String(proto), FromPort: aws.Int32(443), ToPort: aws.Int32(443)}
		for _, g := range pairs {
			p.UserIdGroupPairs = append(p.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: aws.String(g)})
		}
		for _, c := range cidrs {
			p.IpRanges = append(p.IpRanges, ec2types.IpRange{CidrIp: aws.String(c)})
		}
		return p
	}
	inst := &ec2types.Instance{PrivateIpAddress: aws.String("10.0.1.10"), SubnetId: aws.String("subnet-a"),
		SecurityGroups: []ec2types.GroupIdentifier{{GroupId: aws.String("sg-inst")}}}
	ep := &ec2types.VpcEndpoint{Groups: []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-ep")}}, SubnetIds: []string{"subnet-b"}}
	net := func(instEgress, epIngress []ec2types.IpPermission) *Network {
		return &Network{Instance: inst, Groups: map[string]ec2types.SecurityGroup{
			"sg-inst": {GroupId: aws.String("sg-inst"), IpPermissionsEgress: instEgress},
			"sg-ep":   {GroupId: aws.String("sg-ep"), IpPermissions: epIngress},
		}, SubnetBlocks: map[string]netip.Prefix{"subnet-b": netip.MustParsePrefix("10.0.2.0/24")}}
	}
	type want struct{ admits, toEndpoint, toInternet bool }
	cases := []struct {
		name            string
		egress, ingress []ec2types.IpPermission
		want            want
	}{
		{"by group, upper-case TCP", []ec2types.IpPermission{in443("TCP", []string{"sg-ep"})}, []ec2types.IpPermission{in443("TCP", []string{"sg-inst"})}, want{true, true, false}},
		{"by CIDR", []ec2types.IpPermission{in443("tcp", nil, "10.0.2.0/25")}, []ec2types.IpPermission{in443("6", nil, "10.0.1.0/24")}, want{true, true, false}},
		{"CIDR elsewhere", []ec2types.IpPermission{in443("tcp", nil, "10.0.3.0/24")}, []ec2types.IpPermission{in443("tcp", nil, "10.0.3.0/24")}, want{false, false, false}},
		{"all of IPv4", []ec2types.IpPermission{in443("-1", nil, "0.0.0.0/0")}, []ec2types.IpPermission{in443("udp", []string{"sg-inst"})}, want{false, true, true}},
		{"public block only", []ec2types.IpPermission{in443("tcp", nil, "52.0.0.0/8")}, nil, want{false, false, true}},
	}
	for _, c := range cases {
		n := net(c.egress, c.ingress)
		got := want{n.Admits443(ep), n.EgressToEndpoint(ep), n.EgressToInternet()}
		if got != c.want {
			t.Errorf("%s: admits, egress to endpoint, egress to internet = %+v, want %+v", c.name, got, c.want)
		}
	}
	// No block known for the endpoint: a CIDR holding the instance counts.
	n := net([]ec2types.IpPermission{in443("tcp", nil, "10.0.1.0/24")}, nil)
	n.SubnetBlocks = nil
	if !n.EgressToEndpoint(ep) {
		t.Error("no endpoint block known: a CIDR holding the instance's address must count")
	}
	// A group the listing lacks is not judged.
	n = &Network{Instance: inst, Groups: map[string]ec2types.SecurityGroup{}}
	if !n.EgressToEndpoint(ep) || !n.EgressToInternet() || n.Admits443(ep) {
		t.Error("unlisted groups: egress must not be judged, and no unlisted group admits")
	}
}
