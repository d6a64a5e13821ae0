package awssim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"
)

// FleetMix is the fraction (0..1) of a generated fleet with each problem;
// the rest is healthy. Fractions are of n and rounded; their sum must not
// exceed 1.
type FleetMix struct {
	NoProfile      float64
	OldAgent       float64
	ConnectionLost float64
	Stopped        float64
	RoleWithoutSSM float64
	LegacyRole     float64
	Isolated       float64 // private subnet with no route to Systems Manager
	NoAgent        float64 // agent not installed: never registers
}

// DefaultFleetMix gives every problem a few percent of the fleet.
var DefaultFleetMix = FleetMix{NoProfile: 0.05, OldAgent: 0.05, ConnectionLost: 0.03, Stopped: 0.05,
	RoleWithoutSSM: 0.03, LegacyRole: 0.03, Isolated: 0.03, NoAgent: 0.02}

// fleetProfiles are the healthy fleet's instance profiles: a handful, so
// that a doctor resolving roles once per distinct profile shows it.
var fleetProfiles = []string{"fleet-web", "fleet-api", "fleet-batch", "fleet-worker", "fleet-cache"}

// GenerateFleet builds an account with n EC2 instances on the demo's
// network, users and roles (the demo's own instances removed). The same
// seed gives the same fleet. Each instance carries a Scenario tag naming
// its problem ("healthy" otherwise).
func GenerateFleet(n int, mix FleetMix, seed int64) *State {
	st := DemoScenario()
	st.Instances = map[string]*Instance{}
	st.Associations = map[string]*ProfileAssoc{}
	for _, p := range fleetProfiles {
		role := p + "-role"
		st.Roles[role] = &Role{Name: role, AttachedPolicies: []string{"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}}
		st.InstanceProfile[p] = &InstanceProfile{Name: p, Roles: []string{role}}
	}
	// /18 subnets so that 10,000 instances find addresses.
	const vpc, isoVPC = "vpc-0a11600d000000001", "vpc-0bad0000000000007"
	pub := &Subnet{ID: "subnet-0f1ee7000000000a1", VpcID: vpc, CidrBlock: "10.0.64.0/18", AvailabilityZone: "us-east-1a", MapPublicIPOnLaunch: true}
	ep := &Subnet{ID: "subnet-0f1ee7000000000b1", VpcID: vpc, CidrBlock: "10.0.128.0/18", AvailabilityZone: "us-east-1b"}
	iso := &Subnet{ID: "subnet-0f1ee7000000000c1", VpcID: isoVPC, CidrBlock: "10.1.64.0/18", AvailabilityZone: "us-east-1a"}
	for _, s := range []*Subnet{pub, ep, iso} {
		st.Subnets[s.ID] = s
	}
	st.RouteTables["rtb-0a11600d000000001"].Subnets = append(st.RouteTables["rtb-0a11600d000000001"].Subnets, pub.ID)

	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	problems := fleetProblems(n, mix, rng)
	next := map[string]uint32{}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("i-0%016x", rng.Uint64())
		for st.Instances[id] != nil {
			id = fmt.Sprintf("i-0%016x", rng.Uint64())
		}
		prob := problems[i]
		sub := pub
		if prob == "private-no-endpoints" {
			sub = iso
		} else if rng.IntN(3) == 0 {
			sub = ep
		}
		inst := &Instance{
			ID: id, State: "running", InstanceType: "t3.small", PlatformName: "Amazon Linux", PlatformVersion: "2023",
			SubnetID: sub.ID, PrivateIP: fleetIP(sub, next),
			SecurityGroupIDs:    []string{"sg-0a11600d000000001"},
			Metadata:            MetadataOptions{HTTPTokens: "required", HTTPEndpoint: "enabled", HopLimit: 2},
			Agent:               Agent{Installed: true, Version: LatestAgentVersion, IsLatest: true},
			InstanceProfileName: fleetProfiles[rng.IntN(len(fleetProfiles))],
			LaunchTime:          scenarioEpoch.Add(-time.Duration(rng.IntN(90*24)) * time.Hour),
			Tags:                []Tag{{Key: "Name", Value: fmt.Sprintf("fleet-%05d", i)}, {Key: "Scenario", Value: prob}},
		}
		if sub == iso {
			inst.SecurityGroupIDs = []string{"sg-0bad0000000000007"}
		}
		switch prob {
		case "no-instance-profile":
			// IMDSv1 keeps DHMC (on in the demo account) from managing it.
			inst.InstanceProfileName = ""
			inst.Metadata.HTTPTokens = "optional"
		case "old-agent":
			inst.Agent = Agent{Installed: true, Version: "2.3.612.0"}
		case "connection-lost":
			inst.Agent.PingStatus = "ConnectionLost"
			inst.Agent.LastPing = scenarioEpoch.Add(-6 * time.Hour)
		case "stopped":
			inst.State = "stopped"
		case "role-without-ssm":
			inst.InstanceProfileName = "AppServerProfile"
		case "legacy-role":
			inst.InstanceProfileName = "LegacySSMProfile"
		case "no-agent":
			inst.Agent = Agent{}
		}
		st.Instances[id] = inst
	}
	return st
}

// fleetProblems assigns each index a problem: exact counts per fraction,
// shuffled so that problems spread over the fleet.
func fleetProblems(n int, mix FleetMix, rng *rand.Rand) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "healthy"
	}
	i := 0
	for _, p := range []struct {
		name string
		frac float64
	}{
		{"no-instance-profile", mix.NoProfile}, {"old-agent", mix.OldAgent}, {"connection-lost", mix.ConnectionLost},
		{"stopped", mix.Stopped}, {"role-without-ssm", mix.RoleWithoutSSM}, {"legacy-role", mix.LegacyRole},
		{"private-no-endpoints", mix.Isolated}, {"no-agent", mix.NoAgent},
	} {
		k := int(p.frac*float64(n) + 0.5)
		for ; k > 0 && i < n; k-- {
			out[i] = p.name
			i++
		}
	}
	rng.Shuffle(n, func(a, b int) { out[a], out[b] = out[b], out[a] })
	return out
}

// fleetIP hands out the subnet's addresses in order, after AWS's reserved
// first four.
func fleetIP(sub *Subnet, next map[string]uint32) string {
	p := netip.MustParsePrefix(sub.CidrBlock)
	b := p.Addr().As4()
	off := next[sub.ID]
	if off == 0 {
		off = 4
	}
	next[sub.ID] = off + 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) + off
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}
