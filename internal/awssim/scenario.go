package awssim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"
)

// MaxScenarioSize bounds a scenario file: the demo is about 25 KiB, and a
// file (or /dev/zero, or a pipe) must not make the simulator read without
// end.
const MaxScenarioSize = 16 << 20

// LoadScenario reads a scenario file (JSON of State) of at most
// MaxScenarioSize bytes.
func LoadScenario(path string) (*State, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxScenarioSize+1))
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", path, err)
	}
	if len(data) > MaxScenarioSize {
		return nil, fmt.Errorf("read scenario %s: larger than the limit of %d MiB", path, MaxScenarioSize>>20)
	}
	return ParseScenario(data)
}

// ParseScenario decodes a scenario; unknown fields are errors so that a
// typo does not silently change the account.
func ParseScenario(data []byte) (*State, error) {
	var st State
	dec := json.NewDecoder(bytesReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("parse scenario: %w", err)
	}
	if err := applyOmittedDefaults(data, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// applyOmittedDefaults gives fields a scenario file leaves out the values
// AWS gives a resource created without them: a security group's allow-all
// egress rule, and a VPC's DNS support on (hostnames only in the default
// VPC). Only absence counts: an explicit empty list or false stays, and
// states built in Go keep exactly what they say, so this happens on
// loading, not in Normalize.
func applyOmittedDefaults(data []byte, st *State) error {
	var raw struct {
		Vpcs           map[string]map[string]json.RawMessage
		SecurityGroups map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("parse scenario: %w", err)
	}
	for id, fields := range raw.SecurityGroups {
		if g := st.SecurityGroups[id]; g != nil && !hasField(fields, "IpPermissionsEgress") {
			g.Egress = []SGRule{{Protocol: "-1", Cidrs: []string{"0.0.0.0/0"}}}
		}
	}
	for id, fields := range raw.Vpcs {
		v := st.VPCs[id]
		if v == nil {
			continue
		}
		if !hasField(fields, "EnableDnsSupport") {
			v.EnableDNSSupport = true
		}
		if !hasField(fields, "EnableDnsHostnames") {
			v.EnableDNSHostnames = v.IsDefault
		}
	}
	return nil
}

// hasField matches as encoding/json does: without regard to case.
func hasField(fields map[string]json.RawMessage, name string) bool {
	for k := range fields {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// LatestAgentVersion is the SSM Agent release the simulator calls latest.
const LatestAgentVersion = "3.3.1142.0"

// scenarioEpoch is when unspecified resources were created: fixed, so that
// responses (and goldens built from them) do not change between runs.
var scenarioEpoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// ec2DefaultTrust lets EC2 assume a role, the usual trust of an instance role.
const ec2DefaultTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// Normalize fills defaults and derived state (ids, ARNs, addresses, DNS
// names, the default VPC and security groups, profile associations) and
// checks references, naming the resource at fault. It is idempotent: New
// calls it again on a state a test already normalised.
func (st *State) Normalize() error {
	setDefault(&st.AccountID, "123456789012")
	setDefault(&st.DefaultRegion, "us-east-1")
	if len(st.Regions) == 0 {
		st.Regions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"}
	}
	st.initMaps()
	for _, step := range []func() error{
		st.normalizeIAM, st.normalizeKeys, st.normalizeNetwork, st.normalizeInstances, st.normalizeNACLs, st.normalizeAssociations, st.normalizeKeyPairs,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (st *State) initMaps() {
	initMap(&st.Instances)
	initMap(&st.VPCs)
	initMap(&st.Subnets)
	initMap(&st.RouteTables)
	initMap(&st.SecurityGroups)
	initMap(&st.VpcEndpoints)
	initMap(&st.NetworkACLs)
	initMap(&st.Associations)
	initMap(&st.InstanceProfile)
	initMap(&st.Roles)
	initMap(&st.Users)
	initMap(&st.Groups)
	initMap(&st.Policies)
	initMap(&st.AccessKeys)
	initMap(&st.ServiceSettings)
	initMap(&st.KMSKeys)
	initMap(&st.KeyPairs)
}

// initMap lets handlers store into maps a scenario left out.
func initMap[V any](m *map[string]V) {
	if *m == nil {
		*m = map[string]V{}
	}
}

// scenarioID is an IAM unique id (prefix + 17 characters) derived from the
// entity's kind and name, so that it is stable from run to run.
func scenarioID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(prefix + ":" + seed))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// scenarioKeys is sortedKeys under its older name (the port forwarding
// model still calls it so).
func scenarioKeys[V any](m map[string]V) []string { return sortedKeys(m) }

func scenarioErr(kind, name, format string, args ...any) error {
	return fmt.Errorf("scenario: %s %s: %s", kind, name, fmt.Sprintf(format, args...))
}

// inVPC returns the VPC a network resource (kind, id) names; resources
// take their VPC's region.
func (st *State) inVPC(kind, id, vpcID string) (*VPC, error) {
	v, ok := st.VPCs[vpcID]
	if !ok {
		return nil, scenarioErr(kind, id, "vpc %s does not exist", vpcID)
	}
	return v, nil
}

// subnetsInVPC checks that every subnet a resource (kind, id) lists exists
// in its VPC.
func (st *State) subnetsInVPC(kind, id, vpcID string, subnets []string) error {
	for _, sub := range subnets {
		if s, ok := st.Subnets[sub]; !ok || s.VpcID != vpcID {
			return scenarioErr(kind, id, "subnet %s does not exist in vpc %s", sub, vpcID)
		}
	}
	return nil
}

// fillIAMIdentity completes what every IAM entity has: its name (the map
// key), a stable unique id, a canonical path and a creation time.
func fillIAMIdentity(key, idPrefix string, name, id, path *string, created *time.Time) {
	setDefault(name, key)
	setDefault(id, scenarioID(idPrefix, key))
	*path = normPath(*path)
	setDefaultTime(created, scenarioEpoch)
}

// setDefault stores def where the scenario left the zero value.
func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// setDefaultTime is setDefault for times, whose zero value JSON may give
// with a location that == would not match.
func setDefaultTime(field *time.Time, def time.Time) {
	if field.IsZero() {
		*field = def
	}
}

func isAWSManagedPolicy(arn string) bool { return strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") }

func (st *State) normalizeIAM() error {
	for _, arn := range sortedKeys(st.Policies) {
		p := st.Policies[arn]
		setDefault(&p.Arn, arn)
		if p.Arn != arn {
			return scenarioErr("policy", arn, "Arn %s differs from its key", p.Arn)
		}
		setDefault(&p.Name, arn[strings.LastIndexByte(arn, '/')+1:])
		setDefault(&p.ID, scenarioID("ANPA", arn))
		if p.Path == "" {
			rest := strings.TrimPrefix(arn[strings.Index(arn, ":policy")+len(":policy"):], "")
			p.Path = normPath(rest[:strings.LastIndexByte(rest, '/')+1])
		}
		if len(p.Versions) == 0 {
			return scenarioErr("policy", arn, "no policy versions")
		}
		for i := range p.Versions {
			setDefault(&p.Versions[i].VersionID, fmt.Sprintf("v%d", i+1))
			setDefaultTime(&p.Versions[i].CreatedAt, scenarioEpoch)
		}
		setDefault(&p.DefaultVersionID, p.Versions[len(p.Versions)-1].VersionID)
		setDefaultTime(&p.CreatedAt, scenarioEpoch)
		setDefaultTime(&p.UpdatedAt, p.CreatedAt)
	}
	checkAttached := func(kind, name string, arns []string) error {
		for _, a := range arns {
			if _, ok := st.Policies[a]; !ok && !isAWSManagedPolicy(a) {
				return scenarioErr(kind, name, "policy %s does not exist", a)
			}
		}
		return nil
	}
	for _, name := range sortedKeys(st.Roles) {
		r := st.Roles[name]
		fillIAMIdentity(name, "AROA", &r.Name, &r.ID, &r.Path, &r.CreatedAt)
		setDefault(&r.AssumeRolePolicy, ec2DefaultTrust)
		setDefault(&r.MaxSessionDuration, 3600)
		if err := checkAttached("role", name, r.AttachedPolicies); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(st.Groups) {
		g := st.Groups[name]
		fillIAMIdentity(name, "AGPA", &g.Name, &g.ID, &g.Path, &g.CreatedAt)
		if err := checkAttached("group", name, g.AttachedPolicies); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(st.Users) {
		u := st.Users[name]
		fillIAMIdentity(name, "AIDA", &u.Name, &u.ID, &u.Path, &u.CreatedAt)
		for _, g := range u.Groups {
			if _, ok := st.Groups[g]; !ok {
				return scenarioErr("user", name, "group %s does not exist", g)
			}
		}
		if err := checkAttached("user", name, u.AttachedPolicies); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(st.InstanceProfile) {
		p := st.InstanceProfile[name]
		fillIAMIdentity(name, "AIPA", &p.Name, &p.ID, &p.Path, &p.CreatedAt)
		if len(p.Roles) > 1 {
			return scenarioErr("instance profile", name, "holds %d roles; an instance profile holds at most one", len(p.Roles))
		}
		for _, r := range p.Roles {
			if _, ok := st.Roles[r]; !ok {
				return scenarioErr("instance profile", name, "role %s does not exist", r)
			}
		}
	}
	return nil
}

func (st *State) normalizeKeys() error {
	for _, id := range sortedKeys(st.AccessKeys) {
		k := st.AccessKeys[id]
		setDefault(&k.ID, id)
		if k.ID != id {
			return scenarioErr("access key", id, "AccessKeyId %s differs from its key", k.ID)
		}
		setDefault(&k.Status, "Active")
		switch {
		case k.Root:
		case k.RoleName != "":
			if _, ok := st.Roles[k.RoleName]; !ok {
				return scenarioErr("access key", id, "role %s does not exist", k.RoleName)
			}
			if k.SessionToken == "" {
				return scenarioErr("access key", id, "an assumed-role key needs a SessionToken")
			}
			setDefault(&k.SessionName, "session")
		case k.UserName != "":
			if _, ok := st.Users[k.UserName]; !ok {
				return scenarioErr("access key", id, "user %s does not exist", k.UserName)
			}
		default:
			return scenarioErr("access key", id, "names no user, role or root")
		}
		if k.Secret == "" {
			return scenarioErr("access key", id, "SecretAccessKey is empty")
		}
	}
	return nil
}

func (st *State) normalizeNetwork() error {
	for _, id := range sortedKeys(st.VPCs) {
		v := st.VPCs[id]
		setDefault(&v.ID, id)
		setDefault(&v.Region, st.DefaultRegion)
		if _, err := netip.ParsePrefix(v.CidrBlock); err != nil {
			return scenarioErr("vpc", id, "CidrBlock %q is not a CIDR", v.CidrBlock)
		}
	}
	for _, id := range sortedKeys(st.Subnets) {
		s := st.Subnets[id]
		setDefault(&s.ID, id)
		v, err := st.inVPC("subnet", id, s.VpcID)
		if err != nil {
			return err
		}
		s.Region = v.Region
		setDefault(&s.AvailabilityZone, s.Region+"a")
		if _, err := netip.ParsePrefix(s.CidrBlock); err != nil {
			return scenarioErr("subnet", id, "CidrBlock %q is not a CIDR", s.CidrBlock)
		}
	}
	for _, id := range sortedKeys(st.RouteTables) {
		rt := st.RouteTables[id]
		setDefault(&rt.ID, id)
		v, err := st.inVPC("route table", id, rt.VpcID)
		if err != nil {
			return err
		}
		rt.Region = v.Region
		if err := st.subnetsInVPC("route table", id, rt.VpcID, rt.Subnets); err != nil {
			return err
		}
		st.ensureLocalRoute(rt, v)
	}
	for _, vid := range sortedKeys(st.VPCs) {
		st.ensureMainTable(st.VPCs[vid])
		st.ensureDefaultSG(st.VPCs[vid])
	}
	for _, id := range sortedKeys(st.SecurityGroups) {
		g := st.SecurityGroups[id]
		setDefault(&g.ID, id)
		v, err := st.inVPC("security group", id, g.VpcID)
		if err != nil {
			return err
		}
		g.Region = v.Region
		setDefault(&g.Description, g.Name)
		for _, rules := range [][]SGRule{g.Ingress, g.Egress} {
			for _, r := range rules {
				for _, ref := range r.Groups {
					if _, ok := st.SecurityGroups[ref]; !ok {
						return scenarioErr("security group", id, "rule refers to security group %s, which does not exist", ref)
					}
				}
			}
		}
	}
	for _, id := range sortedKeys(st.VpcEndpoints) {
		e := st.VpcEndpoints[id]
		setDefault(&e.ID, id)
		v, err := st.inVPC("vpc endpoint", id, e.VpcID)
		if err != nil {
			return err
		}
		e.Region = v.Region
		setDefault(&e.Type, "Interface")
		setDefault(&e.State, "available")
		setDefaultTime(&e.CreatedAt, scenarioEpoch)
		if err := st.subnetsInVPC("vpc endpoint", id, e.VpcID, e.SubnetIDs); err != nil {
			return err
		}
		for _, g := range e.SecurityGroupIDs {
			if _, ok := st.SecurityGroups[g]; !ok {
				return scenarioErr("vpc endpoint", id, "security group %s does not exist", g)
			}
		}
		if e.Type == "Interface" && len(e.SecurityGroupIDs) == 0 {
			e.SecurityGroupIDs = []string{st.defaultSGOf(e.VpcID)}
		}
	}
	return nil
}

func (st *State) ensureLocalRoute(rt *RouteTable, v *VPC) {
	for i := range rt.Routes {
		setDefault(&rt.Routes[i].State, "active")
	}
	for _, r := range rt.Routes {
		if r.GatewayID == "local" {
			return
		}
	}
	rt.Routes = append([]Route{{DestinationCidrBlock: v.CidrBlock, GatewayID: "local", State: "active"}}, rt.Routes...)
}

// ensureMainTable gives a VPC without one a main route table with only the
// local route, as CreateVpc does.
func (st *State) ensureMainTable(v *VPC) {
	for _, rt := range st.RouteTables {
		if rt.VpcID == v.ID && rt.Main {
			return
		}
	}
	id := "rtb-" + ec2Hex("main:"+v.ID, 17)
	rt := &RouteTable{ID: id, VpcID: v.ID, Region: v.Region, Main: true}
	st.ensureLocalRoute(rt, v)
	st.RouteTables[id] = rt
}

// ensureDefaultSG gives every VPC its "default" group: all traffic from
// itself in, everything out.
func (st *State) ensureDefaultSG(v *VPC) {
	if st.defaultSGOf(v.ID) != "" {
		return
	}
	id := "sg-" + ec2Hex("default:"+v.ID, 17)
	st.SecurityGroups[id] = &SecurityGroup{
		ID: id, Name: "default", Description: "default VPC security group", VpcID: v.ID, Region: v.Region,
		Ingress: []SGRule{{Protocol: "-1", Groups: []string{id}}},
		Egress:  []SGRule{{Protocol: "-1", Cidrs: []string{"0.0.0.0/0"}}},
	}
}

func (st *State) defaultSGOf(vpcID string) string {
	best := ""
	for id, g := range st.SecurityGroups {
		if g.VpcID == vpcID && g.Name == "default" && (best == "" || id < best) {
			best = id
		}
	}
	return best
}

// defaultSubnet is the region's default-VPC subnet, created with the
// default VPC (172.31.0.0/16, internet gateway, DNS on) when the scenario
// has none, as every AWS account has.
func (st *State) defaultSubnet(region string) *Subnet {
	var vpc *VPC
	for _, id := range sortedKeys(st.VPCs) {
		if v := st.VPCs[id]; v.IsDefault && v.Region == region {
			vpc = v
			break
		}
	}
	if vpc == nil {
		vpc = &VPC{ID: "vpc-" + ec2Hex("default-vpc:"+region, 17), Region: region, CidrBlock: "172.31.0.0/16",
			IsDefault: true, EnableDNSSupport: true, EnableDNSHostnames: true}
		st.VPCs[vpc.ID] = vpc
		sub := &Subnet{ID: "subnet-" + ec2Hex("default-subnet:"+region, 17), VpcID: vpc.ID, Region: region,
			CidrBlock: "172.31.0.0/20", AvailabilityZone: region + "a", MapPublicIPOnLaunch: true}
		st.Subnets[sub.ID] = sub
		rt := &RouteTable{ID: "rtb-" + ec2Hex("main:"+vpc.ID, 17), VpcID: vpc.ID, Region: region, Main: true,
			Routes: []Route{{DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-" + ec2Hex("igw:"+vpc.ID, 17), State: "active"}}}
		st.ensureLocalRoute(rt, vpc)
		st.RouteTables[rt.ID] = rt
		st.ensureDefaultSG(vpc)
		return sub
	}
	for _, id := range sortedKeys(st.Subnets) {
		if s := st.Subnets[id]; s.VpcID == vpc.ID {
			return s
		}
	}
	sub := &Subnet{ID: "subnet-" + ec2Hex("default-subnet:"+region, 17), VpcID: vpc.ID, Region: region,
		CidrBlock: vpc.CidrBlock, AvailabilityZone: region + "a", MapPublicIPOnLaunch: true}
	st.Subnets[sub.ID] = sub
	return sub
}

// cidrSize is the number of addresses in a CIDR block (0 when invalid).
func cidrSize(cidr string) int {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return 0
	}
	return 1 << (32 - p.Bits())
}

// privateDNSName is EC2's IP-based host name: us-east-1 uses ec2.internal,
// other regions REGION.compute.internal.
func privateDNSName(ip, region string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}

// ipAllocator hands out the free addresses of each subnet in order,
// skipping the four AWS reserves at the start.
type ipAllocator struct {
	used map[string]bool
	next map[string]uint32
}

func (a *ipAllocator) take(sub *Subnet) (string, bool) {
	p, err := netip.ParsePrefix(sub.CidrBlock)
	if err != nil || !p.Addr().Is4() {
		return "", false
	}
	b := p.Masked().Addr().As4()
	base := binary.BigEndian.Uint32(b[:])
	size := uint32(cidrSize(sub.CidrBlock))
	off, ok := a.next[sub.ID]
	if !ok {
		off = 4
	}
	for ; off < size-1; off++ {
		var ip [4]byte
		binary.BigEndian.PutUint32(ip[:], base+off)
		s := netip.AddrFrom4(ip).String()
		if !a.used[s] {
			a.used[s] = true
			a.next[sub.ID] = off + 1
			return s, true
		}
	}
	return "", false
}

func (st *State) normalizeInstances() error {
	alloc := &ipAllocator{used: map[string]bool{}, next: map[string]uint32{}}
	for _, inst := range st.Instances {
		if inst.PrivateIP != "" {
			alloc.used[inst.PrivateIP] = true
		}
	}
	for _, id := range sortedKeys(st.Instances) {
		inst := st.Instances[id]
		setDefault(&inst.ID, id)
		if inst.ID != id {
			return scenarioErr("instance", id, "InstanceId %s differs from its key", inst.ID)
		}
		setDefault(&inst.Region, st.DefaultRegion)
		var err error
		switch {
		case strings.HasPrefix(id, "i-"):
			err = st.normalizeEC2Instance(inst, alloc)
		case strings.HasPrefix(id, "mi-"):
			err = st.normalizeHybridNode(inst)
		default:
			err = scenarioErr("instance", id, "id must start with i- (EC2) or mi- (hybrid)")
		}
		if err == nil {
			err = checkInstanceShell(inst)
		}
		if err != nil {
			return err
		}
		if err := checkRemoteHosts(inst); err != nil {
			return err
		}
		if inst.Agent.Installed {
			setDefault(&inst.Agent.Version, LatestAgentVersion)
			inst.Agent.IsLatest = inst.Agent.IsLatest || inst.Agent.Version == LatestAgentVersion
			setDefault(&inst.Agent.ComputerName, inst.PrivateDNS)
		}
		if inst.PlatformName == "" {
			if inst.Platform == "windows" {
				inst.PlatformName, inst.PlatformVersion = "Microsoft Windows Server 2022 Datacenter", "10.0.20348"
			} else {
				inst.PlatformName, inst.PlatformVersion = "Amazon Linux", "2023"
			}
		}
	}
	return nil
}

func (st *State) normalizeEC2Instance(inst *Instance, alloc *ipAllocator) error {
	id := inst.ID
	if inst.SubnetID == "" {
		inst.SubnetID = st.defaultSubnet(inst.Region).ID
		st.ensureDefaultSG(st.VPCs[st.Subnets[inst.SubnetID].VpcID])
	}
	sub, ok := st.Subnets[inst.SubnetID]
	if !ok {
		return scenarioErr("instance", id, "subnet %s does not exist", inst.SubnetID)
	}
	if sub.Region != inst.Region {
		return scenarioErr("instance", id, "subnet %s is in %s, the instance in %s", sub.ID, sub.Region, inst.Region)
	}
	setDefault(&inst.VpcID, sub.VpcID)
	if inst.VpcID != sub.VpcID {
		return scenarioErr("instance", id, "subnet %s is not in vpc %s", sub.ID, inst.VpcID)
	}
	if len(inst.SecurityGroupIDs) == 0 {
		inst.SecurityGroupIDs = []string{st.defaultSGOf(inst.VpcID)}
	}
	for _, g := range inst.SecurityGroupIDs {
		sg, ok := st.SecurityGroups[g]
		if !ok {
			return scenarioErr("instance", id, "security group %s does not exist", g)
		}
		if sg.VpcID != inst.VpcID {
			return scenarioErr("instance", id, "security group %s is not in vpc %s", g, inst.VpcID)
		}
	}
	if inst.InstanceProfileName != "" {
		if _, ok := st.InstanceProfile[inst.InstanceProfileName]; !ok {
			return scenarioErr("instance", id, "instance profile %s does not exist", inst.InstanceProfileName)
		}
	}
	setDefault(&inst.State, "running")
	if _, ok := ec2StateCodes[inst.State]; !ok {
		return scenarioErr("instance", id, "state %q is not an EC2 instance state", inst.State)
	}
	setDefault(&inst.InstanceType, "t3.micro")
	setDefault(&inst.ImageID, "ami-"+ec2Hex("image:"+inst.PlatformName+inst.PlatformVersion+inst.Platform, 17))
	if inst.PrivateIP == "" {
		ip, ok := alloc.take(sub)
		if !ok {
			return scenarioErr("instance", id, "subnet %s has no free address", sub.ID)
		}
		inst.PrivateIP = ip
	} else if a, err := netip.ParseAddr(inst.PrivateIP); err != nil {
		return scenarioErr("instance", id, "PrivateIpAddress %q is not an address", inst.PrivateIP)
	} else if p, _ := netip.ParsePrefix(sub.CidrBlock); !p.Contains(a) {
		return scenarioErr("instance", id, "PrivateIpAddress %s is outside subnet %s (%s)", inst.PrivateIP, sub.ID, sub.CidrBlock)
	}
	setDefault(&inst.PrivateDNS, privateDNSName(inst.PrivateIP, inst.Region))
	if inst.PublicIP == "" && sub.MapPublicIPOnLaunch {
		h := sha256.Sum256([]byte("public-ip:" + id))
		inst.PublicIP = fmt.Sprintf("3.%d.%d.%d", 80+h[0]%100, h[1], 1+h[2]%254)
	}
	setDefaultTime(&inst.LaunchTime, scenarioEpoch)
	setDefault(&inst.Metadata.HTTPTokens, "optional")
	setDefault(&inst.Metadata.HTTPEndpoint, "enabled")
	setDefault(&inst.Metadata.HopLimit, 1)
	return nil
}

func (st *State) normalizeHybridNode(inst *Instance) error {
	if inst.SubnetID != "" || inst.InstanceProfileName != "" {
		return scenarioErr("instance", inst.ID, "a hybrid node has no subnet or instance profile")
	}
	setDefault(&inst.Agent.ActivationID, ec2Hex("activation:"+inst.ID, 8)+"-"+ec2Hex("activation2:"+inst.ID, 4)+"-4"+ec2Hex("activation3:"+inst.ID, 3)+"-8"+ec2Hex("activation4:"+inst.ID, 3)+"-"+ec2Hex("activation5:"+inst.ID, 12))
	setDefault(&inst.Agent.IamRole, "SSMServiceRole")
	setDefaultTime(&inst.Agent.RegisteredAt, scenarioEpoch)
	if inst.PrivateDNS == "" && inst.PrivateIP != "" {
		inst.PrivateDNS = "ip-" + strings.ReplaceAll(inst.PrivateIP, ".", "-")
	}
	return nil
}

// normalizeAssociations turns each instance's InstanceProfileName into an
// association (unless one exists) and completes the scenario's own.
func (st *State) normalizeAssociations() error {
	profileByArn := map[string]*InstanceProfile{}
	for _, p := range st.InstanceProfile {
		profileByArn[st.profileArn(p)] = p
	}
	for _, id := range sortedKeys(st.Associations) {
		a := st.Associations[id]
		setDefault(&a.ID, id)
		inst, ok := st.Instances[a.InstanceID]
		if !ok || !strings.HasPrefix(a.InstanceID, "i-") {
			return scenarioErr("association", id, "instance %s does not exist", a.InstanceID)
		}
		p, ok := profileByArn[a.ProfileArn]
		if !ok {
			return scenarioErr("association", id, "instance profile %s does not exist", a.ProfileArn)
		}
		a.ProfileID = p.ID
		setDefault(&a.State, "associated")
		if inst.InstanceProfileName == "" && a.State == "associated" {
			inst.InstanceProfileName = p.Name
		}
	}
	live := map[string]bool{}
	for _, a := range st.Associations {
		if a.State == "associated" || a.State == "associating" {
			live[a.InstanceID] = true
		}
	}
	for _, id := range sortedKeys(st.Instances) {
		inst := st.Instances[id]
		if inst.InstanceProfileName == "" || !strings.HasPrefix(id, "i-") || live[id] {
			continue
		}
		p := st.InstanceProfile[inst.InstanceProfileName]
		aid := "iip-assoc-" + ec2Hex(id+":0", 17)
		st.Associations[aid] = &ProfileAssoc{ID: aid, InstanceID: id, ProfileArn: st.profileArn(p), ProfileID: p.ID, State: "associated"}
	}
	return nil
}

func (st *State) profileArn(p *InstanceProfile) string {
	return iamArn(st.AccountID, "instance-profile", p.Path, p.Name)
}
