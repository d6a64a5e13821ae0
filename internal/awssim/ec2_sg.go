package awssim

import (
	"fmt"
	"strconv"
	"strings"
)

type ec2IPRange struct {
	CidrIP string `xml:"cidrIp"`
}

type ec2IPv6Range struct {
	CidrIPv6 string `xml:"cidrIpv6"`
}

type ec2GroupPair struct {
	UserID  string `xml:"userId"`
	GroupID string `xml:"groupId"`
}

type ec2PermissionX struct {
	IPProtocol    string                `xml:"ipProtocol"`
	FromPort      *int                  `xml:"fromPort,omitempty"`
	ToPort        *int                  `xml:"toPort,omitempty"`
	Groups        ec2List[ec2GroupPair] `xml:"groups"`
	IPRanges      ec2List[ec2IPRange]   `xml:"ipRanges"`
	IPv6Ranges    ec2List[ec2IPv6Range] `xml:"ipv6Ranges"`
	PrefixListIDs ec2List[string]       `xml:"prefixListIds"`
}

type ec2SecurityGroupX struct {
	OwnerID             string                  `xml:"ownerId"`
	GroupID             string                  `xml:"groupId"`
	GroupName           string                  `xml:"groupName"`
	GroupDescription    string                  `xml:"groupDescription"`
	VpcID               string                  `xml:"vpcId"`
	IPPermissions       ec2List[ec2PermissionX] `xml:"ipPermissions"`
	IPPermissionsEgress ec2List[ec2PermissionX] `xml:"ipPermissionsEgress"`
	SecurityGroupArn    string                  `xml:"securityGroupArn"`
	Tags                ec2List[ec2Tag]         `xml:"tagSet"`
}

type ec2DescribeSGsOut struct {
	SecurityGroups ec2List[ec2SecurityGroupX] `xml:"securityGroupInfo"`
	NextToken      string                     `xml:"nextToken,omitempty"`
}

func ec2Permissions(rules []SGRule, acct string) ec2List[ec2PermissionX] {
	out := []ec2PermissionX{}
	for _, r := range rules {
		x := ec2PermissionX{IPProtocol: r.Protocol,
			Groups: ec2ListOf([]ec2GroupPair{}), IPRanges: ec2ListOf([]ec2IPRange{}),
			IPv6Ranges: ec2ListOf([]ec2IPv6Range{}), PrefixListIDs: ec2ListOf([]string{})}
		// EC2 leaves ports out for "all protocols".
		if r.Protocol != "-1" {
			from, to := r.FromPort, r.ToPort
			x.FromPort, x.ToPort = &from, &to
		}
		for _, g := range r.Groups {
			x.Groups.Item = append(x.Groups.Item, ec2GroupPair{UserID: acct, GroupID: g})
		}
		for _, cidr := range r.Cidrs {
			if isIPv6CIDR(cidr) {
				x.IPv6Ranges.Item = append(x.IPv6Ranges.Item, ec2IPv6Range{CidrIPv6: cidr})
				continue
			}
			x.IPRanges.Item = append(x.IPRanges.Item, ec2IPRange{CidrIP: cidr})
		}
		out = append(out, x)
	}
	return ec2ListOf(out)
}

func (s *Sim) ec2DescribeSecurityGroups(c *Call) (any, error) {
	if err := s.authorize(c, "ec2:DescribeSecurityGroups", "*", nil); err != nil {
		return nil, err
	}
	ids, names := c.FormList("GroupId"), c.FormList("GroupName")
	if (len(ids) > 0 || len(names) > 0) && c.Form.Get("MaxResults") != "" {
		return nil, Errf("InvalidParameterCombination", "The parameter groupIds cannot be used with the parameter maxResults")
	}
	max, err := ec2MaxResults(c, 5)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	for _, n := range names {
		found := false
		for _, g := range st.SecurityGroups {
			if g.Name == n && g.Region == c.Region {
				ids = append(ids, g.ID)
				found = true
			}
		}
		if !found {
			return nil, Errf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", n, s.ec2DefaultVpcIDLocked(c.Region))
		}
	}
	groups, next, err := ec2Select(c, st.SecurityGroups, func(v *SecurityGroup) string { return v.Region },
		ids,
		func(ids []string) error {
			return Errf("InvalidGroup.NotFound", "The security group '%s' does not exist", strings.Join(ids, ", "))
		},
		func(v *SecurityGroup) (map[string][]string, []Tag) {
			return map[string][]string{"group-id": {v.ID}, "group-name": {v.Name}, "vpc-id": {v.VpcID},
				"description": {v.Description}, "owner-id": {st.AccountID}}, nil
		}, max)
	if err != nil {
		return nil, err
	}
	out := ec2DescribeSGsOut{NextToken: next, SecurityGroups: ec2ListOf([]ec2SecurityGroupX{})}
	for _, g := range groups {
		out.SecurityGroups.Item = append(out.SecurityGroups.Item, ec2SecurityGroupX{
			OwnerID: st.AccountID, GroupID: g.ID, GroupName: g.Name, GroupDescription: g.Description, VpcID: g.VpcID,
			IPPermissions:       ec2Permissions(g.Ingress, st.AccountID),
			IPPermissionsEgress: ec2Permissions(g.Egress, st.AccountID),
			SecurityGroupArn:    "arn:aws:ec2:" + g.Region + ":" + st.AccountID + ":security-group/" + g.ID,
			Tags:                ec2TagSet(nil),
		})
	}
	return out, nil
}

func (s *Sim) ec2DefaultVpcIDLocked(region string) string {
	for _, v := range s.state.VPCs {
		if v.IsDefault && v.Region == region {
			return v.ID
		}
	}
	return ""
}

type ec2CreateSGOut struct {
	Return           bool   `xml:"return"`
	GroupID          string `xml:"groupId"`
	SecurityGroupArn string `xml:"securityGroupArn"`
}

func (s *Sim) ec2CreateSecurityGroup(c *Call) (any, error) {
	name, desc, vpcID := c.Form.Get("GroupName"), c.Form.Get("GroupDescription"), c.Form.Get("VpcId")
	switch {
	case name == "":
		return nil, Errf("MissingParameter", "The request must contain the parameter GroupName")
	case desc == "":
		return nil, Errf("MissingParameter", "The request must contain the parameter GroupDescription")
	case name == "default":
		return nil, Errf("InvalidParameterValue", "Cannot use reserved security group name: default")
	}
	if err := s.authorize(c, "ec2:CreateSecurityGroup", s.ec2Arn(c.Region, "security-group", "*"), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	if vpcID == "" {
		vpcID = s.ec2DefaultVpcIDLocked(c.Region)
		if vpcID == "" {
			return nil, Errf("VPCIdNotSpecified", "No default VPC for this user")
		}
	}
	if v, ok := st.VPCs[vpcID]; !ok || v.Region != c.Region {
		return nil, Errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	for _, g := range st.SecurityGroups {
		if g.VpcID == vpcID && g.Name == name {
			return nil, Errf("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
		}
	}
	id := ""
	for n := 0; id == "" || st.SecurityGroups[id] != nil; n++ {
		id = "sg-" + ec2Hex(vpcID+"/"+name+"/"+strconv.Itoa(n), 17)
	}
	st.SecurityGroups[id] = &SecurityGroup{ID: id, Name: name, Description: desc, VpcID: vpcID, Region: c.Region,
		Egress: []SGRule{{Protocol: "-1", Cidrs: []string{"0.0.0.0/0"}}}}
	return ec2CreateSGOut{Return: true, GroupID: id,
		SecurityGroupArn: "arn:aws:ec2:" + c.Region + ":" + st.AccountID + ":security-group/" + id}, nil
}

type ec2SGRuleX struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	GroupOwnerID        string `xml:"groupOwnerId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int    `xml:"fromPort"`
	ToPort              int    `xml:"toPort"`
	CidrIPv4            string `xml:"cidrIpv4,omitempty"`
	CidrIPv6            string `xml:"cidrIpv6,omitempty"`
	ReferencedGroupID   string `xml:"referencedGroupInfo>groupId,omitempty"`
}

type ec2AuthorizeOut struct {
	Return bool                `xml:"return"`
	Rules  ec2List[ec2SGRuleX] `xml:"securityGroupRuleSet"`
}

// isIPv6CIDR: SGRule.Cidrs holds both families; EC2 lists IPv6 blocks
// under ipv6Ranges.
func isIPv6CIDR(c string) bool { return strings.Contains(c, ":") }

// ec2IngressRules reads IpPermissions.N.* (IpRanges, Ipv6Ranges, Groups)
// and the older top-level form (IpProtocol, FromPort, ToPort, CidrIp).
func ec2IngressRules(c *Call) ([]SGRule, error) {
	var rules []SGRule
	port := func(v string) (int, error) {
		if v == "" {
			return -1, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, Errf("InvalidParameterValue", "Invalid value '%s' for portRange.", v)
		}
		return n, nil
	}
	for i := 1; ; i++ {
		p := "IpPermissions." + strconv.Itoa(i)
		proto := c.Form.Get(p + ".IpProtocol")
		if proto == "" {
			break
		}
		from, err := port(c.Form.Get(p + ".FromPort"))
		if err != nil {
			return nil, err
		}
		to, err := port(c.Form.Get(p + ".ToPort"))
		if err != nil {
			return nil, err
		}
		r := SGRule{Protocol: ec2NormProto(proto), FromPort: from, ToPort: to}
		for j := 1; ; j++ {
			cidr := c.Form.Get(p + ".IpRanges." + strconv.Itoa(j) + ".CidrIp")
			if cidr == "" {
				break
			}
			r.Cidrs = append(r.Cidrs, cidr)
		}
		for j := 1; ; j++ {
			cidr := c.Form.Get(p + ".Ipv6Ranges." + strconv.Itoa(j) + ".CidrIpv6")
			if cidr == "" {
				break
			}
			r.Cidrs = append(r.Cidrs, cidr)
		}
		for j := 1; ; j++ {
			g := c.Form.Get(p + ".Groups." + strconv.Itoa(j) + ".GroupId")
			if g == "" {
				break
			}
			r.Groups = append(r.Groups, g)
		}
		rules = append(rules, r)
	}
	if proto := c.Form.Get("IpProtocol"); proto != "" {
		from, err := port(c.Form.Get("FromPort"))
		if err != nil {
			return nil, err
		}
		to, err := port(c.Form.Get("ToPort"))
		if err != nil {
			return nil, err
		}
		r := SGRule{Protocol: ec2NormProto(proto), FromPort: from, ToPort: to}
		if cidr := c.Form.Get("CidrIp"); cidr != "" {
			r.Cidrs = []string{cidr}
		}
		rules = append(rules, r)
	}
	for i, r := range rules {
		if r.Protocol == "-1" {
			rules[i].FromPort, rules[i].ToPort = 0, 0
		}
	}
	return rules, nil
}

func ec2NormProto(p string) string {
	switch strings.ToLower(p) {
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "all":
		return "-1"
	}
	return strings.ToLower(p)
}

func (s *Sim) ec2AuthorizeIngress(c *Call) (any, error) { return s.ec2AuthorizeRules(c, false) }

// ec2AuthorizeRules adds ingress or egress rules to a group: the two
// operations read, check and answer alike, only the rule list differs.
func (s *Sim) ec2AuthorizeRules(c *Call, egress bool) (any, error) {
	id := c.Form.Get("GroupId")
	if id == "" {
		return nil, Errf("MissingParameter", "The request must contain the parameter groupId")
	}
	rules, err := ec2IngressRules(c)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, Errf("MissingParameter", "The request must contain the parameter ipPermissions")
	}
	action := "ec2:AuthorizeSecurityGroupIngress"
	if egress {
		action = "ec2:AuthorizeSecurityGroupEgress"
	}
	if err := s.authorize(c, action, s.ec2Arn(c.Region, "security-group", id), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	g, err := s.ec2GroupLocked(c.Region, id)
	if err != nil {
		return nil, err
	}
	list := &g.Ingress
	if egress {
		list = &g.Egress
	}
	for _, r := range rules {
		for _, ref := range r.Groups {
			if _, ok := st.SecurityGroups[ref]; !ok {
				return nil, Errf("InvalidGroup.NotFound", "The security group '%s' does not exist", ref)
			}
		}
		if existing := ec2FindDuplicate(*list, r); existing != "" {
			return nil, Errf("InvalidPermission.Duplicate", "the specified rule %s already exists", existing)
		}
	}
	out := ec2AuthorizeOut{Return: true, Rules: ec2ListOf([]ec2SGRuleX{})}
	for _, r := range rules {
		*list = append(*list, r)
		out.Rules.Item = append(out.Rules.Item, ec2RuleItems(st.AccountID, id, egress, r)...)
	}
	return out, nil
}

// ec2FindDuplicate describes, as EC2's InvalidPermission.Duplicate does, a
// peer of r that rules already grant; "" when none.
func ec2FindDuplicate(rules []SGRule, r SGRule) string {
	for _, have := range rules {
		if have.Protocol != r.Protocol || have.FromPort != r.FromPort || have.ToPort != r.ToPort {
			continue
		}
		for _, c := range r.Cidrs {
			for _, hc := range have.Cidrs {
				if c == hc {
					return fmt.Sprintf("\"peer: %s, %s, from port: %d, to port: %d, ALLOW\"", c, strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
				}
			}
		}
		for _, g := range r.Groups {
			for _, hg := range have.Groups {
				if g == hg {
					return fmt.Sprintf("\"peer: %s, %s, from port: %d, to port: %d, ALLOW\"", g, strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
				}
			}
		}
	}
	return ""
}

// ec2GroupLocked is security group id of region, or EC2's not-found error.
func (s *Sim) ec2GroupLocked(region, id string) (*SecurityGroup, error) {
	g, ok := s.state.SecurityGroups[id]
	if !ok || g.Region != region {
		return nil, Errf("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	return g, nil
}
