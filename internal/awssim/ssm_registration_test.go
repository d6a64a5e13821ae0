package awssim

import (
	"testing"
	"time"
)

// TestSSMRegistrationTable pins what Systems Manager reports for each case
// of the demo scenario, straight from the pure function.
func TestSSMRegistrationTable(t *testing.T) {
	st := ssmFixture()
	lastPing, _ := time.Parse(time.RFC3339, ssmLastPingFix)
	cases := []struct {
		id   string
		reg  bool
		ping string
		last time.Time
		why  string
	}{
		{idHealthy, true, "Online", ssmT0, "profile with AmazonSSMManagedInstanceCore, IGW route"},
		{idOldAgent, true, "Online", ssmT0, "an old agent still registers; only SSH needs 2.3.672.0"},
		{idNoProfile, false, "", time.Time{}, "no profile and IMDSv1, so DHMC cannot apply"},
		{idRoleNoSSM, false, "", time.Time{}, "role without ssm:UpdateInstanceInformation"},
		{idLegacy, true, "Online", ssmT0, "legacy AmazonEC2RoleforSSM still grants registration"},
		{idConnLost, true, "ConnectionLost", lastPing, "agent stopped pinging"},
		{idPrivate, false, "", time.Time{}, "private subnet without NAT or endpoints"},
		{idStopped, true, "ConnectionLost", lastPing, "stopped instance keeps its registration"},
		{idDHMC, true, "Online", ssmT0, "DHMC with IMDSv2 and agent 3.2.582.0"},
		{idDHMCv1, false, "", time.Time{}, "DHMC needs IMDSv2"},
		{idEndpoints, true, "Online", ssmT0, "ssm and ssmmessages interface endpoints with private DNS"},
		{idNoAgent, false, "", time.Time{}, "no agent"},
		{idInactive, true, "Inactive", lastPing, "agent reported Inactive"},
		{idHybrid, true, "Online", ssmT0, "hybrid node"},
	}
	for _, c := range cases {
		reg, ping, last := st.registration(st.Instances[c.id], ssmT0)
		if reg != c.reg || ping != c.ping || !last.Equal(c.last) {
			t.Errorf("%s (%s): got reg=%v ping=%q last=%v, want %v %q %v", c.id, c.why, reg, ping, last, c.reg, c.ping, c.last)
		}
	}
}

// TestSSMRegistrationChanges checks that fixing each cause registers the
// node: the facts the doctor's fixes rely on.
func TestSSMRegistrationChanges(t *testing.T) {
	st := ssmFixture()
	online := func(id string) bool { return st.online(st.Instances[id], ssmT0) }

	st.ServiceSettings["us-east-1"][settingDHMCRole] = "$None"
	if online(idDHMC) {
		t.Fatal("DHMC instance online with DHMC off")
	}
	st.Instances[idDHMC].Agent.Version = "3.2.500.0"
	st.ServiceSettings["us-east-1"][settingDHMCRole] = "service-role/X"
	if online(idDHMC) {
		t.Fatal("DHMC instance online with an agent older than 3.2.582.0")
	}

	// Extending the role (not replacing it) is enough.
	st.Roles["app"].AttachedPolicies = append(st.Roles["app"].AttachedPolicies, PolicySSMManagedInstanceCore)
	if !online(idRoleNoSSM) {
		t.Fatal("role extended with AmazonSSMManagedInstanceCore: still not online")
	}

	// A NAT route, then endpoints, each open the private subnet.
	rt := st.RouteTables["rtb-priv"]
	rt.Routes = append(rt.Routes, Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: "nat-1", State: "blackhole"})
	if online(idPrivate) {
		t.Fatal("blackhole NAT route counted")
	}
	rt.Routes[len(rt.Routes)-1].State = "active"
	if !online(idPrivate) {
		t.Fatal("NAT route not counted")
	}
	rt.Routes = rt.Routes[:1]
	st.VpcEndpoints["vpce-priv-ssm"] = &VpcEndpoint{ID: "vpce-priv-ssm", VpcID: "vpc-priv", Region: "us-east-1", ServiceName: "com.amazonaws.us-east-1.ssm", Type: "Interface", State: "available", PrivateDNSEnabled: true}
	if online(idPrivate) {
		t.Fatal("ssm endpoint alone counted; ssmmessages is needed too")
	}
	st.VpcEndpoints["vpce-priv-msg"] = &VpcEndpoint{ID: "vpce-priv-msg", VpcID: "vpc-priv", Region: "us-east-1", ServiceName: "com.amazonaws.us-east-1.ssmmessages", Type: "Interface", State: "available", PrivateDNSEnabled: false}
	if online(idPrivate) {
		t.Fatal("endpoint without private DNS counted")
	}
	st.VpcEndpoints["vpce-priv-msg"].PrivateDNSEnabled = true
	if !online(idPrivate) {
		t.Fatal("both endpoints with private DNS: not online")
	}

	// An association (as AssociateIamInstanceProfile makes) gives credentials.
	st.Associations["iip-assoc-1"] = &ProfileAssoc{ID: "iip-assoc-1", InstanceID: idNoProfile, ProfileArn: "arn:aws:iam::123456789012:instance-profile/prof-core", State: "associated"}
	if !online(idNoProfile) {
		t.Fatal("associated profile not used")
	}
}

// TestSSMRegistrationBoundary: the role's permissions boundary applies to
// registration as it does to IAM (one evaluation for both), and one that is missing or cannot be read
// allows nothing.
func TestSSMRegistrationBoundary(t *testing.T) {
	const bad = "arn:aws:iam::123456789012:policy/unreadable"
	for _, c := range []struct {
		boundary string
		want     bool
	}{
		{"", true},
		{PolicySSMManagedInstanceCore, true},
		{PolicyReadOnlyAccess, false},
		{"arn:aws:iam::123456789012:policy/missing", false},
		{bad, false},
	} {
		st := ssmFixture()
		st.Policies[bad] = &ManagedPolicy{Arn: bad, Name: "unreadable", DefaultVersionID: "v1", Versions: []PolicyVersion{{VersionID: "v1", Document: "{not json"}}}
		st.Roles["ssm-core"].PermissionBoundary = c.boundary
		if got := st.online(st.Instances[idHealthy], ssmT0); got != c.want {
			t.Errorf("boundary %q: online=%v, want %v", c.boundary, got, c.want)
		}
		if got := startSim(t, st, Options{}).RoleAllows("ssm-core", "ssm:UpdateInstanceInformation", "*"); got != c.want {
			t.Errorf("boundary %q: RoleAllows=%v, want %v", c.boundary, got, c.want)
		}
	}
}

func TestSSMVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		v, min string
		want   bool
	}{
		{"3.2.582.0", "3.2.582.0", true}, {"3.2.1000.0", "3.2.582.0", true}, {"3.2.581.9", "3.2.582.0", false},
		{"10.0.0.0", "3.2.582.0", true}, {"2.3.672.0", "2.3.672.0", true}, {"", "2.3.672.0", false}, {"x.1", "1.0", false},
	} {
		if got := versionAtLeast(c.v, c.min); got != c.want {
			t.Errorf("versionAtLeast(%q, %q) = %v", c.v, c.min, got)
		}
	}
}
