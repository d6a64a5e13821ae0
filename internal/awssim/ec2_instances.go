package awssim

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var ec2InstanceIDRe = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)

var ec2StateCodes = map[string]int{
	"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80,
}

type ec2InstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

func ec2State(name string) ec2InstanceState {
	return ec2InstanceState{Code: ec2StateCodes[name], Name: name}
}

type ec2Reservation struct {
	ReservationID string                `xml:"reservationId"`
	OwnerID       string                `xml:"ownerId"`
	Groups        ec2List[ec2GroupRef]  `xml:"groupSet"`
	Instances     ec2List[ec2InstanceX] `xml:"instancesSet"`
}

type ec2Placement struct {
	AvailabilityZone string `xml:"availabilityZone"`
	GroupName        string `xml:"groupName"`
	Tenancy          string `xml:"tenancy"`
}

type ec2ProfileRef struct {
	Arn string `xml:"arn"`
	ID  string `xml:"id"`
}

type ec2MetadataOptions struct {
	State                   string `xml:"state"`
	HTTPTokens              string `xml:"httpTokens"`
	HTTPPutResponseHopLimit int    `xml:"httpPutResponseHopLimit"`
	HTTPEndpoint            string `xml:"httpEndpoint"`
	HTTPProtocolIPv6        string `xml:"httpProtocolIpv6"`
	InstanceMetadataTags    string `xml:"instanceMetadataTags"`
}

type ec2Monitoring struct {
	State string `xml:"state"`
}

// ec2InstanceX is one instancesSet item, in the order EC2 writes it.
type ec2InstanceX struct {
	InstanceID         string               `xml:"instanceId"`
	ImageID            string               `xml:"imageId"`
	InstanceState      ec2InstanceState     `xml:"instanceState"`
	PrivateDNSName     string               `xml:"privateDnsName"`
	DNSName            string               `xml:"dnsName"`
	Reason             string               `xml:"reason"`
	KeyName            string               `xml:"keyName,omitempty"`
	AmiLaunchIndex     int                  `xml:"amiLaunchIndex"`
	InstanceType       string               `xml:"instanceType"`
	LaunchTime         string               `xml:"launchTime"`
	Placement          ec2Placement         `xml:"placement"`
	Platform           string               `xml:"platform,omitempty"`
	Monitoring         ec2Monitoring        `xml:"monitoring"`
	SubnetID           string               `xml:"subnetId"`
	VpcID              string               `xml:"vpcId"`
	PrivateIPAddress   string               `xml:"privateIpAddress"`
	IPAddress          string               `xml:"ipAddress,omitempty"`
	IPv6Address        string               `xml:"ipv6Address,omitempty"`
	SourceDestCheck    bool                 `xml:"sourceDestCheck"`
	Groups             ec2List[ec2GroupRef] `xml:"groupSet"`
	Architecture       string               `xml:"architecture"`
	RootDeviceType     string               `xml:"rootDeviceType"`
	RootDeviceName     string               `xml:"rootDeviceName"`
	VirtualizationType string               `xml:"virtualizationType"`
	Tags               ec2List[ec2Tag]      `xml:"tagSet"`
	Hypervisor         string               `xml:"hypervisor"`
	IamInstanceProfile *ec2ProfileRef       `xml:"iamInstanceProfile,omitempty"`
	EbsOptimized       bool                 `xml:"ebsOptimized"`
	EnaSupport         bool                 `xml:"enaSupport"`
	MetadataOptions    ec2MetadataOptions   `xml:"metadataOptions"`
	PlatformDetails    string               `xml:"platformDetails"`
	UsageOperation     string               `xml:"usageOperation"`
}

type ec2DescribeInstancesOut struct {
	Reservations ec2List[ec2Reservation] `xml:"reservationSet"`
	NextToken    string                  `xml:"nextToken,omitempty"`
}

// ec2CheckInstanceIDs validates ids as EC2 does: a malformed id fails
// before any lookup. Hybrid mi- ids are malformed for EC2.
func ec2CheckInstanceIDs(ids []string) error {
	for _, id := range ids {
		if !ec2InstanceIDRe.MatchString(id) {
			return Errf("InvalidInstanceID.Malformed", "Invalid id: \"%s\" (expecting \"i-...\")", id)
		}
	}
	return nil
}

// ec2InstancesLocked returns the region's EC2 instances named by ids (all
// of them when ids is empty), sorted by id, or NotFound naming every
// missing id.
func (s *Sim) ec2InstancesLocked(region string, ids []string) ([]*Instance, error) {
	st := s.state
	var out []*Instance
	if len(ids) == 0 {
		for id, inst := range st.Instances {
			if strings.HasPrefix(id, "i-") && inst.Region == region {
				out = append(out, inst)
			}
		}
	} else {
		var missing []string
		seen := map[string]bool{}
		for _, id := range ids {
			inst, ok := st.Instances[id]
			if !ok || inst.Region != region {
				missing = append(missing, id)
				continue
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, inst)
			}
		}
		if len(missing) > 0 {
			return nil, ec2NotFound("InvalidInstanceID.NotFound", "instance ID", "instance IDs", missing)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func ec2InstanceField(inst *Instance, name string) ([]string, bool) {
	switch name {
	case "instance-id":
		return []string{inst.ID}, true
	case "instance-state-name":
		return []string{inst.State}, true
	case "instance-state-code":
		return []string{strconv.Itoa(ec2StateCodes[inst.State])}, true
	case "private-ip-address":
		return []string{inst.PrivateIP}, true
	case "private-dns-name":
		return []string{inst.PrivateDNS}, true
	case "ip-address":
		return []string{ec2PublicAddress(inst)}, true
	case "dns-name":
		return []string{ec2PublicDNSName(inst)}, true
	case "ipv6-address":
		return []string{inst.IPv6}, true
	case "vpc-id":
		return []string{inst.VpcID}, true
	case "subnet-id":
		return []string{inst.SubnetID}, true
	case "instance-type":
		return []string{inst.InstanceType}, true
	case "image-id":
		return []string{inst.ImageID}, true
	case "instance.group-id":
		return inst.SecurityGroupIDs, true
	case "key-name":
		return []string{inst.KeyName}, true
	}
	return nil, false
}

func (s *Sim) ec2DescribeInstances(c *Call) (any, error) {
	if err := s.authorize(c, "ec2:DescribeInstances", "*", nil); err != nil {
		return nil, err
	}
	ids := c.FormList("InstanceId")
	if len(ids) > 0 && c.Form.Get("MaxResults") != "" {
		return nil, Errf("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	max, err := ec2MaxResults(c, 5)
	if err != nil {
		return nil, err
	}
	if err := ec2CheckInstanceIDs(ids); err != nil {
		return nil, err
	}
	filters := c.EC2Filters()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2SettleLocked()
	insts, err := s.ec2InstancesLocked(c.Region, ids)
	if err != nil {
		return nil, err
	}
	matched := insts
	if len(filters) > 0 {
		matched = nil
	}
	for _, inst := range insts {
		if len(filters) == 0 {
			break
		}
		// Each filter asks for its own field: a page of a large fleet
		// filters every instance, and most fields are never asked for.
		ok, err := ec2ApplyFilterFunc(filters, func(name string) ([]string, bool) { return ec2InstanceField(inst, name) }, inst.Tags)
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, inst)
		}
	}
	start, end, next, perr := Page("DescribeInstances", len(matched), max, c.Form.Get("NextToken"))
	if perr != nil {
		return nil, perr
	}
	out := ec2DescribeInstancesOut{NextToken: next, Reservations: ec2ListOf([]ec2Reservation{})}
	assocs := s.ec2AssocIndexLocked()
	for _, inst := range matched[start:end] {
		x := s.ec2InstanceXLocked(inst, assocs[inst.ID])
		out.Reservations.Item = append(out.Reservations.Item, ec2Reservation{
			ReservationID: "r-" + ec2Hex("reservation:"+inst.ID, 17),
			OwnerID:       s.state.AccountID,
			Groups:        ec2ListOf([]ec2GroupRef{}),
			Instances:     ec2ListOf([]ec2InstanceX{x}),
		})
	}
	return out, nil
}

func (s *Sim) ec2InstanceXLocked(inst *Instance, assoc *ProfileAssoc) ec2InstanceX {
	st := s.state
	az := ""
	if sub, ok := st.Subnets[inst.SubnetID]; ok {
		az = sub.AvailabilityZone
	}
	groups := []ec2GroupRef{}
	for _, g := range inst.SecurityGroupIDs {
		ref := ec2GroupRef{GroupID: g}
		if sg, ok := st.SecurityGroups[g]; ok {
			ref.GroupName = sg.Name
		}
		groups = append(groups, ref)
	}
	x := ec2InstanceX{
		InstanceID:         inst.ID,
		ImageID:            inst.ImageID,
		InstanceState:      ec2State(inst.State),
		PrivateDNSName:     inst.PrivateDNS,
		KeyName:            inst.KeyName,
		InstanceType:       inst.InstanceType,
		LaunchTime:         ISOTime(inst.LaunchTime),
		Placement:          ec2Placement{AvailabilityZone: az, Tenancy: "default"},
		Platform:           inst.Platform,
		Monitoring:         ec2Monitoring{State: "disabled"},
		SubnetID:           inst.SubnetID,
		VpcID:              inst.VpcID,
		PrivateIPAddress:   inst.PrivateIP,
		SourceDestCheck:    true,
		Groups:             ec2ListOf(groups),
		Architecture:       "x86_64",
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/xvda",
		VirtualizationType: "hvm",
		Tags:               ec2TagSet(inst.Tags),
		Hypervisor:         "xen",
		EbsOptimized:       false,
		EnaSupport:         true,
		MetadataOptions: ec2MetadataOptions{
			State:                   "applied",
			HTTPTokens:              inst.Metadata.HTTPTokens,
			HTTPPutResponseHopLimit: inst.Metadata.HopLimit,
			HTTPEndpoint:            inst.Metadata.HTTPEndpoint,
			HTTPProtocolIPv6:        "disabled",
			InstanceMetadataTags:    "disabled",
		},
		PlatformDetails: "Linux/UNIX",
		UsageOperation:  "RunInstances",
	}
	if inst.Platform == "windows" {
		x.PlatformDetails, x.UsageOperation = "Windows", "RunInstances:0002"
		x.RootDeviceName = "/dev/sda1"
	}
	// A stopped instance gives its public address back.
	if inst.State == "running" || inst.State == "pending" {
		x.IPAddress = inst.PublicIP
		x.DNSName = ec2PublicDNSName(inst)
	}
	// An IPv6 address stays with the network interface whatever the state.
	x.IPv6Address = inst.IPv6
	if inst.State == "stopped" {
		x.Reason = "User initiated"
	}
	if assoc != nil {
		x.IamInstanceProfile = &ec2ProfileRef{Arn: assoc.ProfileArn, ID: assoc.ProfileID}
	}
	return x
}

// ec2AssocIndexLocked maps each instance to its live association, so that
// a page of a large fleet costs one pass over the associations, not one
// per instance.
func (s *Sim) ec2AssocIndexLocked() map[string]*ProfileAssoc {
	idx := make(map[string]*ProfileAssoc, len(s.state.Associations))
	for _, a := range s.state.Associations {
		if a.State != "associated" && a.State != "associating" {
			continue
		}
		if cur := idx[a.InstanceID]; cur == nil || a.ID < cur.ID {
			idx[a.InstanceID] = a
		}
	}
	return idx
}

// ec2CurrentAssocLocked is the instance's live profile association, the
// truth DescribeInstances reports (unlike moto, which keeps the old one
// after a replace).
func (s *Sim) ec2CurrentAssocLocked(instanceID string) *ProfileAssoc {
	var best *ProfileAssoc
	for _, a := range s.state.Associations {
		if a.InstanceID == instanceID && (a.State == "associated" || a.State == "associating") {
			if best == nil || a.ID < best.ID {
				best = a
			}
		}
	}
	return best
}
