package checks

import (
	"net/netip"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// aclToEndpoint: an endpoint interface in the instance's own subnet is
// reached without crossing an ACL; otherwise one endpoint subnet must be
// reachable both ways: the instance subnet's ACL passes 443 out to that
// subnet's block and the replies in from it, and the subnet's own ACL
// lets 443 in from the instance and the replies back. The first
// subnet's denial is the one reported. It mirrors the simulator.
func (nv *netView) aclToEndpoint(ep *ec2types.VpcEndpoint) *awsfacts.ACLDenial {
	subnet := aws.ToString(nv.inst.SubnetId)
	for _, s := range ep.SubnetIds {
		if s == subnet {
			return nil
		}
	}
	mine := awsfacts.SubnetACL(nv.acls, subnet)
	if len(ep.SubnetIds) == 0 {
		if len(nv.vpcCIDRs) > 0 {
			return awsfacts.InstanceSideDenial(mine, nv.vpcCIDRs[0])
		}
		return nil
	}
	ip, ipErr := netip.ParseAddr(aws.ToString(nv.inst.PrivateIpAddress))
	var first *awsfacts.ACLDenial
	for _, s := range ep.SubnetIds {
		var d *awsfacts.ACLDenial
		if block, ok := nv.subnetBlock(s); ok {
			d = awsfacts.InstanceSideDenial(mine, block)
		}
		if d == nil && ipErr == nil {
			d = awsfacts.EndpointSideDenial(awsfacts.SubnetACL(nv.acls, s), netip.PrefixFrom(ip, ip.BitLen()))
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
func (nv *netView) subnetBlock(subnet string) (netip.Prefix, bool) {
	if b, ok := nv.subnetCIDRs[subnet]; ok {
		return b, true
	}
	if len(nv.vpcCIDRs) > 0 {
		return nv.vpcCIDRs[0], true
	}
	return netip.Prefix{}, false
}

// aclVerdict fails on network ACLs alone, with the entry that opens the
// first denial (the others are in the details).
func aclVerdict(env *Env, nv *netView, problems []string) Result {
	d := nv.denials[0]
	r := Fail("%s: the agent cannot reach Systems Manager", d).
		WithDetails(problems[1:]...).
		WithDetails("network ACLs are stateless: the agent needs TCP 443 out and the replies in on 1024-65535, both ways through each subnet's ACL")
	return r.WithFix(aclFix(d, nv.acls, regionOf(env)), "")
}

// aclFix is the entry that opens d's path: numbered below the denying
// rule so that it is met first, at the highest number free in that
// direction (from 100 for the "*" rule); with no number free the deny is
// replaced.
func aclFix(d *awsfacts.ACLDenial, acls []ec2types.NetworkAcl, region string) string {
	used := map[int]bool{}
	for _, a := range acls {
		if aws.ToString(a.NetworkAclId) != d.ACL {
			continue
		}
		for _, e := range a.Entries {
			if aws.ToBool(e.Egress) == d.Egress {
				used[int(aws.ToInt32(e.RuleNumber))] = true
			}
		}
	}
	verb, n := "create-network-acl-entry", 0
	if deny, err := strconv.Atoi(d.Rule); err == nil {
		for n = deny - 1; n >= 1 && used[n]; n-- {
		}
		if n < 1 {
			verb, n = "replace-network-acl-entry", deny
		}
	} else {
		for n = 100; used[n]; n += 10 {
		}
	}
	egress := ""
	if d.Egress {
		egress = " --egress"
	}
	return "aws ec2 " + verb + " --network-acl-id " + d.ACL + " --rule-number " + strconv.Itoa(n) +
		" --protocol tcp --port-range From=" + strconv.Itoa(d.From) + ",To=" + strconv.Itoa(d.To) + egress +
		" --cidr-block " + d.Peer + " --rule-action allow --region " + region
}
