package awssim

import (
	"strconv"
	"strings"
	"time"
)

// Setting ids of the SSM service settings the simulator models.
const (
	settingDHMCRole = "/ssm/managed-instance/default-ec2-instance-management-role"
	settingTier     = "/ssm/managed-instance/activation-tier"
)

// dhmcMinAgent is the first agent release that can use Default Host
// Management Configuration instead of an instance profile.
const dhmcMinAgent = "3.2.582.0"

// registration decides what Systems Manager knows of a node, from the
// account alone: whether the agent registered (so the node appears in
// DescribeInstanceInformation), its PingStatus and LastPingDateTime. It is
// pure over st so that the demo scenario's findings can be table-tested.
//
// A node registers when its agent is installed, it can get credentials
// (instance profile role allowing ssm:UpdateInstanceInformation, or DHMC, or
// a hybrid activation) and its network reaches every endpoint its agent
// needs (ssm_registration_net.go).
func (st *State) registration(inst *Instance, now time.Time) (reg bool, ping string, last time.Time) {
	return st.registrationIndexed(inst, now, nil)
}

// profilesByInstance indexes associated profile names by instance, so that
// listing a fleet does not rescan every association for every node.
type profilesByInstance map[string][]string

func (st *State) indexProfiles() profilesByInstance {
	idx := profilesByInstance{}
	for _, a := range st.Associations {
		if a.State != "associated" && a.State != "associating" {
			continue
		}
		idx[a.InstanceID] = append(idx[a.InstanceID], a.ProfileArn[strings.LastIndexByte(a.ProfileArn, '/')+1:])
	}
	return idx
}

// registrationIndexed is registration with a prebuilt association index
// (nil: scan the associations).
func (st *State) registrationIndexed(inst *Instance, now time.Time, idx profilesByInstance) (reg bool, ping string, last time.Time) {
	if inst == nil || !inst.Agent.Installed {
		return false, "", time.Time{}
	}
	switch inst.State {
	case "terminated", "shutting-down":
		return false, "", time.Time{}
	}
	if !st.instanceHasCredentials(inst, idx) || !st.reachesSSM(inst) {
		return false, "", time.Time{}
	}
	last = inst.Agent.LastPing
	if last.IsZero() {
		last = inst.LaunchTime
	}
	switch {
	case inst.Agent.PingStatus != "" && inst.Agent.PingStatus != "Online":
		return true, inst.Agent.PingStatus, last
	case !nodeRunning(inst):
		return true, "ConnectionLost", last
	}
	return true, "Online", now
}

// online is the condition StartSession and GetConnectionStatus need.
func (st *State) online(inst *Instance, now time.Time) bool {
	reg, ping, _ := st.registration(inst, now)
	return reg && ping == "Online"
}

func isHybrid(id string) bool { return strings.HasPrefix(id, "mi-") }

// nodeRunning treats a hybrid node without an EC2 state as running: only
// its ping tells otherwise.
func nodeRunning(inst *Instance) bool {
	return inst.State == "running" || (isHybrid(inst.ID) && inst.State == "")
}

func (st *State) instanceHasCredentials(inst *Instance, idx profilesByInstance) bool {
	if isHybrid(inst.ID) {
		return true
	}
	arn := st.nodeARN(inst.Region, inst.ID)
	for _, role := range st.instanceRoles(inst, idx) {
		if (policyReader{st: st}).roleAllows(role, "ssm:UpdateInstanceInformation", arn) {
			return true
		}
	}
	// The agent falls back to DHMC when the profile gives nothing usable.
	return dhmcOn(st.settingValue(inst.Region, settingDHMCRole)) &&
		inst.Metadata.HTTPTokens == "required" &&
		versionAtLeast(inst.Agent.Version, dhmcMinAgent)
}

// instanceRoles are the roles of the instance's associated profile. Before
// the scenario loader turns InstanceProfileName into an association, the
// name itself is used.
func (st *State) instanceRoles(inst *Instance, idx profilesByInstance) []string {
	if idx == nil {
		idx = st.indexProfiles()
	}
	profiles := append([]string(nil), idx[inst.ID]...)
	if len(profiles) == 0 && inst.InstanceProfileName != "" {
		profiles = append(profiles, inst.InstanceProfileName)
	}
	var roles []string
	for _, p := range profiles {
		if ip, ok := st.InstanceProfile[p]; ok {
			roles = append(roles, ip.Roles...)
			continue
		}
		for _, ip := range st.InstanceProfile {
			if ip.ID == p || ip.Name == p {
				roles = append(roles, ip.Roles...)
			}
		}
	}
	return roles
}

// settingValue is a service setting in a region; the defaults are AWS's
// ("$None" is how SSM spells an unset DHMC role).
func (st *State) settingValue(region, id string) string {
	if v, ok := st.ServiceSettings[region][id]; ok && v != "" {
		return v
	}
	if id == settingTier {
		return "standard"
	}
	return "$None"
}

func dhmcOn(v string) bool { return v != "" && v != "$None" }

// subnetRouteTable is the subnet's explicit table, or its VPC's main one.
func (st *State) subnetRouteTable(subnetID, vpcID string) *RouteTable {
	if sn, ok := st.Subnets[subnetID]; ok && sn.VpcID != "" {
		vpcID = sn.VpcID
	}
	var main *RouteTable
	for _, rt := range st.RouteTables {
		for _, s := range rt.Subnets {
			if s == subnetID {
				return rt
			}
		}
		if rt.Main && rt.VpcID == vpcID {
			main = rt
		}
	}
	return main
}

// versionAtLeast compares dotted numeric versions (agent versions have four
// parts); an unparsable version is never new enough. It splits in place:
// registration asks it for every node of a fleet.
func versionAtLeast(v, min string) bool {
	for v != "" || min != "" {
		var a, b string
		a, v, _ = strings.Cut(v, ".")
		b, min, _ = strings.Cut(min, ".")
		x, y := 0, 0
		if a != "" {
			n, err := strconv.Atoi(a)
			if err != nil {
				return false
			}
			x = n
		}
		if b != "" {
			y, _ = strconv.Atoi(b)
		}
		if x != y {
			return x > y
		}
	}
	return true
}
