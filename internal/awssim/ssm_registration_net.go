package awssim

import (
	"net/netip"
	"strings"
)

// agentNoEC2MessagesMin is the first agent release that stops using
// ec2messages once ssmmessages connects; older agents need it as well.
const agentNoEC2MessagesMin = "3.3.40.0"

// reachesSSM reports whether the node's agent reaches every Systems
// Manager endpoint it needs over TCP 443.
func (st *State) reachesSSM(inst *Instance) bool { return st.ssmPathProblem(inst) == "" }

// agentServices are the endpoints the node's agent talks to.
func agentServices(inst *Instance) []string {
	if versionAtLeast(inst.Agent.Version, agentNoEC2MessagesMin) {
		return currentAgentServices
	}
	return olderAgentServices
}

var (
	currentAgentServices = []string{"ssm", "ssmmessages"}
	olderAgentServices   = []string{"ssm", "ssmmessages", "ec2messages"}
)

// ssmPathProblem says why the agent cannot reach one of its endpoints, ""
// when it reaches them all. The path is chosen per service, as name
// resolution chooses it: with an available interface endpoint whose private
// DNS is on, and the VPC's DNS support and hostnames on, the service's
// public name resolves to the endpoint, so traffic goes there (even when
// an internet route exists); otherwise it goes to the public endpoint,
// which needs a default route to an internet or NAT gateway. Either way
// the instance's security groups must let TCP 443 out to that destination,
// and an endpoint's groups must let it in; the network ACLs on the way
// must pass 443 out and the replies back in (ec2_nacl_eval.go).
func (st *State) ssmPathProblem(inst *Instance) string {
	if isHybrid(inst.ID) {
		return ""
	}
	mine := st.effectiveGroups(inst.SecurityGroupIDs, inst.VpcID)
	privateDNS := st.vpcPrivateDNS(inst.VpcID)
	noInternet := st.internetPathProblem(inst)
	for _, svc := range agentServices(inst) {
		if ep := st.privateDNSEndpoint(inst.VpcID, inst.Region, svc); ep != nil && privateDNS {
			if !st.egressTo(mine, ep) {
				return svc + ": the instance's security groups allow no outbound TCP 443 to endpoint " + ep.ID
			}
			if !st.endpointAdmits(ep, inst, mine) {
				return svc + ": no security group of endpoint " + ep.ID + " admits TCP 443 from the instance"
			}
			if p := st.naclEndpointProblem(inst, ep); p != "" {
				return svc + ": " + p
			}
			continue
		}
		if noInternet != "" {
			return svc + ": no interface endpoint with private DNS in a VPC with DNS on, and " + noInternet
		}
		if !st.egressTo(mine, nil) {
			return svc + ": the instance's security groups allow no outbound TCP 443 to the internet"
		}
		if p := st.naclInternetProblem(inst); p != "" {
			return svc + ": " + p
		}
	}
	return ""
}

// internetPathProblem says why the instance cannot reach public
// endpoints through its subnet's default route, "" when it can. An
// internet gateway only translates for an instance that has a public
// IPv4 address (an Elastic IP is one too); a NAT gateway translates for
// everyone behind it, so it needs none. A table holds one 0.0.0.0/0 route.
func (st *State) internetPathProblem(inst *Instance) string {
	rt := st.subnetRouteTable(inst.SubnetID, inst.VpcID)
	if rt == nil {
		return noDefaultRoute
	}
	for _, r := range rt.Routes {
		if r.DestinationCidrBlock != "0.0.0.0/0" || r.State == "blackhole" {
			continue
		}
		if r.NatGatewayID != "" {
			return ""
		}
		if strings.HasPrefix(r.GatewayID, "igw-") {
			if inst.PublicIP == "" {
				return "no public IPv4 address on the instance for its default route to internet gateway " + r.GatewayID
			}
			return ""
		}
	}
	return noDefaultRoute
}

const noDefaultRoute = "no default route to an internet or NAT gateway"

// vpcPrivateDNS: endpoint private DNS only resolves with both attributes
// on. Turned off, the public names still resolve through whatever resolver
// the DHCP options name (not modelled), so the public path remains.
func (st *State) vpcPrivateDNS(vpcID string) bool {
	v, ok := st.VPCs[vpcID]
	return ok && v.EnableDNSSupport && v.EnableDNSHostnames
}

// privateDNSEndpoint is the VPC's usable interface endpoint for
// com.amazonaws.REGION.SVC with private DNS on (AWS allows at most one),
// or nil.
func (st *State) privateDNSEndpoint(vpcID, region, svc string) *VpcEndpoint {
	for _, ep := range st.VpcEndpoints {
		if ep.VpcID != vpcID || !serviceIs(ep.ServiceName, region, svc) || ep.Type != "Interface" || !ep.PrivateDNSEnabled {
			continue
		}
		if ep.State == "" || strings.EqualFold(ep.State, "available") {
			return ep
		}
	}
	return nil
}

// serviceIs compares name with com.amazonaws.REGION.SVC without building
// it: registration runs for every node of a fleet on every listing.
func serviceIs(name, region, svc string) bool {
	rest, ok := strings.CutPrefix(name, "com.amazonaws.")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, region)
	return ok && len(rest) == len(svc)+1 && rest[0] == '.' && rest[1:] == svc
}

// netGroups are the security groups of an instance or endpoint. modelled
// false means the state gives it none at all (hand-built states): then
// groups neither allow nor block anything.
type netGroups struct {
	ids      []string
	modelled bool
}

func (g netGroups) has(id string) bool {
	for _, x := range g.ids {
		if x == id {
			return true
		}
	}
	return false
}

// effectiveGroups is ids, or the VPC's default group when there are none,
// which is what EC2 attaches when a launch or CreateVpcEndpoint names no
// group.
func (st *State) effectiveGroups(ids []string, vpcID string) netGroups {
	if len(ids) == 0 {
		if def := st.defaultSGOf(vpcID); def != "" {
			ids = []string{def}
		}
	}
	return netGroups{ids: ids, modelled: len(ids) > 0}
}

// egressTo: some group's outbound rule lets TCP 443 out to the endpoint
// (nil: to the internet). A group without outbound rules lets nothing out.
func (st *State) egressTo(g netGroups, ep *VpcEndpoint) bool {
	if !g.modelled {
		return true
	}
	for _, id := range g.ids {
		sg, ok := st.SecurityGroups[id]
		if !ok {
			continue
		}
		for _, r := range sg.Egress {
			if !ruleCovers443(r) {
				continue
			}
			if (ep == nil && ruleReachesInternet(r)) || (ep != nil && st.ruleReachesEndpoint(r, ep)) {
				return true
			}
		}
	}
	return false
}

// endpointAdmits: one of the endpoint's groups lets TCP 443 in from one of
// the instance's groups or from a CIDR holding its private address.
func (st *State) endpointAdmits(ep *VpcEndpoint, inst *Instance, mine netGroups) bool {
	theirs := st.effectiveGroups(ep.SecurityGroupIDs, ep.VpcID)
	if !theirs.modelled {
		return true
	}
	ip, _ := netip.ParseAddr(inst.PrivateIP)
	for _, id := range theirs.ids {
		sg, ok := st.SecurityGroups[id]
		if !ok {
			continue
		}
		for _, r := range sg.Ingress {
			if !ruleCovers443(r) {
				continue
			}
			for _, src := range r.Groups {
				if mine.has(src) {
					return true
				}
			}
			for _, c := range r.Cidrs {
				if p, err := netip.ParsePrefix(c); err == nil && ip.IsValid() && p.Contains(ip) {
					return true
				}
			}
		}
	}
	return false
}

// ruleReachesEndpoint: the rule names one of the endpoint's groups, or a
// CIDR overlapping one of its subnets (its network interfaces' addresses
// are not modelled; without subnets, the VPC's block stands in).
func (st *State) ruleReachesEndpoint(r SGRule, ep *VpcEndpoint) bool {
	theirs := st.effectiveGroups(ep.SecurityGroupIDs, ep.VpcID)
	for _, g := range r.Groups {
		if theirs.has(g) {
			return true
		}
	}
	for _, c := range r.Cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			continue
		}
		if len(ep.SubnetIDs) == 0 {
			if v, ok := st.VPCs[ep.VpcID]; ok && overlapsBlock(p, v.CidrBlock) {
				return true
			}
		}
		for _, id := range ep.SubnetIDs {
			if sn, ok := st.Subnets[id]; ok && overlapsBlock(p, sn.CidrBlock) {
				return true
			}
		}
	}
	return false
}

func overlapsBlock(p netip.Prefix, block string) bool {
	b, err := netip.ParsePrefix(block)
	return err == nil && p.Overlaps(b)
}

// privateBlocks hold no public AWS endpoint address.
var privateBlocks = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("127.0.0.0/8"),
}

// ruleReachesInternet: the rule has an IPv4 CIDR that holds public
// addresses (the public endpoints' are not modelled, so any will do).
// Group references never lead out of the VPC.
func ruleReachesInternet(r SGRule) bool {
	for _, c := range r.Cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil || !p.Addr().Is4() {
			continue
		}
		p = p.Masked()
		private := false
		for _, b := range privateBlocks {
			if b.Bits() <= p.Bits() && b.Contains(p.Addr()) {
				private = true
				break
			}
		}
		if !private {
			return true
		}
	}
	return false
}

// ruleCovers443: all traffic, or TCP with 443 in its port range.
func ruleCovers443(r SGRule) bool {
	switch strings.ToLower(r.Protocol) {
	case "-1", "all":
		return true
	case "tcp", "6":
		return r.FromPort <= 443 && r.ToPort >= 443
	}
	return false
}
