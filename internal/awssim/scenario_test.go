package awssim

import (
	"regexp"
	"strings"
	"testing"
)

func TestScenarioDemoLoadsWithEveryCase(t *testing.T) {
	st, err := LoadScenario("testdata/demo.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	want := []string{"healthy", "old-agent", "no-instance-profile", "role-without-ssm", "legacy-role",
		"connection-lost", "private-no-endpoints", "stopped", "hybrid-standard-tier", "dhmc-managed", "private-with-endpoints"}
	got := map[string]string{}
	idRe := regexp.MustCompile(`^(i-[0-9a-f]{17}|mi-[0-9a-f]{17})$`)
	for id, inst := range st.Instances {
		if !idRe.MatchString(id) {
			t.Errorf("instance id %s is not AWS-shaped", id)
		}
		var name, scen, desc string
		for _, tg := range inst.Tags {
			switch tg.Key {
			case "Name":
				name = tg.Value
			case "Scenario":
				scen = tg.Value
			case "Description":
				desc = tg.Value
			}
		}
		if name == "" || scen == "" || desc == "" {
			t.Errorf("instance %s lacks a Name, Scenario or Description tag", id)
		}
		if prev, dup := got[scen]; dup {
			t.Errorf("scenario %s on both %s and %s", scen, prev, id)
		}
		got[scen] = id
	}
	for _, w := range want {
		if got[w] == "" {
			t.Errorf("no instance tagged Scenario=%s", w)
		}
	}
	for _, u := range []string{"alice", "bob", "carol", "dave", "demo-admin"} {
		if st.Users[u] == nil {
			t.Errorf("user %s missing", u)
			continue
		}
		found := false
		for _, k := range st.AccessKeys {
			if k.UserName == u && strings.HasPrefix(k.ID, "AKIA") && k.Status == "Active" && k.Secret != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("user %s has no active AKIA key", u)
		}
	}
	if k := st.AccessKeys[DemoAccessKey]; k == nil || k.Secret != DemoSecretKey || k.UserName != "demo-admin" {
		t.Errorf("DemoAccessKey does not match the scenario's admin key")
	}
	// The derived state the other areas rely on.
	h := st.Instances[got["healthy"]]
	if h.PrivateDNS != "ip-10-0-1-10.ec2.internal" || h.VpcID != "vpc-0a11600d000000001" || h.PublicIP == "" {
		t.Errorf("healthy instance not completed: dns %q vpc %q public %q", h.PrivateDNS, h.VpcID, h.PublicIP)
	}
	if _, ok := h.Ports["22"]; !ok {
		t.Errorf("healthy instance has no port 22 slot for a test sshd")
	}
	if a := assocOf(st, got["healthy"]); a == nil || !strings.HasSuffix(a.ProfileArn, ":instance-profile/SSMInstanceProfile") || a.State != "associated" {
		t.Errorf("healthy instance association = %+v", a)
	}
	for _, scen := range []string{"no-instance-profile", "dhmc-managed"} {
		if a := assocOf(st, got[scen]); a != nil {
			t.Errorf("%s has association %+v", scen, a)
		}
	}
	if st.Instances[got["no-instance-profile"]].Metadata.HTTPTokens != "optional" || st.Instances[got["dhmc-managed"]].Metadata.HTTPTokens != "required" {
		t.Errorf("DHMC cases need IMDSv1 (no profile) and IMDSv2 (dhmc)")
	}
	if st.ServiceSettings["us-east-1"]["/ssm/managed-instance/activation-tier"] != "standard" {
		t.Errorf("hybrid tier is not standard")
	}
}

func assocOf(st *State, id string) *ProfileAssoc {
	for _, a := range st.Associations {
		if a.InstanceID == id {
			return a
		}
	}
	return nil
}

func TestScenarioDemoEmbeddedIsFreshCopy(t *testing.T) {
	a, b := DemoScenario(), DemoScenario()
	a.Users["alice"].Name = "changed"
	if b.Users["alice"].Name != "alice" {
		t.Fatal("DemoScenario shares state between calls")
	}
	if len(b.Instances) != 13 {
		t.Fatalf("demo has %d instances, want 13", len(b.Instances))
	}
}

func TestScenarioNormalizeDefaultsAndIdempotence(t *testing.T) {
	st := &State{
		Roles:           map[string]*Role{"r": {}},
		InstanceProfile: map[string]*InstanceProfile{"p": {Roles: []string{"r"}}},
		Users:           map[string]*User{"u": {}},
		AccessKeys:      map[string]*AccessKey{"AKIAU": {Secret: "s", UserName: "u"}},
		Instances:       map[string]*Instance{"i-0123456789abcdef0": {InstanceProfileName: "p"}, "i-0123456789abcdef1": {Region: "eu-west-1"}},
	}
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	i0 := st.Instances["i-0123456789abcdef0"]
	if i0.Region != "us-east-1" || i0.State != "running" || i0.SubnetID == "" || i0.VpcID == "" || len(i0.SecurityGroupIDs) != 1 {
		t.Fatalf("instance defaults: %+v", i0)
	}
	if !strings.HasPrefix(i0.PrivateIP, "172.31.") || i0.PrivateDNS != privateDNSName(i0.PrivateIP, "us-east-1") || !strings.HasSuffix(i0.PrivateDNS, ".ec2.internal") {
		t.Fatalf("address %q dns %q", i0.PrivateIP, i0.PrivateDNS)
	}
	i1 := st.Instances["i-0123456789abcdef1"]
	if !strings.HasSuffix(i1.PrivateDNS, ".eu-west-1.compute.internal") || st.Subnets[i1.SubnetID].Region != "eu-west-1" {
		t.Fatalf("eu instance: %+v", i1)
	}
	if sg := st.SecurityGroups[i0.SecurityGroupIDs[0]]; sg.Name != "default" {
		t.Fatalf("default SG: %+v", sg)
	}
	if !regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(st.Roles["r"].ID) ||
		!regexp.MustCompile(`^AIPA[A-Z2-7]{17}$`).MatchString(st.InstanceProfile["p"].ID) ||
		!regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(st.Users["u"].ID) {
		t.Fatalf("ids: %s %s %s", st.Roles["r"].ID, st.InstanceProfile["p"].ID, st.Users["u"].ID)
	}
	if st.AccessKeys["AKIAU"].Status != "Active" {
		t.Fatal("key status")
	}
	if a := assocOf(st, "i-0123456789abcdef0"); a == nil || a.ProfileID != st.InstanceProfile["p"].ID {
		t.Fatalf("association %+v", a)
	}
	nAssoc, nVPC, nSG := len(st.Associations), len(st.VPCs), len(st.SecurityGroups)
	roleID := st.Roles["r"].ID
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	if len(st.Associations) != nAssoc || len(st.VPCs) != nVPC || len(st.SecurityGroups) != nSG || st.Roles["r"].ID != roleID {
		t.Fatal("Normalize is not idempotent")
	}
	again := &State{Roles: map[string]*Role{"r": {}}}
	again.Normalize()
	if again.Roles["r"].ID != roleID {
		t.Fatal("role id is not deterministic")
	}
}

func TestScenarioNormalizeNamesTheBadResource(t *testing.T) {
	cases := []struct {
		st   *State
		want string
	}{
		{&State{Instances: map[string]*Instance{"i-x": {SubnetID: "subnet-y"}}}, "scenario: instance i-x: subnet subnet-y does not exist"},
		{&State{Instances: map[string]*Instance{"i-x": {InstanceProfileName: "nope"}}}, "scenario: instance i-x: instance profile nope does not exist"},
		{&State{InstanceProfile: map[string]*InstanceProfile{"p": {Roles: []string{"ghost"}}}}, "scenario: instance profile p: role ghost does not exist"},
		{&State{AccessKeys: map[string]*AccessKey{"AKIAX": {Secret: "s", UserName: "ghost"}}}, "scenario: access key AKIAX: user ghost does not exist"},
		{&State{Users: map[string]*User{"u": {Groups: []string{"g"}}}}, "scenario: user u: group g does not exist"},
		{&State{Subnets: map[string]*Subnet{"subnet-a": {VpcID: "vpc-z", CidrBlock: "10.0.0.0/24"}}}, "scenario: subnet subnet-a: vpc vpc-z does not exist"},
	}
	for _, c := range cases {
		err := c.st.Normalize()
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
