package awsfacts

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// OpenToWorld finds every peer that admits TCP 22 from anywhere: a single
// port, a range covering it, all traffic, in both families; not other
// ports, other blocks, UDP, or group references.
func TestOpenToWorld(t *testing.T) {
	world4 := []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}, {CidrIp: aws.String("10.0.0.0/8")}}
	world6 := []ec2types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}
	g := ec2types.SecurityGroup{GroupId: aws.String("sg-1"), GroupName: aws.String("web"), IpPermissions: []ec2types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: world4, Ipv6Ranges: world6},
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(0), ToPort: aws.Int32(1024), IpRanges: world4},
		{IpProtocol: aws.String("-1"), Ipv6Ranges: world6},
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(23), ToPort: aws.Int32(65535), IpRanges: world4},
		{IpProtocol: aws.String("udp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: world4},
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}},
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-2")}}},
	}}
	var got []string
	for _, r := range OpenToWorld(g, 22) {
		got = append(got, r.GroupID+" "+r.String())
	}
	want := "sg-1 tcp 22 from 0.0.0.0/0|sg-1 tcp 22 from ::/0|sg-1 tcp 0-1024 from 0.0.0.0/0|sg-1 all traffic from ::/0"
	if strings.Join(got, "|") != want {
		t.Fatalf("got  %q\nwant %q", strings.Join(got, "|"), want)
	}
	// The permission revokes exactly one peer.
	p := OpenToWorld(g, 22)[1].Permission()
	if aws.ToString(p.IpProtocol) != "tcp" || aws.ToInt32(p.FromPort) != 22 || len(p.IpRanges) != 0 || len(p.Ipv6Ranges) != 1 {
		t.Fatalf("permission %+v", p)
	}
	if p := OpenToWorld(g, 22)[3].Permission(); p.FromPort != nil || aws.ToString(p.Ipv6Ranges[0].CidrIpv6) != "::/0" {
		t.Fatalf("all-traffic permission %+v", p)
	}
}

// EC2 takes protocols by number and in any case: "6" and "TCP" are TCP,
// "all" is all traffic, and each is reported in its canonical form.
func TestOpenToWorldProtocolSpellings(t *testing.T) {
	world4 := []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}
	g := ec2types.SecurityGroup{GroupId: aws.String("sg-1"), IpPermissions: []ec2types.IpPermission{
		{IpProtocol: aws.String("6"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: world4},
		{IpProtocol: aws.String("TCP"), FromPort: aws.Int32(20), ToPort: aws.Int32(30), IpRanges: world4},
		{IpProtocol: aws.String("all"), IpRanges: world4},
		{IpProtocol: aws.String("6"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: world4},
		{IpProtocol: aws.String("17"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: world4},
	}}
	var got []string
	for _, r := range OpenToWorld(g, 22) {
		got = append(got, r.Protocol+" "+r.String())
	}
	want := "tcp tcp 22 from 0.0.0.0/0|tcp tcp 20-30 from 0.0.0.0/0|-1 all traffic from 0.0.0.0/0"
	if strings.Join(got, "|") != want {
		t.Fatalf("got  %q\nwant %q", strings.Join(got, "|"), want)
	}
}
