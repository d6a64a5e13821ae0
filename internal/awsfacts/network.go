package awsfacts

import (
	"net/netip"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// FindEndpoint is the VPC's interface endpoint for service (e.g.
// com.amazonaws.us-east-1.ssm) that is not being deleted, or nil.
func FindEndpoint(eps []ec2types.VpcEndpoint, service string) *ec2types.VpcEndpoint {
	for i, ep := range eps {
		if aws.ToString(ep.ServiceName) == service && ep.VpcEndpointType == ec2types.VpcEndpointTypeInterface &&
			!strings.EqualFold(string(ep.State), "deleted") && !strings.EqualFold(string(ep.State), "deleting") {
			return &eps[i]
		}
	}
	return nil
}

// UsableEndpoint: the endpoint takes the service's traffic, available and
// with private DNS on.
func UsableEndpoint(ep *ec2types.VpcEndpoint) bool {
	return ep != nil && aws.ToBool(ep.PrivateDnsEnabled) && (ep.State == "" || strings.EqualFold(string(ep.State), "available"))
}

// Network is what the 443 predicates know of one instance's network,
// all of it read per VPC: the check instance-network and the fix
// --vpc-endpoints judge the same path with it.
type Network struct {
	Instance *ec2types.Instance
	// Groups are the VPC's security groups by id.
	Groups map[string]ec2types.SecurityGroup
	// ACLs are the VPC's network ACLs (nil: not judged).
	ACLs []ec2types.NetworkAcl
	// VPCBlocks are the VPC's IPv4 blocks (from its local routes); they
	// stand in for a subnet whose block is not known.
	VPCBlocks []netip.Prefix
	// SubnetBlocks are the subnets' IPv4 blocks by id: an endpoint's
	// interfaces take their addresses from its subnets' blocks.
	SubnetBlocks map[string]netip.Prefix
}

// Admits443 reports whether one of the endpoint's groups lets the
// instance in on TCP 443: from one of the instance's groups, or from a
// CIDR holding its private address. A group the listing lacks admits
// nothing.
func (n *Network) Admits443(ep *ec2types.VpcEndpoint) bool {
	inst, groups := n.Instance, n.Groups
	mine := map[string]bool{}
	for _, g := range inst.SecurityGroups {
		mine[aws.ToString(g.GroupId)] = true
	}
	ip, _ := netip.ParseAddr(aws.ToString(inst.PrivateIpAddress))
	for _, eg := range ep.Groups {
		g, ok := groups[aws.ToString(eg.GroupId)]
		if !ok {
			continue
		}
		for _, p := range g.IpPermissions {
			if !Covers443(p) {
				continue
			}
			for _, pair := range p.UserIdGroupPairs {
				if mine[aws.ToString(pair.GroupId)] {
					return true
				}
			}
			for _, rng := range p.IpRanges {
				if pfx, err := netip.ParsePrefix(aws.ToString(rng.CidrIp)); err == nil && ip.IsValid() && pfx.Contains(ip) {
					return true
				}
			}
		}
	}
	return false
}

// egress443 reports whether some outbound rule of the instance's groups
// lets TCP 443 out to a destination reaches accepts. An instance without
// groups, or with a group the VPC's listing lacks, is not judged: no
// problem is claimed that cannot be seen.
func (n *Network) egress443(reaches func(ec2types.IpPermission) bool) bool {
	if len(n.Instance.SecurityGroups) == 0 {
		return true
	}
	for _, ig := range n.Instance.SecurityGroups {
		g, ok := n.Groups[aws.ToString(ig.GroupId)]
		if !ok {
			return true
		}
		for _, p := range g.IpPermissionsEgress {
			if Covers443(p) && reaches(p) {
				return true
			}
		}
	}
	return false
}

// EgressToInternet: the instance's groups let TCP 443 out to the
// internet, by a rule whose IPv4 CIDR holds public addresses; a rule only
// to private blocks or to groups never leaves the VPC.
func (n *Network) EgressToInternet() bool {
	return n.egress443(func(p ec2types.IpPermission) bool {
		for _, rng := range p.IpRanges {
			if pfx, err := netip.ParsePrefix(aws.ToString(rng.CidrIp)); err == nil && holdsPublic(pfx) {
				return true
			}
		}
		return false
	})
}

// EgressToEndpoint: the instance's groups let TCP 443 out to the
// endpoint, by a rule naming one of its groups, or a CIDR overlapping a
// block its interfaces take addresses from (the simulator's rule). With no
// block known, a CIDR holding the instance's address, or all of IPv4,
// counts: no problem is claimed that cannot be seen.
func (n *Network) EgressToEndpoint(ep *ec2types.VpcEndpoint) bool {
	theirs := map[string]bool{}
	for _, g := range ep.Groups {
		theirs[aws.ToString(g.GroupId)] = true
	}
	dests := n.endpointBlocks(ep)
	ip, _ := netip.ParseAddr(aws.ToString(n.Instance.PrivateIpAddress))
	return n.egress443(func(p ec2types.IpPermission) bool {
		for _, pair := range p.UserIdGroupPairs {
			if theirs[aws.ToString(pair.GroupId)] {
				return true
			}
		}
		for _, rng := range p.IpRanges {
			pfx, err := netip.ParsePrefix(aws.ToString(rng.CidrIp))
			if err != nil {
				continue
			}
			pfx = pfx.Masked()
			for _, d := range dests {
				if pfx.Overlaps(d) {
					return true
				}
			}
			if len(dests) == 0 && (pfx.Bits() == 0 || (ip.IsValid() && pfx.Contains(ip))) {
				return true
			}
		}
		return false
	})
}

// endpointBlocks are the endpoint's subnets' blocks; the VPC's blocks
// stand in for a subnet the listing lacks (or an endpoint without
// subnets), as the simulator's do, so an unseen block fails nothing.
func (n *Network) endpointBlocks(ep *ec2types.VpcEndpoint) []netip.Prefix {
	var out []netip.Prefix
	unknown := len(ep.SubnetIds) == 0
	for _, s := range ep.SubnetIds {
		if b, ok := n.SubnetBlocks[s]; ok {
			out = append(out, b)
		} else {
			unknown = true
		}
	}
	if unknown {
		out = append(out, n.VPCBlocks...)
	}
	return out
}

// nonPublic are the IPv4 blocks that hold no public AWS endpoint address.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("127.0.0.0/8"),
}

// holdsPublic: the IPv4 block is not wholly inside a non-public block.
func holdsPublic(p netip.Prefix) bool {
	if !p.Addr().Is4() {
		return false
	}
	p = p.Masked()
	for _, b := range nonPublic {
		if b.Bits() <= p.Bits() && b.Contains(p.Addr()) {
			return false
		}
	}
	return true
}

// Covers443 reports whether a security group rule passes TCP 443: all
// traffic ("-1", "all"), or TCP ("tcp", "6") over a port range holding
// 443. EC2 answers protocol names in lower case but takes them in any, so
// they are compared without regard to case.
func Covers443(p ec2types.IpPermission) bool {
	_, ok := coversTCP(p, 443)
	return ok
}

// coversTCP reports whether a security group rule passes TCP port, and
// the rule's protocol in its canonical form: "-1" for all traffic, "tcp"
// for a TCP rule whose range holds port.
func coversTCP(p ec2types.IpPermission, port int32) (proto string, ok bool) {
	switch strings.ToLower(aws.ToString(p.IpProtocol)) {
	case "-1", "all":
		return "-1", true
	case "tcp", "6":
		return "tcp", aws.ToInt32(p.FromPort) <= port && aws.ToInt32(p.ToPort) >= port
	}
	return "", false
}

// ACLToEndpoint is where network ACLs stop the instance's TCP 443 to the
// endpoint, or nil. An endpoint interface in the instance's own subnet is
// reached without crossing an ACL; otherwise one endpoint subnet must be
// reachable both ways: the instance subnet's ACL passes 443 out to that
// subnet's block and the replies in from it, and the subnet's own ACL
// lets 443 in from the instance and the replies back. The first
// subnet's denial is the one reported. It mirrors the simulator.
func (n *Network) ACLToEndpoint(ep *ec2types.VpcEndpoint) *ACLDenial {
	subnet := aws.ToString(n.Instance.SubnetId)
	for _, s := range ep.SubnetIds {
		if s == subnet {
			return nil
		}
	}
	mine := subnetACL(n.ACLs, subnet)
	if len(ep.SubnetIds) == 0 {
		if len(n.VPCBlocks) > 0 {
			return instanceSideDenial(mine, n.VPCBlocks[0])
		}
		return nil
	}
	ip, ipErr := netip.ParseAddr(aws.ToString(n.Instance.PrivateIpAddress))
	var first *ACLDenial
	for _, s := range ep.SubnetIds {
		var d *ACLDenial
		if block, ok := n.subnetBlock(s); ok {
			d = instanceSideDenial(mine, block)
		}
		if d == nil && ipErr == nil {
			d = endpointSideDenial(subnetACL(n.ACLs, s), netip.PrefixFrom(ip, ip.BitLen()))
		}
		if d == nil {
			return nil
		}
		if first == nil {
			first = d
		}
	}
	return first
}

// subnetBlock is the subnet's block, else the VPC's first block (a subnet
// the listing lacks is still inside it); ok false when neither is known.
func (n *Network) subnetBlock(subnet string) (netip.Prefix, bool) {
	if b, ok := n.SubnetBlocks[subnet]; ok {
		return b, true
	}
	if len(n.VPCBlocks) > 0 {
		return n.VPCBlocks[0], true
	}
	return netip.Prefix{}, false
}

// ACLToInternet is where the instance subnet's network ACL stops TCP 443
// to the public endpoints, or nil: their addresses are not known, so only
// entries for all of IPv4 decide it.
func (n *Network) ACLToInternet() *ACLDenial {
	return instanceSideDenial(subnetACL(n.ACLs, aws.ToString(n.Instance.SubnetId)), anyIPv4)
}
