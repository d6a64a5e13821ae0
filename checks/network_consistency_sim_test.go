package checks

import (
	"context"
	"testing"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// Demo resources the network states change.
const (
	ncVPC      = "vpc-0a11600d000000001"
	ncInstSG   = "sg-0a11600d000000001" // every demo instance's group
	ncEndpSG   = "sg-0a11600d000000002" // the demo endpoints' group
	ncPrivInst = "i-0a11600d00000000a"  // private subnet, endpoints only
	ncPubInst  = "i-0a11600d000000001"  // public subnet, internet gateway
)

func ncRule443(cidr string) awssim.SGRule {
	return awssim.SGRule{Protocol: "tcp", FromPort: 443, ToPort: 443, Cidrs: []string{cidr}}
}

// ncNATRoute gives the private subnet a way out through a NAT gateway.
func ncNATRoute(st *awssim.State) {
	rt := st.RouteTables["rtb-0a11600d000000002"]
	rt.Routes = append(rt.Routes, awssim.Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: "nat-0a11600d000000001"})
}

// ncNoPublicIP takes the public instance's address away, and its subnet's
// mapping, which would hand it one back when the simulator loads.
func ncNoPublicIP(st *awssim.State) {
	st.Subnets["subnet-0a11600d000000001"].MapPublicIPOnLaunch = false
	st.Instances[ncPubInst].PublicIP = ""
}

const (
	ncPubSubnet  = "subnet-0a11600d000000001"
	ncEndpSubnet = "subnet-0a11600d000000002" // the demo endpoints' and the private instance's
)

// ncACL gives subnet its own network ACL of entries ("*" rules are added
// when the simulator loads).
func ncACL(subnet string, entries ...awssim.NACLEntry) func(*awssim.State) {
	return func(st *awssim.State) {
		if st.NetworkACLs == nil {
			st.NetworkACLs = map[string]*awssim.NetworkACL{}
		}
		st.NetworkACLs["acl-0test"] = &awssim.NetworkACL{VpcID: ncVPC, Subnets: []string{subnet}, Entries: entries}
	}
}

// ncIGWACL leaves the public instance to its internet gateway, behind an
// ACL of entries.
func ncIGWACL(entries ...awssim.NACLEntry) func(*awssim.State) {
	return func(st *awssim.State) {
		ncNoEndpoints(st)
		ncACL(ncPubSubnet, entries...)(st)
	}
}

func ncAllowAll(egress bool) awssim.NACLEntry {
	return awssim.NACLEntry{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: egress, CidrBlock: "0.0.0.0/0"}
}

func ncTCP(n int, action string, egress bool, cidr string, from, to int) awssim.NACLEntry {
	return awssim.NACLEntry{RuleNumber: n, Protocol: "6", RuleAction: action, Egress: egress, CidrBlock: cidr, PortRange: &awssim.NACLPortRange{From: from, To: to}}
}

func ncNoEndpoints(st *awssim.State) {
	for id, ep := range st.VpcEndpoints {
		if ep.VpcID == ncVPC {
			delete(st.VpcEndpoints, id)
		}
	}
}

// TestSimNetworkVerdictMatchesRegistration: in every network state the
// instance-network check passes exactly when the simulated agent (whose
// role is healthy) is Online, and both give the expected answer. States
// where the two are known to differ are listed in awssim's
// netCasesSimOnly (none is left).
func TestSimNetworkVerdictMatchesRegistration(t *testing.T) {
	for _, c := range []struct {
		name   string
		inst   string
		change func(st *awssim.State)
		online bool
	}{
		{"endpoints: demo as shipped", ncPrivInst, func(*awssim.State) {}, true},
		{"endpoints: instance group has no egress rules", ncPrivInst, func(st *awssim.State) { st.SecurityGroups[ncInstSG].Egress = nil }, false},
		{"endpoints: instance egress only TCP 80", ncPrivInst, func(st *awssim.State) {
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, Cidrs: []string{"0.0.0.0/0"}}}
		}, false},
		{"endpoints: instance egress TCP 443 anywhere", ncPrivInst, func(st *awssim.State) { st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("0.0.0.0/0")} }, true},
		{"endpoint group admits 443 by CIDR", ncPrivInst, func(st *awssim.State) {
			st.SecurityGroups[ncEndpSG].Ingress = []awssim.SGRule{ncRule443("10.0.2.0/24")}
		}, true},
		{"endpoint group admits 443 from another CIDR", ncPrivInst, func(st *awssim.State) {
			st.SecurityGroups[ncEndpSG].Ingress = []awssim.SGRule{ncRule443("10.0.1.0/24")}
		}, false},
		{"endpoint group admits all traffic from the instance group", ncPrivInst, func(st *awssim.State) {
			st.SecurityGroups[ncEndpSG].Ingress = []awssim.SGRule{{Protocol: "-1", Groups: []string{ncInstSG}}}
		}, true},
		{"endpoint group admits nothing", ncPrivInst, func(st *awssim.State) { st.SecurityGroups[ncEndpSG].Ingress = nil }, false},
		{"VPC DNS support off", ncPrivInst, func(st *awssim.State) { st.VPCs[ncVPC].EnableDNSSupport = false }, false},
		{"VPC DNS hostnames off", ncPrivInst, func(st *awssim.State) { st.VPCs[ncVPC].EnableDNSHostnames = false }, false},
		{"endpoint private DNS off", ncPrivInst, func(st *awssim.State) {
			for _, ep := range st.VpcEndpoints {
				ep.PrivateDNSEnabled = false
			}
		}, false},
		{"agent 3.3.39.0 without an ec2messages endpoint", ncPrivInst, func(st *awssim.State) { st.Instances[ncPrivInst].Agent.Version = "3.3.39.0" }, false},
		{"agent 3.3.39.0 with an ec2messages endpoint", ncPrivInst, func(st *awssim.State) {
			st.Instances[ncPrivInst].Agent.Version = "3.3.39.0"
			st.VpcEndpoints["vpce-0a11600d0000000ee"] = &awssim.VpcEndpoint{ID: "vpce-0a11600d0000000ee", VpcID: ncVPC,
				ServiceName: "com.amazonaws.us-east-1.ec2messages", Type: "Interface", State: "available", PrivateDNSEnabled: true,
				SubnetIDs: []string{"subnet-0a11600d000000002"}, SecurityGroupIDs: []string{ncEndpSG}}
		}, true},
		{"agent 3.3.40.0 without an ec2messages endpoint", ncPrivInst, func(st *awssim.State) { st.Instances[ncPrivInst].Agent.Version = "3.3.40.0" }, true},
		{"internet gateway: demo without endpoints", ncPubInst, ncNoEndpoints, true},
		{"internet gateway: instance group has no egress rules", ncPubInst, func(st *awssim.State) {
			ncNoEndpoints(st)
			st.SecurityGroups[ncInstSG].Egress = nil
		}, false},
		{"internet gateway: instance egress only TCP 80", ncPubInst, func(st *awssim.State) {
			ncNoEndpoints(st)
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, Cidrs: []string{"0.0.0.0/0"}}}
		}, false},
		{"internet gateway: VPC DNS off", ncPubInst, func(st *awssim.State) { st.VPCs[ncVPC].EnableDNSSupport = false }, true},
		{"internet gateway: old agent", ncPubInst, func(st *awssim.State) {
			ncNoEndpoints(st)
			st.Instances[ncPubInst].Agent.Version = "3.3.39.0"
		}, true},
		// Egress must lead where the agent's traffic goes.
		{"internet gateway: egress 443 only inside the VPC", ncPubInst, func(st *awssim.State) {
			ncNoEndpoints(st)
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("10.0.0.0/16")}
		}, false},
		{"internet gateway: egress 443 to a public block", ncPubInst, func(st *awssim.State) {
			ncNoEndpoints(st)
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("52.0.0.0/8")}
		}, true},
		{"endpoints: egress 443 only to the public subnet", ncPrivInst, func(st *awssim.State) {
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("10.0.1.0/24")}
		}, false},
		{"endpoints: egress 443 to the VPC block", ncPrivInst, func(st *awssim.State) {
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("10.0.0.0/16")}
		}, true},
		{"endpoints: egress 443 to the endpoint group", ncPrivInst, func(st *awssim.State) {
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, Groups: []string{ncEndpSG}}}
		}, true},
		// Private DNS sends the agent to the endpoints even with a route out.
		{"internet gateway: endpoint group admits nothing, private DNS still wins", ncPubInst, func(st *awssim.State) { st.SecurityGroups[ncEndpSG].Ingress = nil }, false},
		{"NAT gateway: endpoint group admits nothing, private DNS still wins", ncPrivInst, func(st *awssim.State) {
			ncNATRoute(st)
			st.SecurityGroups[ncEndpSG].Ingress = nil
		}, false},
		{"NAT gateway: VPC DNS hostnames off, the agent goes out through NAT", ncPrivInst, func(st *awssim.State) {
			ncNATRoute(st)
			st.SecurityGroups[ncEndpSG].Ingress = nil
			st.VPCs[ncVPC].EnableDNSHostnames = false
		}, true},
		{"internet gateway: endpoints reached with egress only inside the VPC", ncPubInst, func(st *awssim.State) {
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("10.0.0.0/16")}
		}, true},
		{"internet gateway: old agent, ec2messages out through the gateway, the rest to endpoints", ncPubInst, func(st *awssim.State) {
			st.Instances[ncPubInst].Agent.Version = "3.3.39.0"
		}, true},
		{"internet gateway: old agent, ec2messages cannot leave the VPC", ncPubInst, func(st *awssim.State) {
			st.Instances[ncPubInst].Agent.Version = "3.3.39.0"
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("10.0.0.0/16")}
		}, false},
		// An internet gateway serves only instances with a public address;
		// a NAT gateway needs none.
		{"internet gateway: no public IPv4 address", ncPubInst, func(st *awssim.State) {
			ncNoEndpoints(st)
			ncNoPublicIP(st)
		}, false},
		{"internet gateway: address given by hand (an Elastic IP), subnet maps none", ncPubInst, func(st *awssim.State) {
			ncNoEndpoints(st)
			ncNoPublicIP(st)
			st.Instances[ncPubInst].PublicIP = "3.80.7.7"
		}, true},
		{"internet gateway: no public address, endpoints carry the agent", ncPubInst, ncNoPublicIP, true},
		{"internet gateway: no public address, old agent's ec2messages has no way out", ncPubInst, func(st *awssim.State) {
			ncNoPublicIP(st)
			st.Instances[ncPubInst].Agent.Version = "3.3.39.0"
		}, false},
		{"NAT gateway: no endpoints, no public address needed", ncPrivInst, func(st *awssim.State) {
			ncNoEndpoints(st)
			ncNATRoute(st)
		}, true},
		// Network ACLs: stateless, so 443 out and the replies in, on each
		// subnet boundary the traffic crosses.
		{"NACL internet: custom ACL as open as the default", ncPubInst, ncIGWACL(ncAllowAll(false), ncAllowAll(true)), true},
		{"NACL internet: outbound 443 denied below the allow", ncPubInst, ncIGWACL(ncAllowAll(false), ncTCP(90, "deny", true, "0.0.0.0/0", 443, 443), ncAllowAll(true)), false},
		{"NACL internet: replies not allowed in", ncPubInst, ncIGWACL(ncTCP(100, "allow", false, "0.0.0.0/0", 22, 22), ncAllowAll(true)), false},
		{"NACL internet: part of the ephemeral range denied", ncPubInst, ncIGWACL(ncTCP(10, "deny", false, "0.0.0.0/0", 5000, 6000), ncAllowAll(false), ncAllowAll(true)), false},
		{"NACL internet: ephemeral range in two halves", ncPubInst, ncIGWACL(ncTCP(100, "allow", false, "0.0.0.0/0", 1024, 32767), ncTCP(110, "allow", false, "0.0.0.0/0", 32768, 65535), ncAllowAll(true)), true},
		{"NACL internet: 443 to one public block only", ncPubInst, ncIGWACL(ncAllowAll(false), ncTCP(100, "allow", true, "52.0.0.0/8", 443, 443)), false},
		{"NACL endpoints: instance subnet denies 443 to the VPC", ncPubInst, ncACL(ncPubSubnet, ncAllowAll(false), ncTCP(10, "deny", true, "10.0.0.0/16", 443, 443), ncAllowAll(true)), false},
		{"NACL endpoints: endpoint subnet denies 443 from the instance", ncPubInst, ncACL(ncEndpSubnet, ncTCP(10, "deny", false, "10.0.1.0/24", 443, 443), ncAllowAll(false), ncAllowAll(true)), false},
		{"NACL endpoints: endpoint subnet sends no replies", ncPubInst, ncACL(ncEndpSubnet, ncAllowAll(false), ncTCP(100, "allow", true, "0.0.0.0/0", 443, 443)), false},
		{"NACL endpoints: an interface in the instance's own subnet crosses no ACL", ncPrivInst, ncACL(ncEndpSubnet), true},
		// The endpoint path is judged against the endpoint subnet's block
		// (10.0.2.0/24), where its interfaces take their addresses.
		{"endpoints: egress 443 only to the endpoint subnet", ncPubInst, func(st *awssim.State) {
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("10.0.2.0/24")}
		}, true},
		{"endpoints: egress 443 only to an unrelated block", ncPubInst, func(st *awssim.State) {
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("10.0.3.0/24")}
		}, false},
		{"NACL endpoints: 443 out and replies in only for the endpoint subnet", ncPubInst, ncACL(ncPubSubnet,
			ncTCP(100, "allow", true, "10.0.2.0/24", 443, 443), ncTCP(100, "allow", false, "10.0.2.0/24", 1024, 65535)), true},
		{"NACL endpoints: 443 out and replies in only for an unrelated block", ncPubInst, ncACL(ncPubSubnet,
			ncTCP(100, "allow", true, "10.0.3.0/24", 443, 443), ncTCP(100, "allow", false, "10.0.3.0/24", 1024, 65535)), false},
		{"NACL endpoints: egress 443 and ACL both only for the endpoint subnet", ncPubInst, func(st *awssim.State) {
			st.SecurityGroups[ncInstSG].Egress = []awssim.SGRule{ncRule443("10.0.2.0/24")}
			ncACL(ncPubSubnet, ncTCP(100, "allow", true, "10.0.2.0/24", 443, 443), ncTCP(100, "allow", false, "10.0.2.0/24", 1024, 65535))(st)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := awssim.DemoScenario()
			c.change(st)
			a, _ := simEnv(t, st, awssim.DemoAccessKey)
			ctx := context.Background()
			info, err := a.InstanceInformation(ctx, c.inst)
			if err != nil {
				t.Fatalf("DescribeInstanceInformation: %v", err)
			}
			online := info != nil && info.PingStatus == ssmtypes.PingStatusOnline

			ts, err := awsfacts.ResolveTargets(ctx, a, []string{c.inst}, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			var verdict Result
			for _, o := range Run(ctx, &Env{AWS: a, Target: ts[0]}, []Check{instanceExistsCheck(), instanceNetworkCheck()}, RunOptions{}) {
				if o.ID == "instance-network" {
					verdict = o.Result
				}
			}
			if verdict.Status != StatusPass && verdict.Status != StatusFail {
				t.Fatalf("instance-network: %s %s", verdict.Status, verdict.Message)
			}
			pass := verdict.Status == StatusPass
			if pass != online {
				t.Errorf("instance-network %s (%s %v) but the simulator has the instance online=%v", verdict.Status, verdict.Message, verdict.Details, online)
			}
			if online != c.online {
				t.Errorf("online=%v, want %v (instance-network: %s %s)", online, c.online, verdict.Status, verdict.Message)
			}
		})
	}
}
