package awssim

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// NetworkACL is a VPC network ACL. Entries are stateless rules, evaluated
// per direction in ascending RuleNumber, first match wins; Normalize adds
// the "*" rule (32767, deny all) that closes each direction.
type NetworkACL struct {
	ID        string      `json:"NetworkAclId"`
	VpcID     string      `json:"VpcId"`
	Region    string      `json:"Region"`
	IsDefault bool        `json:"IsDefault"`
	Entries   []NACLEntry `json:"Entries"`
	// Subnets are the associated subnets; a subnet has exactly one ACL.
	Subnets []string `json:"SubnetIds"`
	Tags    []Tag    `json:"Tags"`
}

// NACLEntry is one rule. Protocol is an IANA number ("6" TCP, "17" UDP) or
// "-1" for all; PortRange applies to TCP and UDP only.
type NACLEntry struct {
	RuleNumber int            `json:"RuleNumber"`
	Protocol   string         `json:"Protocol"`
	RuleAction string         `json:"RuleAction"` // allow|deny
	Egress     bool           `json:"Egress"`
	CidrBlock  string         `json:"CidrBlock"`
	PortRange  *NACLPortRange `json:"PortRange"`
}

// NACLPortRange is inclusive.
type NACLPortRange struct {
	From int `json:"From"`
	To   int `json:"To"`
}

// naclImplicitRule is the number AWS shows for the "*" rule.
const naclImplicitRule = 32767

// naclProtocols maps the names scenario authors write to the numbers EC2
// stores.
var naclProtocols = map[string]string{"all": "-1", "tcp": "6", "udp": "17", "icmp": "1"}

// normalizeNACLs runs after instances, which may create a region's default
// VPC: every VPC gets its default ACL, every subnet an association.
func (st *State) normalizeNACLs() error {
	owner := map[string]string{}
	for _, id := range sortedKeys(st.NetworkACLs) {
		a := st.NetworkACLs[id]
		setDefault(&a.ID, id)
		v, err := st.inVPC("network acl", id, a.VpcID)
		if err != nil {
			return err
		}
		a.Region = v.Region
		for i := range a.Entries {
			if err := normalizeNACLEntry(&a.Entries[i]); err != nil {
				return scenarioErr("network acl", id, "entry %d: %v", a.Entries[i].RuleNumber, err)
			}
		}
		a.Entries = withImplicitDeny(a.Entries)
		if err := st.subnetsInVPC("network acl", id, a.VpcID, a.Subnets); err != nil {
			return err
		}
	}
	// A custom ACL's association wins over the default ACL's: a state
	// normalised once lists every subnet under its default ACL, and a
	// change made afterwards (tests, scenario edits) moves one by naming
	// it in another ACL.
	for _, pass := range []bool{false, true} {
		for _, id := range sortedKeys(st.NetworkACLs) {
			a := st.NetworkACLs[id]
			if a.IsDefault != pass {
				continue
			}
			kept := a.Subnets[:0]
			for _, sub := range a.Subnets {
				prev, dup := owner[sub]
				switch {
				case dup && prev != id && !pass:
					return scenarioErr("network acl", id, "subnet %s is already associated with %s", sub, prev)
				case dup && prev != id:
					continue
				}
				owner[sub] = id
				kept = append(kept, sub)
			}
			a.Subnets = kept
		}
	}
	for _, vid := range sortedKeys(st.VPCs) {
		st.ensureDefaultACL(st.VPCs[vid])
	}
	for _, sid := range sortedKeys(st.Subnets) {
		if _, ok := owner[sid]; ok {
			continue
		}
		s := st.Subnets[sid]
		if def := st.defaultACLOf(s.VpcID); def != nil {
			def.Subnets = append(def.Subnets, sid)
		}
	}
	return nil
}

func normalizeNACLEntry(e *NACLEntry) error {
	e.Protocol = strings.ToLower(e.Protocol)
	if n, ok := naclProtocols[e.Protocol]; ok {
		e.Protocol = n
	}
	setDefault(&e.Protocol, "-1")
	e.RuleAction = strings.ToLower(e.RuleAction)
	if e.RuleAction != "allow" && e.RuleAction != "deny" {
		return fmt.Errorf("RuleAction %q is neither allow nor deny", e.RuleAction)
	}
	if e.RuleNumber < 1 || e.RuleNumber > naclImplicitRule {
		return fmt.Errorf("RuleNumber must lie in 1-32766")
	}
	if _, err := netip.ParsePrefix(e.CidrBlock); err != nil {
		return fmt.Errorf("CidrBlock %q is not a CIDR", e.CidrBlock)
	}
	if (e.Protocol == "6" || e.Protocol == "17") && e.PortRange == nil {
		e.PortRange = &NACLPortRange{From: 0, To: 65535}
	}
	return nil
}

// withImplicitDeny appends the "*" rule to each direction that lacks it and
// orders entries as EC2 lists them (ingress, then egress, by number).
func withImplicitDeny(es []NACLEntry) []NACLEntry {
	has := map[bool]bool{}
	for _, e := range es {
		if e.RuleNumber == naclImplicitRule {
			has[e.Egress] = true
		}
	}
	for _, egress := range []bool{false, true} {
		if !has[egress] {
			es = append(es, NACLEntry{RuleNumber: naclImplicitRule, Protocol: "-1", RuleAction: "deny", Egress: egress, CidrBlock: "0.0.0.0/0"})
		}
	}
	sortNACLEntries(es)
	return es
}

func sortNACLEntries(es []NACLEntry) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Egress != es[j].Egress {
			return !es[i].Egress
		}
		return es[i].RuleNumber < es[j].RuleNumber
	})
}

// ensureDefaultACL gives a VPC without one the ACL CreateVpc makes: rule
// 100 allows all traffic each way.
func (st *State) ensureDefaultACL(v *VPC) {
	if st.defaultACLOf(v.ID) != nil {
		return
	}
	id := "acl-" + ec2Hex("default-acl:"+v.ID, 17)
	st.NetworkACLs[id] = &NetworkACL{ID: id, VpcID: v.ID, Region: v.Region, IsDefault: true,
		Entries: withImplicitDeny([]NACLEntry{
			{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
			{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0"},
		})}
}

func (st *State) defaultACLOf(vpcID string) *NetworkACL {
	var best *NetworkACL
	for _, a := range st.NetworkACLs {
		if a.VpcID == vpcID && a.IsDefault && (best == nil || a.ID < best.ID) {
			best = a
		}
	}
	return best
}

// subnetACL is the ACL associated with the subnet, else its VPC's default
// one; nil when the state models none (hand-built states).
func (st *State) subnetACL(subnetID, vpcID string) *NetworkACL {
	for _, a := range st.NetworkACLs {
		for _, s := range a.Subnets {
			if s == subnetID {
				return a
			}
		}
	}
	return st.defaultACLOf(vpcID)
}
