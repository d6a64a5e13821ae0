package awssim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// naclState is one VPC with two subnets: a uses the default ACL, b a custom
// ACL that lets 443 out and the ephemeral replies in.
func naclState() *State {
	return &State{
		VPCs: map[string]*VPC{"vpc-0aa": {CidrBlock: "10.1.0.0/16"}},
		Subnets: map[string]*Subnet{
			"subnet-0a": {VpcID: "vpc-0aa", CidrBlock: "10.1.1.0/24"},
			"subnet-0b": {VpcID: "vpc-0aa", CidrBlock: "10.1.2.0/24"},
		},
		NetworkACLs: map[string]*NetworkACL{"acl-0custom": {VpcID: "vpc-0aa", Subnets: []string{"subnet-0b"},
			Tags: []Tag{{Key: "Name", Value: "strict"}},
			Entries: []NACLEntry{
				{RuleNumber: 100, Protocol: "tcp", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0", PortRange: &NACLPortRange{From: 443, To: 443}},
				{RuleNumber: 100, Protocol: "6", RuleAction: "allow", CidrBlock: "0.0.0.0/0", PortRange: &NACLPortRange{From: 1024, To: 65535}},
			}}},
		AccessKeys: map[string]*AccessKey{"AKIAROOT": {ID: "AKIAROOT", Secret: "root-secret", Root: true, Status: "Active"}},
	}
}

func TestNACLDescribe(t *testing.T) {
	s := startSim(t, naclState(), Options{})
	c := ec2.NewFromConfig(awsConfig(s, "AKIAROOT", "root-secret", ""))
	ctx := context.Background()

	out, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{ec2F("vpc-id", "vpc-0aa")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.NetworkAcls) != 2 {
		t.Fatalf("%d ACLs in vpc-0aa, want the default and the custom one", len(out.NetworkAcls))
	}
	byDefault := map[bool]types.NetworkAcl{}
	for _, a := range out.NetworkAcls {
		byDefault[aws.ToBool(a.IsDefault)] = a
		if aws.ToString(a.OwnerId) != "123456789012" || aws.ToString(a.VpcId) != "vpc-0aa" {
			t.Fatalf("owner/vpc: %+v", a)
		}
	}
	def, custom := byDefault[true], byDefault[false]
	if aws.ToString(custom.NetworkAclId) != "acl-0custom" || len(custom.Associations) != 1 ||
		aws.ToString(custom.Associations[0].SubnetId) != "subnet-0b" || aws.ToString(custom.Associations[0].NetworkAclId) != "acl-0custom" {
		t.Fatalf("custom ACL: %+v", custom)
	}
	if len(custom.Tags) != 1 || aws.ToString(custom.Tags[0].Value) != "strict" {
		t.Fatalf("custom tags: %+v", custom.Tags)
	}
	// Ingress first, then egress, each closed by the "*" rule.
	want := []struct {
		n        int32
		proto    string
		action   types.RuleAction
		egress   bool
		from, to int32
	}{
		{100, "6", "allow", false, 1024, 65535}, {32767, "-1", "deny", false, 0, 0},
		{100, "6", "allow", true, 443, 443}, {32767, "-1", "deny", true, 0, 0},
	}
	if len(custom.Entries) != len(want) {
		t.Fatalf("custom entries: %d, want %d", len(custom.Entries), len(want))
	}
	for i, w := range want {
		e := custom.Entries[i]
		if aws.ToInt32(e.RuleNumber) != w.n || aws.ToString(e.Protocol) != w.proto || e.RuleAction != w.action || aws.ToBool(e.Egress) != w.egress || aws.ToString(e.CidrBlock) != "0.0.0.0/0" {
			t.Fatalf("entry %d: %+v", i, e)
		}
		if (w.from != 0) != (e.PortRange != nil) || (e.PortRange != nil && (aws.ToInt32(e.PortRange.From) != w.from || aws.ToInt32(e.PortRange.To) != w.to)) {
			t.Fatalf("entry %d port range: %+v", i, e.PortRange)
		}
	}
	if len(def.Associations) != 1 || aws.ToString(def.Associations[0].SubnetId) != "subnet-0a" {
		t.Fatalf("default ACL takes the subnet without one: %+v", def.Associations)
	}
	if len(def.Entries) != 4 || aws.ToString(def.Entries[0].Protocol) != "-1" || def.Entries[0].RuleAction != "allow" || aws.ToInt32(def.Entries[0].RuleNumber) != 100 {
		t.Fatalf("default entries: %+v", def.Entries)
	}

	for _, tc := range []struct {
		f    types.Filter
		want string
	}{
		{ec2F("association.subnet-id", "subnet-0a"), aws.ToString(def.NetworkAclId)},
		{ec2F("association.subnet-id", "subnet-0b"), "acl-0custom"},
		{ec2F("default", "false"), "acl-0custom"},
		{ec2F("network-acl-id", "acl-0custom"), "acl-0custom"},
	} {
		got, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{tc.f}})
		if err != nil || len(got.NetworkAcls) != 1 || aws.ToString(got.NetworkAcls[0].NetworkAclId) != tc.want {
			t.Fatalf("filter %s=%v: %v %+v", aws.ToString(tc.f.Name), tc.f.Values, err, got)
		}
	}

	// Paged: one per page, the paginator walks both.
	p := ec2.NewDescribeNetworkAclsPaginator(c, &ec2.DescribeNetworkAclsInput{MaxResults: aws.Int32(5)})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.NetworkAcls)
	}
	if n != 2 {
		t.Fatalf("paged: %d ACLs", n)
	}
	_, err = c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{MaxResults: aws.Int32(4)})
	wantAPIError(t, err, "InvalidParameterValue", 400, "maxResults")
	_, err = c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{"acl-0nothere"}})
	wantAPIError(t, err, "InvalidNetworkAclID.NotFound", 400, "acl-0nothere")
}

// TestNACLNormalizeErrors: references are checked, naming the ACL.
func TestNACLNormalizeErrors(t *testing.T) {
	for name, mut := range map[string]func(*State){
		"unknown vpc":    func(st *State) { st.NetworkACLs["acl-0custom"].VpcID = "vpc-0zz" },
		"foreign subnet": func(st *State) { st.NetworkACLs["acl-0custom"].Subnets = []string{"subnet-0zz"} },
		"bad action":     func(st *State) { st.NetworkACLs["acl-0custom"].Entries[0].RuleAction = "maybe" },
		"bad cidr":       func(st *State) { st.NetworkACLs["acl-0custom"].Entries[0].CidrBlock = "nowhere" },
		"subnet twice": func(st *State) {
			st.NetworkACLs["acl-0other"] = &NetworkACL{VpcID: "vpc-0aa", Subnets: []string{"subnet-0b"}}
		},
	} {
		st := naclState()
		mut(st)
		err := st.Normalize()
		if err == nil || !containsStr(err.Error(), "network acl acl-0") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
