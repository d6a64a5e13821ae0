package awsfacts

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The blocks that mean "anyone on the internet".
const (
	WorldIPv4 = "0.0.0.0/0"
	WorldIPv6 = "::/0"
)

// OpenRule is one ingress rule of a security group that admits a TCP port
// from anywhere: one peer (0.0.0.0/0 or ::/0) of one permission.
type OpenRule struct {
	GroupID, GroupName string
	Protocol           string // "tcp" or "-1" (all traffic)
	FromPort, ToPort   int32  // -1 for all traffic
	CIDR               string // WorldIPv4 or WorldIPv6
}

// String is the rule as a person reads it: "tcp 22 from 0.0.0.0/0".
func (r OpenRule) String() string {
	ports := fmt.Sprintf("tcp %d-%d", r.FromPort, r.ToPort)
	switch {
	case r.Protocol == "-1":
		ports = "all traffic"
	case r.FromPort == r.ToPort:
		ports = fmt.Sprintf("tcp %d", r.FromPort)
	}
	return ports + " from " + r.CIDR
}

// Permission is the IpPermission that names exactly this rule, as
// RevokeSecurityGroupIngress takes it.
func (r OpenRule) Permission() ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: aws.String(r.Protocol)}
	if r.Protocol != "-1" {
		p.FromPort, p.ToPort = aws.Int32(r.FromPort), aws.Int32(r.ToPort)
	}
	if r.CIDR == WorldIPv6 {
		p.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(r.CIDR)}}
	} else {
		p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(r.CIDR)}}
	}
	return p
}

// OpenToWorld lists the ingress rules of g that admit TCP port from
// 0.0.0.0/0 or ::/0: a TCP rule whose range covers the port, or an
// all-traffic rule ("-1"). Rules from other blocks, groups or prefix lists
// are not "the world" and are left out.
func OpenToWorld(g ec2types.SecurityGroup, port int32) []OpenRule {
	var out []OpenRule
	for _, p := range g.IpPermissions {
		proto, ok := coversTCP(p, port)
		if !ok {
			continue
		}
		var from, to int32 = -1, -1
		if proto == "tcp" {
			from, to = aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort)
		}
		var cidrs []string
		for _, r := range p.IpRanges {
			if aws.ToString(r.CidrIp) == WorldIPv4 {
				cidrs = append(cidrs, WorldIPv4)
			}
		}
		for _, r := range p.Ipv6Ranges {
			if aws.ToString(r.CidrIpv6) == WorldIPv6 {
				cidrs = append(cidrs, WorldIPv6)
			}
		}
		for _, c := range cidrs {
			out = append(out, OpenRule{GroupID: aws.ToString(g.GroupId), GroupName: aws.ToString(g.GroupName),
				Protocol: proto, FromPort: from, ToPort: to, CIDR: c})
		}
	}
	return out
}

// InstanceGroupIDs are the security groups of an instance: its own list
// and its network interfaces', each once, in order.
func InstanceGroupIDs(inst *ec2types.Instance) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(gs []ec2types.GroupIdentifier) {
		for _, g := range gs {
			id := aws.ToString(g.GroupId)
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	add(inst.SecurityGroups)
	for _, ni := range inst.NetworkInterfaces {
		add(ni.Groups)
	}
	return ids
}
