package awssim

import (
	"fmt"
)

// The network repairs fix --vpc-endpoints makes besides ingress: letting
// the instance's HTTPS out, and turning the VPC's DNS attributes on.
func (s *Sim) ec2AuthorizeEgress(c *Call) (any, error) { return s.ec2AuthorizeRules(c, true) }

// ec2RuleItems is the securityGroupRuleSet entries of one stored rule: EC2
// gives each peer (CIDR or group) a rule id of its own.
func ec2RuleItems(acct, groupID string, egress bool, r SGRule) []ec2SGRuleX {
	var out []ec2SGRuleX
	peers := append(append([]string{}, r.Cidrs...), r.Groups...)
	for k, peer := range peers {
		x := ec2SGRuleX{GroupID: groupID, GroupOwnerID: acct, IsEgress: egress, IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort}
		switch {
		case k >= len(r.Cidrs):
			x.ReferencedGroupID = peer
		case isIPv6CIDR(peer):
			x.CidrIPv6 = peer
		default:
			x.CidrIPv4 = peer
		}
		x.SecurityGroupRuleID = ec2RuleID(groupID, egress, r, peer)
		out = append(out, x)
	}
	return out
}

// ec2RuleID names one peer of a rule: derived from what the rule is (a
// group holds no two equal rules), so it stays the same while the rule
// exists, whatever is added or revoked around it.
func ec2RuleID(groupID string, egress bool, r SGRule, peer string) string {
	return "sgr-" + ec2Hex(fmt.Sprintf("%s/%t/%s/%d/%d/%s", groupID, egress, r.Protocol, r.FromPort, r.ToPort, peer), 17)
}

type ec2ReturnOut struct {
	Return bool `xml:"return"`
}

// ec2ModifyVpcAttribute changes enableDnsSupport or enableDnsHostnames,
// one per request as EC2 insists; hostnames need DNS support on.
func (s *Sim) ec2ModifyVpcAttribute(c *Call) (any, error) {
	id := c.Form.Get("VpcId")
	if id == "" {
		return nil, Errf("MissingParameter", "The request must contain the parameter vpcId")
	}
	support, hostnames := c.Form.Get("EnableDnsSupport.Value"), c.Form.Get("EnableDnsHostnames.Value")
	switch {
	case support != "" && hostnames != "":
		return nil, Errf("InvalidParameterCombination", "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames")
	case support == "" && hostnames == "":
		return nil, Errf("MissingParameter", "The request must contain one of the parameters enableDnsSupport, enableDnsHostnames")
	}
	if err := s.authorize(c, "ec2:ModifyVpcAttribute", s.ec2Arn(c.Region, "vpc", id), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.state.VPCs[id]
	if !ok || v.Region != c.Region {
		return nil, Errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	if support != "" {
		v.EnableDNSSupport = ec2Bool(c, "EnableDnsSupport.Value", v.EnableDNSSupport)
		return ec2ReturnOut{Return: true}, nil
	}
	on := ec2Bool(c, "EnableDnsHostnames.Value", v.EnableDNSHostnames)
	if on && !v.EnableDNSSupport {
		// The documented constraint; the wording of AWS's message is ours.
		return nil, Errf("InvalidParameterValue", "DNS hostnames can only be enabled on %s while enableDnsSupport is on", id)
	}
	v.EnableDNSHostnames = on
	return ec2ReturnOut{Return: true}, nil
}
