package awssim

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Demo resources the network cases change.
const (
	netVPC       = "vpc-0a11600d000000001"
	netInstSG    = "sg-0a11600d000000001" // every demo instance's group
	netEndpSG    = "sg-0a11600d000000002" // the demo endpoints' group
	netPrivInst  = "i-0a11600d00000000a"  // private subnet 10.0.2.0/24, endpoints only
	netPubInst   = "i-0a11600d000000001"  // public subnet, internet gateway
	netPrivTable = "rtb-0a11600d000000002"
	netPubSubnet = "subnet-0a11600d000000001"
)

// netCase is a change to the demo account and what then stops the
// instance it names from reaching Systems Manager ("": nothing, Online).
type netCase struct {
	name    string
	inst    string
	change  func(st *State)
	problem string
}

// Online is the case's expected status.
func (c netCase) Online() bool { return c.problem == "" }

func rule443(cidrs ...string) SGRule {
	return SGRule{Protocol: "tcp", FromPort: 443, ToPort: 443, Cidrs: cidrs}
}

// noEndpoints leaves the demo VPC to its internet gateway.
func noEndpoints(st *State) {
	for id, ep := range st.VpcEndpoints {
		if ep.VpcID == netVPC {
			delete(st.VpcEndpoints, id)
		}
	}
}

// noPublicIP takes the public instance's address away, and the subnet's
// mapping too, which would otherwise hand it one back on load.
func noPublicIP(st *State) {
	st.Subnets[netPubSubnet].MapPublicIPOnLaunch = false
	st.Instances[netPubInst].PublicIP = ""
}

// natRoute gives the private subnet a way out through a NAT gateway.
func natRoute(st *State) {
	rt := st.RouteTables[netPrivTable]
	rt.Routes = append(rt.Routes, Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: "nat-0a11600d000000001"})
}

func addEndpoint(st *State, svc string) {
	st.VpcEndpoints["vpce-0a11600d0000000e"+svc[:1]] = &VpcEndpoint{ID: "vpce-0a11600d0000000e" + svc[:1], VpcID: netVPC,
		ServiceName: "com.amazonaws.us-east-1." + svc, Type: "Interface", State: "available", PrivateDNSEnabled: true,
		SubnetIDs: []string{"subnet-0a11600d000000002"}, SecurityGroupIDs: []string{netEndpSG}}
}

var netCases = []netCase{
	{"endpoints: demo as shipped", netPrivInst, func(*State) {}, ""},
	{"endpoints: instance group has no egress rules", netPrivInst, func(st *State) { st.SecurityGroups[netInstSG].Egress = nil }, "ssm: the instance's security groups allow no outbound TCP 443 to endpoint"},
	{"endpoints: instance egress only TCP 80", netPrivInst, func(st *State) {
		st.SecurityGroups[netInstSG].Egress = []SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, Cidrs: []string{"0.0.0.0/0"}}}
	}, "allow no outbound TCP 443 to endpoint"},
	{"endpoints: instance egress TCP 443 anywhere", netPrivInst, func(st *State) { st.SecurityGroups[netInstSG].Egress = []SGRule{rule443("0.0.0.0/0")} }, ""},
	{"endpoints: instance egress TCP 443 to the endpoint group", netPrivInst, func(st *State) {
		st.SecurityGroups[netInstSG].Egress = []SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, Groups: []string{netEndpSG}}}
	}, ""},
	{"endpoint group admits 443 by CIDR", netPrivInst, func(st *State) { st.SecurityGroups[netEndpSG].Ingress = []SGRule{rule443("10.0.2.0/24")} }, ""},
	{"endpoint group admits all traffic from the instance group", netPrivInst, func(st *State) {
		st.SecurityGroups[netEndpSG].Ingress = []SGRule{{Protocol: "-1", Groups: []string{netInstSG}}}
	}, ""},
	{"endpoint group admits 443 from another CIDR", netPrivInst, func(st *State) { st.SecurityGroups[netEndpSG].Ingress = []SGRule{rule443("10.0.1.0/24")} }, "ssm: no security group of endpoint vpce-0a11600d000000001 admits TCP 443"},
	{"endpoint group admits only 22 from the instance group", netPrivInst, func(st *State) {
		st.SecurityGroups[netEndpSG].Ingress = []SGRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, Groups: []string{netInstSG}}}
	}, "admits TCP 443"},
	{"endpoint group admits nothing", netPrivInst, func(st *State) { st.SecurityGroups[netEndpSG].Ingress = nil }, "admits TCP 443"},
	{"VPC DNS support off", netPrivInst, func(st *State) { st.VPCs[netVPC].EnableDNSSupport = false }, "ssm: no interface endpoint with private DNS in a VPC with DNS on, and no default route"},
	{"VPC DNS hostnames off", netPrivInst, func(st *State) { st.VPCs[netVPC].EnableDNSHostnames = false }, "ssm: no interface endpoint with private DNS in a VPC with DNS on"},
	{"endpoint private DNS off", netPrivInst, func(st *State) {
		for _, ep := range st.VpcEndpoints {
			ep.PrivateDNSEnabled = false
		}
	}, "ssm: no interface endpoint"},
	{"agent 3.3.39.0 without an ec2messages endpoint", netPrivInst, func(st *State) { st.Instances[netPrivInst].Agent.Version = "3.3.39.0" }, "ec2messages: no interface endpoint"},
	{"agent 3.3.39.0 with an ec2messages endpoint", netPrivInst, func(st *State) {
		st.Instances[netPrivInst].Agent.Version = "3.3.39.0"
		addEndpoint(st, "ec2messages")
	}, ""},
	{"agent 3.3.40.0 without an ec2messages endpoint", netPrivInst, func(st *State) { st.Instances[netPrivInst].Agent.Version = "3.3.40.0" }, ""},
	{"internet gateway: demo without endpoints", netPubInst, noEndpoints, ""},
	{"internet gateway: instance group has no egress rules", netPubInst, func(st *State) {
		noEndpoints(st)
		st.SecurityGroups[netInstSG].Egress = nil
	}, "ssm: the instance's security groups allow no outbound TCP 443 to the internet"},
	{"internet gateway: instance egress only TCP 80", netPubInst, func(st *State) {
		noEndpoints(st)
		st.SecurityGroups[netInstSG].Egress = []SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, Cidrs: []string{"0.0.0.0/0"}}}
	}, "allow no outbound TCP 443 to the internet"},
	{"internet gateway: VPC DNS off makes the agent use the public names", netPubInst, func(st *State) { st.VPCs[netVPC].EnableDNSSupport = false }, ""},
	{"internet gateway: old agent reaches public ec2messages", netPubInst, func(st *State) {
		noEndpoints(st)
		st.Instances[netPubInst].Agent.Version = "3.3.39.0"
	}, ""},
	{"internet gateway: egress 443 only inside the VPC", netPubInst, func(st *State) {
		noEndpoints(st)
		st.SecurityGroups[netInstSG].Egress = []SGRule{rule443("10.0.0.0/16")}
	}, "allow no outbound TCP 443 to the internet"},
	{"endpoints: egress 443 only to the public subnet", netPrivInst, func(st *State) {
		st.SecurityGroups[netInstSG].Egress = []SGRule{rule443("10.0.1.0/24")}
	}, "allow no outbound TCP 443 to endpoint"},
	{"internet gateway: endpoint group admits nothing, private DNS still wins", netPubInst, func(st *State) { st.SecurityGroups[netEndpSG].Ingress = nil }, "ssm: no security group of endpoint"},
	{"NAT gateway: endpoint group admits nothing, private DNS still wins", netPrivInst, func(st *State) {
		natRoute(st)
		st.SecurityGroups[netEndpSG].Ingress = nil
	}, "ssm: no security group of endpoint"},
	// An internet gateway serves only instances with a public address.
	{"internet gateway: no public IPv4 address", netPubInst, func(st *State) {
		noEndpoints(st)
		noPublicIP(st)
	}, "ssm: no interface endpoint with private DNS in a VPC with DNS on, and no public IPv4 address on the instance for its default route to internet gateway igw-0a11600d000000001"},
	{"internet gateway: address given by hand (an Elastic IP), subnet maps none", netPubInst, func(st *State) {
		noEndpoints(st)
		noPublicIP(st)
		st.Instances[netPubInst].PublicIP = "3.80.7.7"
	}, ""},
	{"internet gateway: no public address, endpoints carry the agent", netPubInst, noPublicIP, ""},
	{"internet gateway: no public address, old agent's ec2messages has no way out", netPubInst, func(st *State) {
		noPublicIP(st)
		st.Instances[netPubInst].Agent.Version = "3.3.39.0"
	}, "ec2messages: no interface endpoint with private DNS in a VPC with DNS on, and no public IPv4 address"},
	{"NAT gateway: no endpoints, no public address needed", netPrivInst, func(st *State) {
		noEndpoints(st)
		natRoute(st)
	}, ""},
	{"NACL internet: a custom ACL as open as the default", netPubInst, igwACL(naclAllowAll(false), naclAllowAll(true)), ""},
	{"NACL internet: outbound 443 denied", netPubInst, igwACL(naclAllowAll(false),
		naclTCP(90, "deny", true, "0.0.0.0/0", 443, 443), naclAllowAll(true)), "ssm: network ACL acl-0test denies outbound TCP 443 to 0.0.0.0/0 (rule 90)"},
	{"NACL internet: inbound ephemeral not allowed", netPubInst, igwACL(
		naclTCP(100, "allow", false, "0.0.0.0/0", 22, 22), naclAllowAll(true)), "denies inbound TCP 1024-65535 from 0.0.0.0/0 (rule *)"},
	{"NACL internet: a deny numbered below the allow wins", netPubInst, igwACL(naclAllowAll(false),
		NACLEntry{RuleNumber: 50, Protocol: "-1", RuleAction: "deny", Egress: true, CidrBlock: "0.0.0.0/0"}, naclAllowAll(true)), "denies outbound TCP 443 to 0.0.0.0/0 (rule 50)"},
	{"NACL internet: an allow numbered below the deny wins", netPubInst, igwACL(
		naclTCP(100, "allow", false, "0.0.0.0/0", 1024, 65535),
		naclTCP(50, "allow", true, "0.0.0.0/0", 443, 443), NACLEntry{RuleNumber: 100, Protocol: "-1", RuleAction: "deny", Egress: true, CidrBlock: "0.0.0.0/0"}), ""},
	{"NACL internet: part of the ephemeral range denied", netPubInst, igwACL(
		naclTCP(10, "deny", false, "0.0.0.0/0", 5000, 6000), naclAllowAll(false), naclAllowAll(true)), "denies inbound TCP 1024-65535 from 0.0.0.0/0 (rule 10)"},
	{"NACL internet: ephemeral range allowed in two halves", netPubInst, igwACL(
		naclTCP(100, "allow", false, "0.0.0.0/0", 1024, 32767), naclTCP(110, "allow", false, "0.0.0.0/0", 32768, 65535), naclAllowAll(true)), ""},
	{"NACL internet: 443 allowed to one public block only", netPubInst, igwACL(naclAllowAll(false),
		naclTCP(100, "allow", true, "52.0.0.0/8", 443, 443)), "denies outbound TCP 443 to 0.0.0.0/0 (rule *)"},
	{"NACL internet: a deny for one public address does not close the path", netPubInst, igwACL(naclAllowAll(false),
		naclTCP(10, "deny", true, "203.0.113.7/32", 443, 443), naclAllowAll(true)), ""},
	{"NACL internet: UDP rules do not carry TCP", netPubInst, igwACL(naclAllowAll(false),
		NACLEntry{RuleNumber: 100, Protocol: "17", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0", PortRange: &NACLPortRange{From: 0, To: 65535}}), "denies outbound TCP 443 to 0.0.0.0/0 (rule *)"},
	{"NACL endpoints: instance subnet denies 443 to the VPC", netPubInst, withACL(netPubSubnet, false, naclAllowAll(false),
		naclTCP(10, "deny", true, "10.0.0.0/16", 443, 443), naclAllowAll(true)), "ssm: network ACL acl-0test denies outbound TCP 443 to 10.0.2.0/24 (rule 10)"},
	{"NACL endpoints: endpoint subnet denies 443 from the instance", netPubInst, withACL(netEndpSubnet, false,
		naclTCP(10, "deny", false, "10.0.1.0/24", 443, 443), naclAllowAll(false), naclAllowAll(true)), "ssm: network ACL acl-0test of the endpoint's subnet denies inbound TCP 443 from the instance (rule 10)"},
	{"NACL endpoints: endpoint subnet sends no replies", netPubInst, withACL(netEndpSubnet, false, naclAllowAll(false),
		naclTCP(100, "allow", true, "0.0.0.0/0", 443, 443)), "of the endpoint's subnet denies outbound TCP 1024-65535 to the instance (rule *)"},
	{"NACL endpoints: an interface in the instance's own subnet crosses no ACL", netPrivInst, withACL(netEndpSubnet, false), ""},
	{"NACL endpoints: the default ACL itself denies everything", netPubInst, withACL(netPubSubnet, true), "ssm: network ACL acl-0test denies outbound TCP 443 to 10.0.2.0/24 (rule *)"},
	// The instance side is judged against the endpoint subnets' blocks,
	// where the interfaces take their addresses, not the whole VPC's.
	{"NACL endpoints: 443 out and replies in only for the endpoint subnet", netPubInst, withACL(netPubSubnet, false,
		naclTCP(100, "allow", true, "10.0.2.0/24", 443, 443), naclTCP(100, "allow", false, "10.0.2.0/24", 1024, 65535)), ""},
	{"NACL endpoints: 443 out and replies in only for an unrelated block", netPubInst, withACL(netPubSubnet, false,
		naclTCP(100, "allow", true, "10.0.3.0/24", 443, 443), naclTCP(100, "allow", false, "10.0.3.0/24", 1024, 65535)),
		"ssm: network ACL acl-0test denies outbound TCP 443 to 10.0.2.0/24 (rule *)"},
	{"NACL endpoints: 443 out to the endpoint subnet, replies in only from elsewhere", netPubInst, withACL(netPubSubnet, false,
		naclTCP(100, "allow", true, "10.0.2.0/24", 443, 443), naclTCP(100, "allow", false, "10.0.3.0/24", 1024, 65535)),
		"denies inbound TCP 1024-65535 from 10.0.2.0/24 (rule *)"},
	{"NACL endpoints: a second endpoint subnet reachable both ways is enough", netPubInst, func(st *State) {
		secondEndpointSubnet(st)
		withACL(netPubSubnet, false, naclTCP(100, "allow", true, "10.0.3.0/24", 443, 443), naclTCP(100, "allow", false, "10.0.3.0/24", 1024, 65535))(st)
	}, ""},
	{"NACL endpoints: one subnet open on the instance side, the other on the endpoint side, neither both ways", netPubInst, func(st *State) {
		secondEndpointSubnet(st)
		withACL(netPubSubnet, false, naclTCP(100, "allow", true, "10.0.2.0/24", 443, 443), naclTCP(100, "allow", false, "10.0.2.0/24", 1024, 65535))(st)
		st.NetworkACLs["acl-0test2"] = &NetworkACL{VpcID: netVPC, Subnets: []string{netEndpSubnet}}
	}, "ssm: network ACL acl-0test2 of the endpoint's subnet denies inbound TCP 443 from the instance (rule *)"},
	{"endpoints: egress 443 only to the endpoint subnet", netPubInst, func(st *State) {
		st.SecurityGroups[netInstSG].Egress = []SGRule{rule443("10.0.2.0/24")}
	}, ""},
	{"endpoints: egress 443 only to an unrelated block", netPubInst, func(st *State) {
		st.SecurityGroups[netInstSG].Egress = []SGRule{rule443("10.0.3.0/24")}
	}, "ssm: the instance's security groups allow no outbound TCP 443 to endpoint"},
}

const netEndpSubnet = "subnet-0a11600d000000002"

// secondEndpointSubnet puts the demo endpoints in a second subnet,
// 10.0.3.0/24, as well.
func secondEndpointSubnet(st *State) {
	st.Subnets["subnet-0a11600d000000003"] = &Subnet{ID: "subnet-0a11600d000000003", VpcID: netVPC, CidrBlock: "10.0.3.0/24",
		AvailabilityZone: st.Subnets[netEndpSubnet].AvailabilityZone, Region: st.Subnets[netEndpSubnet].Region}
	for _, ep := range st.VpcEndpoints {
		if ep.VpcID == netVPC {
			ep.SubnetIDs = append(ep.SubnetIDs, "subnet-0a11600d000000003")
		}
	}
}

// withACL gives subnet a network ACL of entries (the "*" rules are added
// on load). def replaces the VPC's default ACL instead.
func withACL(subnet string, def bool, entries ...NACLEntry) func(*State) {
	return func(st *State) {
		if def {
			for id, a := range st.NetworkACLs {
				if a.VpcID == netVPC && a.IsDefault {
					delete(st.NetworkACLs, id)
				}
			}
		}
		if st.NetworkACLs == nil {
			st.NetworkACLs = map[string]*NetworkACL{}
		}
		st.NetworkACLs["acl-0test"] = &NetworkACL{VpcID: netVPC, IsDefault: def, Subnets: []string{subnet}, Entries: entries}
	}
}

// igwACL leaves the public instance to its internet gateway behind an
// ACL of entries.
func igwACL(entries ...NACLEntry) func(*State) {
	return func(st *State) {
		noEndpoints(st)
		withACL(netPubSubnet, false, entries...)(st)
	}
}

func naclAllowAll(egress bool) NACLEntry {
	return NACLEntry{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: egress, CidrBlock: "0.0.0.0/0"}
}

func naclTCP(n int, action string, egress bool, cidr string, from, to int) NACLEntry {
	return NACLEntry{RuleNumber: n, Protocol: "6", RuleAction: action, Egress: egress, CidrBlock: cidr, PortRange: &NACLPortRange{From: from, To: to}}
}

// netCasesSimOnly are states where the instance-network check judges
// otherwise. None is left: both require a public address behind an
// internet gateway.
var netCasesSimOnly []netCase

// TestNetRegistrationPingStatus: for each network state the simulator
// lists the instance Online, or not at all, through the SDK's
// DescribeInstanceInformation.
func TestNetRegistrationPingStatus(t *testing.T) {
	for _, c := range append(append([]netCase(nil), netCases...), netCasesSimOnly...) {
		t.Run(c.name, func(t *testing.T) {
			st := DemoScenario()
			c.change(st)
			s := startSim(t, st, Options{})
			client := ssm.NewFromConfig(awsConfig(s, DemoAccessKey, DemoSecretKey, ""))
			out, err := client.DescribeInstanceInformation(context.Background(), &ssm.DescribeInstanceInformationInput{
				Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: []string{c.inst}}}})
			if err != nil {
				t.Fatalf("DescribeInstanceInformation: %v", err)
			}
			online := len(out.InstanceInformationList) == 1 && out.InstanceInformationList[0].PingStatus == ssmtypes.PingStatusOnline
			if online != c.Online() {
				t.Errorf("online=%v (%d entries), want %v", online, len(out.InstanceInformationList), c.Online())
			}
			if !c.Online() && len(out.InstanceInformationList) != 0 {
				t.Errorf("an instance that cannot reach Systems Manager is listed: %+v", out.InstanceInformationList[0])
			}
			// The simulator normalised st; its verdict must be for the
			// expected reason, not another one the change tripped.
			if got := st.ssmPathProblem(st.Instances[c.inst]); (got == "") != c.Online() || !strings.Contains(got, c.problem) {
				t.Errorf("path problem %q, want one containing %q", got, c.problem)
			}
		})
	}
}

// TestNetPathProblemNamesTheCause: the reason names the service and the
// failing element, so a failing table case says which rule it tripped.
func TestNetPathProblemNamesTheCause(t *testing.T) {
	for _, c := range []struct {
		change func(st *State)
		inst   string
		want   string
	}{
		{func(st *State) { st.SecurityGroups[netEndpSG].Ingress = nil }, netPrivInst, "ssm: no security group of endpoint vpce-0a11600d000000001 admits TCP 443"},
		{func(st *State) { st.SecurityGroups[netInstSG].Egress = nil }, netPrivInst, "ssm: the instance's security groups allow no outbound TCP 443 to endpoint"},
		{func(st *State) { st.Instances[netPrivInst].Agent.Version = "3.0.0.0" }, netPrivInst, "ec2messages: no interface endpoint"},
		{func(st *State) { noEndpoints(st); st.SecurityGroups[netInstSG].Egress = nil }, netPubInst, "ssm: the instance's security groups allow no outbound TCP 443 to the internet"},
		{func(st *State) { noEndpoints(st); noPublicIP(st) }, netPubInst, "ssm: no interface endpoint with private DNS in a VPC with DNS on, and no public IPv4 address on the instance for its default route to internet gateway igw-0a11600d000000001"},
		{func(*State) {}, netPrivInst, ""},
	} {
		st := DemoScenario()
		c.change(st)
		if err := st.Normalize(); err != nil {
			t.Fatal(err)
		}
		got := st.ssmPathProblem(st.Instances[c.inst])
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: problem %q, want one containing %q", c.inst, got, c.want)
		}
	}
}

// TestNetDefaultGroups: an instance or endpoint given no group gets its
// VPC's default one (all traffic from itself in, everything out), as EC2
// attaches; a state with no groups at all does not block.
func TestNetDefaultGroups(t *testing.T) {
	st := DemoScenario()
	st.Instances[netPrivInst].SecurityGroupIDs = nil
	for _, ep := range st.VpcEndpoints {
		ep.SecurityGroupIDs = nil
	}
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	def := st.defaultSGOf(netVPC)
	if got := st.Instances[netPrivInst].SecurityGroupIDs; len(got) != 1 || got[0] != def {
		t.Fatalf("instance groups %v, want the default %s", got, def)
	}
	if p := st.ssmPathProblem(st.Instances[netPrivInst]); p != "" {
		t.Fatalf("default groups on both sides: %s", p)
	}
	st.SecurityGroups[def].Ingress = nil
	if p := st.ssmPathProblem(st.Instances[netPrivInst]); !strings.Contains(p, "admits TCP 443") {
		t.Fatalf("default endpoint group without ingress: problem %q", p)
	}

	bare := &State{
		VPCs:         map[string]*VPC{"vpc-1": {ID: "vpc-1", CidrBlock: "10.9.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true}},
		Subnets:      map[string]*Subnet{"subnet-1": {ID: "subnet-1", VpcID: "vpc-1", CidrBlock: "10.9.0.0/24"}},
		RouteTables:  map[string]*RouteTable{"rtb-1": {ID: "rtb-1", VpcID: "vpc-1", Main: true, Routes: []Route{{DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-1"}}}},
		VpcEndpoints: map[string]*VpcEndpoint{},
	}
	inst := &Instance{ID: "i-1", Region: "us-east-1", VpcID: "vpc-1", SubnetID: "subnet-1", PublicIP: "3.80.9.9", Agent: Agent{Installed: true, Version: LatestAgentVersion}}
	if p := bare.ssmPathProblem(inst); p != "" {
		t.Fatalf("no groups modelled: %s", p)
	}
}

// TestNetCreatedGroupAllowsEgress: CreateSecurityGroup gives the group
// AWS's allow-all egress rule, so a group a fix creates lets the agent out.
func TestNetCreatedGroupAllowsEgress(t *testing.T) {
	s := startSim(t, DemoScenario(), Options{})
	c := ec2.NewFromConfig(awsConfig(s, DemoAccessKey, DemoSecretKey, ""))
	ctx := context.Background()
	created, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("net-test"), Description: aws.String("net test"), VpcId: aws.String(netVPC)})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(created.GroupId)}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	eg := out.SecurityGroups[0].IpPermissionsEgress
	if len(eg) != 1 || aws.ToString(eg[0].IpProtocol) != "-1" || len(eg[0].IpRanges) != 1 || aws.ToString(eg[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Fatalf("created group egress: %+v", eg)
	}
}
