package awssim

import (
	"strconv"
)

type ec2NACLPortRangeX struct {
	From int `xml:"from"`
	To   int `xml:"to"`
}

type ec2NACLEntryX struct {
	RuleNumber int                `xml:"ruleNumber"`
	Protocol   string             `xml:"protocol"`
	RuleAction string             `xml:"ruleAction"`
	Egress     bool               `xml:"egress"`
	CidrBlock  string             `xml:"cidrBlock"`
	PortRange  *ec2NACLPortRangeX `xml:"portRange,omitempty"`
}

type ec2NACLAssocX struct {
	AssociationID string `xml:"networkAclAssociationId"`
	NetworkACLID  string `xml:"networkAclId"`
	SubnetID      string `xml:"subnetId"`
}

// ec2NetworkACLX is one networkAclSet item; AWS names the flag "default".
type ec2NetworkACLX struct {
	NetworkACLID string                 `xml:"networkAclId"`
	VpcID        string                 `xml:"vpcId"`
	Default      bool                   `xml:"default"`
	Entries      ec2List[ec2NACLEntryX] `xml:"entrySet"`
	Associations ec2List[ec2NACLAssocX] `xml:"associationSet"`
	Tags         ec2List[ec2Tag]        `xml:"tagSet"`
	OwnerID      string                 `xml:"ownerId"`
}

type ec2DescribeNetworkAclsOut struct {
	NetworkAcls ec2List[ec2NetworkACLX] `xml:"networkAclSet"`
	NextToken   string                  `xml:"nextToken,omitempty"`
}

func (s *Sim) ec2DescribeNetworkAcls(c *Call) (any, error) {
	return s.ec2Describe(c, 5, s.ec2DescribeNetworkAclsLocked)
}

// naclAssocID is stable per (acl, subnet), as an association id is until
// the subnet moves.
func naclAssocID(aclID, subnetID string) string {
	return "aclassoc-" + ec2Hex(aclID+":"+subnetID, 17)
}

func (s *Sim) ec2DescribeNetworkAclsLocked(c *Call, st *State, max int) (any, error) {
	acls, next, err := ec2Select(c, st.NetworkACLs, func(v *NetworkACL) string { return v.Region },
		c.FormList("NetworkAclId"),
		func(ids []string) error {
			return ec2NotFound("InvalidNetworkAclID.NotFound", "networkAcl ID", "networkAcl IDs", ids)
		},
		func(v *NetworkACL) (map[string][]string, []Tag) {
			f := map[string][]string{
				"network-acl-id": {v.ID}, "vpc-id": {v.VpcID}, "default": {strconv.FormatBool(v.IsDefault)},
				"owner-id": {st.AccountID}, "association.subnet-id": v.Subnets,
				"association.network-acl-id": nil, "association.association-id": nil,
				"entry.cidr": nil, "entry.egress": nil, "entry.protocol": nil, "entry.rule-action": nil, "entry.rule-number": nil,
			}
			for _, sub := range v.Subnets {
				f["association.network-acl-id"] = append(f["association.network-acl-id"], v.ID)
				f["association.association-id"] = append(f["association.association-id"], naclAssocID(v.ID, sub))
			}
			for _, e := range v.Entries {
				f["entry.cidr"] = append(f["entry.cidr"], e.CidrBlock)
				f["entry.egress"] = append(f["entry.egress"], strconv.FormatBool(e.Egress))
				f["entry.protocol"] = append(f["entry.protocol"], e.Protocol)
				f["entry.rule-action"] = append(f["entry.rule-action"], e.RuleAction)
				f["entry.rule-number"] = append(f["entry.rule-number"], strconv.Itoa(e.RuleNumber))
			}
			return f, v.Tags
		}, max)
	if err != nil {
		return nil, err
	}
	out := ec2DescribeNetworkAclsOut{NextToken: next, NetworkAcls: ec2ListOf([]ec2NetworkACLX{})}
	for _, v := range acls {
		out.NetworkAcls.Item = append(out.NetworkAcls.Item, naclX(v, st.AccountID))
	}
	return out, nil
}

func naclX(v *NetworkACL, owner string) ec2NetworkACLX {
	x := ec2NetworkACLX{NetworkACLID: v.ID, VpcID: v.VpcID, Default: v.IsDefault, OwnerID: owner,
		Entries: ec2ListOf([]ec2NACLEntryX{}), Associations: ec2ListOf([]ec2NACLAssocX{}), Tags: ec2TagSet(v.Tags)}
	for _, e := range v.Entries {
		ex := ec2NACLEntryX{RuleNumber: e.RuleNumber, Protocol: e.Protocol, RuleAction: e.RuleAction, Egress: e.Egress, CidrBlock: e.CidrBlock}
		if e.PortRange != nil && (e.Protocol == "6" || e.Protocol == "17") {
			ex.PortRange = &ec2NACLPortRangeX{From: e.PortRange.From, To: e.PortRange.To}
		}
		x.Entries.Item = append(x.Entries.Item, ex)
	}
	for _, sub := range v.Subnets {
		x.Associations.Item = append(x.Associations.Item, ec2NACLAssocX{AssociationID: naclAssocID(v.ID, sub), NetworkACLID: v.ID, SubnetID: sub})
	}
	return x
}
