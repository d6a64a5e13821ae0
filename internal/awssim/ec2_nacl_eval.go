package awssim

import (
	"net/netip"
	"strconv"
)

// Ephemeral ports the return traffic of the agent's connections comes back
// to: AWS's guidance for NACLs names the whole 1024-65535 range, since the
// client OS picks the port.
const (
	ephemeralFrom = 1024
	ephemeralTo   = 65535
)

// naclBlock says which rule of acl stops TCP traffic in one direction to
// or from every address of peer on any port in [from, to]: "" when every
// port is allowed. Each port meets the rules in ascending number, first
// match wins. A rule matches only when its CIDR holds all of peer: a rule
// for part of it neither grants nor takes away the path, because which
// address the agent meets is not known. acl nil (unmodelled) blocks
// nothing.
func naclBlock(acl *NetworkACL, egress bool, peer netip.Prefix, from, to int) (rule string) {
	if acl == nil {
		return ""
	}
	open := [][2]int{{from, to}} // ports not yet decided
	for _, e := range acl.Entries {
		if e.Egress != egress || !naclMatchesPeer(e.CidrBlock, peer) {
			continue
		}
		lo, hi, ok := naclPorts(e)
		if !ok {
			continue
		}
		var rest [][2]int
		for _, r := range open {
			if hi < r[0] || lo > r[1] {
				rest = append(rest, r)
				continue
			}
			if e.RuleAction == "deny" {
				return naclRuleName(e.RuleNumber)
			}
			if r[0] < lo {
				rest = append(rest, [2]int{r[0], lo - 1})
			}
			if r[1] > hi {
				rest = append(rest, [2]int{hi + 1, r[1]})
			}
		}
		if open = rest; len(open) == 0 {
			return ""
		}
	}
	return naclRuleName(naclImplicitRule)
}

func naclRuleName(n int) string {
	if n == naclImplicitRule {
		return "*"
	}
	return strconv.Itoa(n)
}

// naclPorts is the TCP port range the entry covers; ok false when it does
// not apply to TCP.
func naclPorts(e NACLEntry) (lo, hi int, ok bool) {
	switch e.Protocol {
	case "-1":
		return 0, 65535, true
	case "6":
		if e.PortRange == nil {
			return 0, 65535, true
		}
		return e.PortRange.From, e.PortRange.To, true
	}
	return 0, 0, false
}

func naclMatchesPeer(cidr string, peer netip.Prefix) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || p.Addr().Is4() != peer.Addr().Is4() {
		return false
	}
	p = p.Masked()
	return p.Bits() <= peer.Bits() && p.Contains(peer.Addr())
}

// naclPathProblem says what in the ACLs stops the agent's TCP 443
// connections from subnetACL's side to peer: 443 out, and the replies back
// in on the ephemeral ports. "" when both pass.
func naclPathProblem(acl *NetworkACL, peer netip.Prefix, what string) string {
	if acl == nil {
		return ""
	}
	if r := naclBlock(acl, true, peer, 443, 443); r != "" {
		return "network ACL " + acl.ID + " denies outbound TCP 443 to " + what + " (rule " + r + ")"
	}
	if r := naclBlock(acl, false, peer, ephemeralFrom, ephemeralTo); r != "" {
		return "network ACL " + acl.ID + " denies inbound TCP 1024-65535 from " + what + " (rule " + r + ")"
	}
	return ""
}

// naclEndpointSideProblem is the endpoint subnet's half: 443 in from the
// instance, replies out on the ephemeral ports.
func naclEndpointSideProblem(acl *NetworkACL, inst netip.Prefix) string {
	if acl == nil {
		return ""
	}
	if r := naclBlock(acl, false, inst, 443, 443); r != "" {
		return "network ACL " + acl.ID + " of the endpoint's subnet denies inbound TCP 443 from the instance (rule " + r + ")"
	}
	if r := naclBlock(acl, true, inst, ephemeralFrom, ephemeralTo); r != "" {
		return "network ACL " + acl.ID + " of the endpoint's subnet denies outbound TCP 1024-65535 to the instance (rule " + r + ")"
	}
	return ""
}

// naclInternet is the destination the internet path must be open to: the
// public endpoints' addresses are not modelled, so only rules for all of
// IPv4 decide it.
var naclInternet = netip.MustParsePrefix("0.0.0.0/0")

// naclInternetProblem: the instance subnet's ACL between it and the
// public endpoints.
func (st *State) naclInternetProblem(inst *Instance) string {
	return naclPathProblem(st.subnetACL(inst.SubnetID, inst.VpcID), naclInternet, "0.0.0.0/0")
}

// naclEndpointProblem: traffic to an endpoint interface in the instance's
// own subnet crosses no ACL; otherwise one endpoint subnet must be
// reachable both ways: the instance subnet's ACL passes 443 out to that
// subnet's block and the replies in from it (the interfaces take their
// addresses there), and the subnet's own ACL lets 443 in from the
// instance and the replies back. The first subnet's problem is reported.
func (st *State) naclEndpointProblem(inst *Instance, ep *VpcEndpoint) string {
	for _, s := range ep.SubnetIDs {
		if s == inst.SubnetID {
			return ""
		}
	}
	mine := st.subnetACL(inst.SubnetID, inst.VpcID)
	if len(ep.SubnetIDs) == 0 {
		if block, ok := st.vpcBlock(inst.VpcID); ok {
			return naclPathProblem(mine, block, block.String())
		}
		return ""
	}
	ip, ipErr := netip.ParseAddr(inst.PrivateIP)
	first := ""
	for _, s := range ep.SubnetIDs {
		p := ""
		if block, ok := st.subnetBlock(s, ep.VpcID); ok {
			p = naclPathProblem(mine, block, block.String())
		}
		if p == "" && ipErr == nil {
			p = naclEndpointSideProblem(st.subnetACL(s, ep.VpcID), netip.PrefixFrom(ip, ip.BitLen()))
		}
		if p == "" {
			return ""
		}
		if first == "" {
			first = p
		}
	}
	return first
}

// subnetBlock is the subnet's block, else its VPC's (a subnet the state
// lacks is still inside it); ok false when neither is known.
func (st *State) subnetBlock(subnetID, vpcID string) (netip.Prefix, bool) {
	if sn, ok := st.Subnets[subnetID]; ok {
		if b, err := netip.ParsePrefix(sn.CidrBlock); err == nil {
			return b.Masked(), true
		}
	}
	return st.vpcBlock(vpcID)
}

func (st *State) vpcBlock(vpcID string) (netip.Prefix, bool) {
	if v, ok := st.VPCs[vpcID]; ok {
		if b, err := netip.ParsePrefix(v.CidrBlock); err == nil {
			return b.Masked(), true
		}
	}
	return netip.Prefix{}, false
}
