package awsfacts

import (
	"context"
	"net/netip"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// describeACLsPage is the largest page DescribeNetworkAcls accepts.
const describeACLsPage = 1000

type vpcACLs struct{ list []ec2types.NetworkAcl }

// NetworkACL is the ACL that filters subnetID's traffic: the one associated
// with it, else the VPC's default ACL (which AWS lists with an
// association for every subnet it holds, so the fallback only matters for
// answers that lag). nil when the VPC shows none.
func (e *AWSEnv) NetworkACL(ctx context.Context, vpcID, subnetID string) (*ec2types.NetworkAcl, error) {
	rec, err := perVPC(ctx, &e.nacls, vpcID, e.fetchACLs)
	if err != nil {
		return nil, err
	}
	return subnetACL(rec.list, subnetID), nil
}

func subnetACL(list []ec2types.NetworkAcl, subnetID string) *ec2types.NetworkAcl {
	var def *ec2types.NetworkAcl
	for i, a := range list {
		for _, as := range a.Associations {
			if aws.ToString(as.SubnetId) == subnetID {
				return &list[i]
			}
		}
		if aws.ToBool(a.IsDefault) && def == nil {
			def = &list[i]
		}
	}
	return def
}

// NetworkACLs lists the VPC's ACLs.
func (e *AWSEnv) NetworkACLs(ctx context.Context, vpcID string) ([]ec2types.NetworkAcl, error) {
	rec, err := perVPC(ctx, &e.nacls, vpcID, e.fetchACLs)
	if err != nil {
		return nil, err
	}
	return rec.list, nil
}

func (e *AWSEnv) fetchACLs(ctx context.Context, vpcIDs []string) (map[string]*vpcACLs, error) {
	out := map[string]*vpcACLs{}
	for _, id := range vpcIDs {
		out[id] = &vpcACLs{}
	}
	for _, chunk := range chunks(vpcIDs, FilterValuesMax) {
		p := ec2.NewDescribeNetworkAclsPaginator(e.ec2, &ec2.DescribeNetworkAclsInput{
			Filters:    []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}},
			MaxResults: aws.Int32(describeACLsPage),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, callErr("ec2:DescribeNetworkAcls", err)
			}
			for _, a := range page.NetworkAcls {
				if r := out[aws.ToString(a.VpcId)]; r != nil {
					r.list = append(r.list, a)
				}
			}
		}
	}
	return out, nil
}

// ACLDenial is where an ACL stops the agent's traffic: the ACL, the
// direction, the ports and the deciding rule ("*" for the implicit deny).
type ACLDenial struct {
	ACL      string
	Egress   bool
	From, To int
	Rule     string
	Peer     string
	Endpoint bool // the endpoint subnet's ACL
}

// ACLs are stateless, so the agent's TCP 443 connections need 443 out and
// the replies in on the ephemeral ports, which the client OS picks from
// 1024-65535 (AWS's guidance for ACLs).
const (
	ephemeralLo = 1024
	ephemeralHi = 65535
)

// aclBlocks says which rule stops TCP traffic in one direction to or from
// every address of peer on some port of [from, to]; "" when all pass. Each
// port meets the entries in ascending rule number, first match wins. An
// entry matches only when its CIDR holds all of peer: one for part of it
// neither grants nor takes away the path (the address the agent meets is
// not known). It mirrors the simulator's registration rule.
func aclBlocks(acl *ec2types.NetworkAcl, egress bool, peer netip.Prefix, from, to int) string {
	if acl == nil {
		return ""
	}
	entries := append([]ec2types.NetworkAclEntry(nil), acl.Entries...)
	sortEntries(entries)
	open := [][2]int{{from, to}}
	for _, e := range entries {
		if aws.ToBool(e.Egress) != egress || !entryHolds(aws.ToString(e.CidrBlock), peer) {
			continue
		}
		lo, hi, ok := entryTCPPorts(e)
		if !ok {
			continue
		}
		var rest [][2]int
		for _, r := range open {
			if hi < r[0] || lo > r[1] {
				rest = append(rest, r)
				continue
			}
			if e.RuleAction == ec2types.RuleActionDeny {
				return ruleName(aws.ToInt32(e.RuleNumber))
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
	return "*"
}

func sortEntries(es []ec2types.NetworkAclEntry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && aws.ToInt32(es[j].RuleNumber) < aws.ToInt32(es[j-1].RuleNumber); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func ruleName(n int32) string {
	if n == 32767 {
		return "*"
	}
	return strconv.Itoa(int(n))
}

func entryTCPPorts(e ec2types.NetworkAclEntry) (int, int, bool) {
	switch aws.ToString(e.Protocol) {
	case "-1", "all":
		return 0, 65535, true
	case "6", "tcp":
		if e.PortRange == nil {
			return 0, 65535, true
		}
		return int(aws.ToInt32(e.PortRange.From)), int(aws.ToInt32(e.PortRange.To)), true
	}
	return 0, 0, false
}

func entryHolds(cidr string, peer netip.Prefix) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || p.Addr().Is4() != peer.Addr().Is4() {
		return false
	}
	p = p.Masked()
	return p.Bits() <= peer.Bits() && p.Contains(peer.Addr())
}

// instanceSideDenial: 443 out to peer, replies in from it.
func instanceSideDenial(acl *ec2types.NetworkAcl, peer netip.Prefix) *ACLDenial {
	if acl == nil {
		return nil
	}
	id := aws.ToString(acl.NetworkAclId)
	if r := aclBlocks(acl, true, peer, 443, 443); r != "" {
		return &ACLDenial{ACL: id, Egress: true, From: 443, To: 443, Rule: r, Peer: peer.String()}
	}
	if r := aclBlocks(acl, false, peer, ephemeralLo, ephemeralHi); r != "" {
		return &ACLDenial{ACL: id, From: ephemeralLo, To: ephemeralHi, Rule: r, Peer: peer.String()}
	}
	return nil
}

// endpointSideDenial: 443 in from the instance, replies out to it.
func endpointSideDenial(acl *ec2types.NetworkAcl, inst netip.Prefix) *ACLDenial {
	if acl == nil {
		return nil
	}
	id := aws.ToString(acl.NetworkAclId)
	if r := aclBlocks(acl, false, inst, 443, 443); r != "" {
		return &ACLDenial{ACL: id, From: 443, To: 443, Rule: r, Peer: inst.String(), Endpoint: true}
	}
	if r := aclBlocks(acl, true, inst, ephemeralLo, ephemeralHi); r != "" {
		return &ACLDenial{ACL: id, Egress: true, From: ephemeralLo, To: ephemeralHi, Rule: r, Peer: inst.String(), Endpoint: true}
	}
	return nil
}

func (d *ACLDenial) String() string {
	dir, prep := "inbound", "from"
	if d.Egress {
		dir, prep = "outbound", "to"
	}
	who := "network ACL " + d.ACL
	if d.Endpoint {
		who += " of the endpoint's subnet"
	}
	ports := strconv.Itoa(d.From)
	if d.To != d.From {
		ports += "-" + strconv.Itoa(d.To)
	}
	return who + " denies " + dir + " TCP " + ports + " " + prep + " " + d.Peer + " (rule " + d.Rule + ")"
}

// anyIPv4 is the internet path's peer: the public endpoints' addresses are
// not known, so only entries for all of IPv4 decide it.
var anyIPv4 = netip.MustParsePrefix("0.0.0.0/0")
