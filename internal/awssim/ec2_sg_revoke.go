package awssim

import (
	"strconv"
)

type ec2RevokedRuleX struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int    `xml:"fromPort"`
	ToPort              int    `xml:"toPort"`
	CidrIPv4            string `xml:"cidrIpv4,omitempty"`
	CidrIPv6            string `xml:"cidrIpv6,omitempty"`
	ReferencedGroupID   string `xml:"referencedGroupId,omitempty"`
}

type ec2RevokeOut struct {
	Return  bool                     `xml:"return"`
	Unknown ec2List[ec2PermissionX]  `xml:"unknownIpPermissionSet"`
	Revoked ec2List[ec2RevokedRuleX] `xml:"revokedSecurityGroupRuleSet"`
}

// ec2Peer is one peer of a stored rule: what a security group rule id names.
type ec2Peer struct {
	rule SGRule // the stored rule it belongs to (Cidrs/Groups not narrowed)
	peer string
	cidr bool
}

func (p ec2Peer) id(groupID string) string { return ec2RuleID(groupID, false, p.rule, p.peer) }

// ec2RevokeIngress removes ingress rules named by their properties
// (IpPermissions, or the older top-level IpProtocol/FromPort/ToPort/CidrIp)
// or by SecurityGroupRuleId.N. As EC2 documents it: in a non-default VPC a
// rule that does not exist fails the whole request with
// InvalidPermission.NotFound and nothing is revoked; in a default VPC the
// rules that exist are revoked and the others come back in
// unknownIpPermissionSet. Each CIDR or group of a permission is a rule of
// its own: revoking one leaves the others of the same permission.
func (s *Sim) ec2RevokeIngress(c *Call) (any, error) {
	id, name := c.Form.Get("GroupId"), c.Form.Get("GroupName")
	if id == "" && name == "" {
		return nil, Errf("MissingParameter", "The request must contain the parameter groupId or groupName")
	}
	var ruleIDs []string
	for i := 1; ; i++ {
		v := c.Form.Get("SecurityGroupRuleId." + strconv.Itoa(i))
		if v == "" {
			break
		}
		ruleIDs = append(ruleIDs, v)
	}
	rules, err := ec2IngressRules(c)
	if err != nil {
		return nil, err
	}
	switch {
	case len(rules) == 0 && len(ruleIDs) == 0:
		return nil, Errf("MissingParameter", "The request must contain the parameter ipPermissions or securityGroupRuleIds")
	case len(rules) > 0 && len(ruleIDs) > 0:
		return nil, Errf("InvalidParameterCombination", "The parameter ipPermissions cannot be used with the parameter securityGroupRuleIds")
	}
	if id == "" {
		s.mu.Lock()
		def := s.ec2DefaultVpcIDLocked(c.Region)
		for _, g := range s.state.SecurityGroups {
			if g.Name == name && g.Region == c.Region && g.VpcID == def {
				id = g.ID
			}
		}
		s.mu.Unlock()
		if id == "" {
			return nil, Errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name, def)
		}
	}
	if err := s.authorize(c, "ec2:RevokeSecurityGroupIngress", s.ec2Arn(c.Region, "security-group", id), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	g, err := s.ec2GroupLocked(c.Region, id)
	if err != nil {
		return nil, err
	}
	defaultVPC := false
	if v, ok := st.VPCs[g.VpcID]; ok {
		defaultVPC = v.IsDefault
	}
	// Every peer the group has, by rule id.
	var peers []ec2Peer
	for _, r := range g.Ingress {
		for _, cidr := range r.Cidrs {
			peers = append(peers, ec2Peer{rule: r, peer: cidr, cidr: true})
		}
		for _, grp := range r.Groups {
			peers = append(peers, ec2Peer{rule: r, peer: grp})
		}
	}
	byID := map[string]ec2Peer{}
	for _, p := range peers {
		byID[p.id(id)] = p
	}
	remove := map[string]bool{}
	out := ec2RevokeOut{Return: true, Unknown: ec2ListOf([]ec2PermissionX{}), Revoked: ec2ListOf([]ec2RevokedRuleX{})}
	if len(ruleIDs) > 0 {
		for _, rid := range ruleIDs {
			if _, ok := byID[rid]; !ok {
				return nil, Errf("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", rid)
			}
			remove[rid] = true
		}
	} else {
		var unknown []SGRule
		for _, want := range rules {
			wantPeers := append(append([]string{}, want.Cidrs...), want.Groups...)
			for k, peer := range wantPeers {
				found := ""
				for _, p := range peers {
					if p.peer == peer && p.cidr == (k < len(want.Cidrs)) && p.rule.Protocol == want.Protocol &&
						p.rule.FromPort == want.FromPort && p.rule.ToPort == want.ToPort {
						found = p.id(id)
					}
				}
				if found != "" {
					remove[found] = true
					continue
				}
				if !defaultVPC {
					return nil, Errf("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
				}
				u := SGRule{Protocol: want.Protocol, FromPort: want.FromPort, ToPort: want.ToPort}
				if k < len(want.Cidrs) {
					u.Cidrs = []string{peer}
				} else {
					u.Groups = []string{peer}
				}
				unknown = append(unknown, u)
			}
		}
		out.Unknown = ec2Permissions(unknown, st.AccountID)
		if len(unknown) > 0 && len(remove) == 0 {
			out.Return = false
		}
	}
	// Rewrite the group's rules without the removed peers, in order.
	var kept []SGRule
	for _, r := range g.Ingress {
		nr := SGRule{Protocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort}
		for _, cidr := range r.Cidrs {
			if remove[ec2RuleID(id, false, r, cidr)] {
				out.Revoked.Item = append(out.Revoked.Item, revokedItem(id, r, cidr, true))
				continue
			}
			nr.Cidrs = append(nr.Cidrs, cidr)
		}
		for _, grp := range r.Groups {
			if remove[ec2RuleID(id, false, r, grp)] {
				out.Revoked.Item = append(out.Revoked.Item, revokedItem(id, r, grp, false))
				continue
			}
			nr.Groups = append(nr.Groups, grp)
		}
		if len(nr.Cidrs)+len(nr.Groups) > 0 {
			kept = append(kept, nr)
		}
	}
	g.Ingress = kept
	return out, nil
}

func revokedItem(groupID string, r SGRule, peer string, cidr bool) ec2RevokedRuleX {
	x := ec2RevokedRuleX{SecurityGroupRuleID: ec2RuleID(groupID, false, r, peer), GroupID: groupID, IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort}
	switch {
	case !cidr:
		x.ReferencedGroupID = peer
	case isIPv6CIDR(peer):
		x.CidrIPv6 = peer
	default:
		x.CidrIPv4 = peer
	}
	if r.Protocol == "-1" {
		x.FromPort, x.ToPort = -1, -1
	}
	return x
}
