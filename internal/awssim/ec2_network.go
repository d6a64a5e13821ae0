package awssim

import (
	"sort"
	"strconv"
	"strings"
)

// ec2Select is the shared shape of the network Describe calls: ids named
// explicitly must all exist (else notFound), filters narrow, and the
// result is paged in id order (tokens bound to the operation).
func ec2Select[T any](c *Call, all map[string]T, region func(T) string,
	ids []string, notFound func([]string) error,
	fields func(T) (map[string][]string, []Tag), max int) ([]T, string, error) {
	var keys []string
	if len(ids) > 0 {
		var missing []string
		seen := map[string]bool{}
		for _, id := range ids {
			v, ok := all[id]
			if !ok || region(v) != c.Region {
				missing = append(missing, id)
				continue
			}
			if !seen[id] {
				seen[id] = true
				keys = append(keys, id)
			}
		}
		if len(missing) > 0 {
			return nil, "", notFound(missing)
		}
	} else {
		for id, v := range all {
			if region(v) == c.Region {
				keys = append(keys, id)
			}
		}
	}
	sort.Strings(keys)
	filters := c.EC2Filters()
	var out []T
	for _, k := range keys {
		f, tags := fields(all[k])
		ok, err := ec2ApplyFilters(filters, f, tags)
		if err != nil {
			return nil, "", err
		}
		if ok {
			out = append(out, all[k])
		}
	}
	start, end, next, perr := Page(c.Op, len(out), max, c.Form.Get("NextToken"))
	if perr != nil {
		return nil, "", perr
	}
	return out[start:end], next, nil
}

// ec2Describe is the frame of the Describe calls that need nothing checked
// before MaxResults: authorize, read MaxResults (lo is the smallest EC2
// accepts for the call), then answer under the lock.
func (s *Sim) ec2Describe(c *Call, lo int, answer func(c *Call, st *State, max int) (any, error)) (any, error) {
	if err := s.authorize(c, "ec2:"+c.Op, "*", nil); err != nil {
		return nil, err
	}
	max, err := ec2MaxResults(c, lo)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return answer(c, s.state, max)
}

type ec2SubnetX struct {
	SubnetID                string          `xml:"subnetId"`
	SubnetArn               string          `xml:"subnetArn"`
	State                   string          `xml:"state"`
	OwnerID                 string          `xml:"ownerId"`
	VpcID                   string          `xml:"vpcId"`
	CidrBlock               string          `xml:"cidrBlock"`
	AvailableIPAddressCount int             `xml:"availableIpAddressCount"`
	AvailabilityZone        string          `xml:"availabilityZone"`
	AvailabilityZoneID      string          `xml:"availabilityZoneId"`
	DefaultForAz            bool            `xml:"defaultForAz"`
	MapPublicIPOnLaunch     bool            `xml:"mapPublicIpOnLaunch"`
	Tags                    ec2List[ec2Tag] `xml:"tagSet"`
}

type ec2DescribeSubnetsOut struct {
	Subnets   ec2List[ec2SubnetX] `xml:"subnetSet"`
	NextToken string              `xml:"nextToken,omitempty"`
}

func (s *Sim) ec2DescribeSubnets(c *Call) (any, error) {
	return s.ec2Describe(c, 5, s.ec2DescribeSubnetsLocked)
}

func (s *Sim) ec2DescribeSubnetsLocked(c *Call, st *State, max int) (any, error) {
	subs, next, err := ec2Select(c, st.Subnets, func(v *Subnet) string { return v.Region },
		c.FormList("SubnetId"),
		func(ids []string) error {
			return ec2NotFound("InvalidSubnetID.NotFound", "subnet ID", "subnet IDs", ids)
		},
		func(v *Subnet) (map[string][]string, []Tag) {
			return map[string][]string{
				"subnet-id": {v.ID}, "vpc-id": {v.VpcID}, "availability-zone": {v.AvailabilityZone},
				"cidr-block": {v.CidrBlock}, "default-for-az": {strconv.FormatBool(s.ec2DefaultForAzLocked(v))},
				"map-public-ip-on-launch": {strconv.FormatBool(v.MapPublicIPOnLaunch)}, "state": {"available"},
			}, v.Tags
		}, max)
	if err != nil {
		return nil, err
	}
	out := ec2DescribeSubnetsOut{NextToken: next, Subnets: ec2ListOf([]ec2SubnetX{})}
	for _, v := range subs {
		out.Subnets.Item = append(out.Subnets.Item, ec2SubnetX{
			SubnetID:                v.ID,
			SubnetArn:               "arn:aws:ec2:" + v.Region + ":" + st.AccountID + ":subnet/" + v.ID,
			State:                   "available",
			OwnerID:                 st.AccountID,
			VpcID:                   v.VpcID,
			CidrBlock:               v.CidrBlock,
			AvailableIPAddressCount: s.ec2FreeAddressesLocked(v),
			AvailabilityZone:        v.AvailabilityZone,
			AvailabilityZoneID:      ec2AzID(v.AvailabilityZone),
			DefaultForAz:            s.ec2DefaultForAzLocked(v),
			MapPublicIPOnLaunch:     v.MapPublicIPOnLaunch,
			Tags:                    ec2TagSet(v.Tags),
		})
	}
	return out, nil
}

func (s *Sim) ec2DefaultForAzLocked(sub *Subnet) bool {
	v, ok := s.state.VPCs[sub.VpcID]
	return ok && v.IsDefault
}

// ec2FreeAddressesLocked is the subnet's size minus AWS's five reserved
// addresses and the instances in it.
func (s *Sim) ec2FreeAddressesLocked(sub *Subnet) int {
	n := cidrSize(sub.CidrBlock) - 5
	for _, inst := range s.state.Instances {
		if inst.SubnetID == sub.ID {
			n--
		}
	}
	if n < 0 {
		n = 0
	}
	return n
}

// ec2AzID maps an AZ name to a zone id in AWS's style (us-east-1a ->
// use1-az1). Real zone ids are shuffled per account; stable is enough here.
func ec2AzID(az string) string {
	if len(az) < 2 {
		return ""
	}
	parts := strings.Split(az[:len(az)-1], "-")
	if len(parts) < 2 {
		return ""
	}
	short := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		short += p[:1]
	}
	short += parts[len(parts)-1]
	return short + "-az" + strconv.Itoa(int(az[len(az)-1]-'a')+1)
}

type ec2RouteX struct {
	DestinationCidrBlock string `xml:"destinationCidrBlock,omitempty"`
	GatewayID            string `xml:"gatewayId,omitempty"`
	NatGatewayID         string `xml:"natGatewayId,omitempty"`
	TransitGatewayID     string `xml:"transitGatewayId,omitempty"`
	State                string `xml:"state"`
	Origin               string `xml:"origin"`
}

type ec2AssocState struct {
	State string `xml:"state"`
}

type ec2RTAssocX struct {
	RouteTableAssociationID string        `xml:"routeTableAssociationId"`
	RouteTableID            string        `xml:"routeTableId"`
	SubnetID                string        `xml:"subnetId,omitempty"`
	Main                    bool          `xml:"main"`
	AssociationState        ec2AssocState `xml:"associationState"`
}

type ec2RouteTableX struct {
	RouteTableID    string               `xml:"routeTableId"`
	VpcID           string               `xml:"vpcId"`
	OwnerID         string               `xml:"ownerId"`
	Routes          ec2List[ec2RouteX]   `xml:"routeSet"`
	Associations    ec2List[ec2RTAssocX] `xml:"associationSet"`
	PropagatingVgws ec2List[string]      `xml:"propagatingVgwSet"`
	Tags            ec2List[ec2Tag]      `xml:"tagSet"`
}

type ec2DescribeRouteTablesOut struct {
	RouteTables ec2List[ec2RouteTableX] `xml:"routeTableSet"`
	NextToken   string                  `xml:"nextToken,omitempty"`
}

func (s *Sim) ec2DescribeRouteTables(c *Call) (any, error) {
	return s.ec2Describe(c, 5, s.ec2DescribeRouteTablesLocked)
}

func (s *Sim) ec2DescribeRouteTablesLocked(c *Call, st *State, max int) (any, error) {
	tables, next, err := ec2Select(c, st.RouteTables, func(v *RouteTable) string { return v.Region },
		c.FormList("RouteTableId"),
		func(ids []string) error {
			return ec2NotFound("InvalidRouteTableID.NotFound", "routeTable ID", "routeTable IDs", ids)
		},
		func(v *RouteTable) (map[string][]string, []Tag) {
			f := map[string][]string{
				"route-table-id":               {v.ID},
				"vpc-id":                       {v.VpcID},
				"association.main":             {strconv.FormatBool(v.Main)},
				"association.subnet-id":        v.Subnets,
				"route.gateway-id":             nil,
				"route.nat-gateway-id":         nil,
				"route.destination-cidr-block": nil,
			}
			for _, r := range v.Routes {
				f["route.gateway-id"] = append(f["route.gateway-id"], r.GatewayID, r.VpcEndpointID)
				f["route.nat-gateway-id"] = append(f["route.nat-gateway-id"], r.NatGatewayID)
				f["route.destination-cidr-block"] = append(f["route.destination-cidr-block"], r.DestinationCidrBlock)
			}
			return f, nil
		}, max)
	if err != nil {
		return nil, err
	}
	out := ec2DescribeRouteTablesOut{NextToken: next, RouteTables: ec2ListOf([]ec2RouteTableX{})}
	for _, v := range tables {
		x := ec2RouteTableX{
			RouteTableID: v.ID, VpcID: v.VpcID, OwnerID: st.AccountID,
			Routes:          ec2ListOf([]ec2RouteX{}),
			Associations:    ec2ListOf([]ec2RTAssocX{}),
			PropagatingVgws: ec2ListOf([]string{}),
			Tags:            ec2TagSet(nil),
		}
		for _, r := range v.Routes {
			origin := "CreateRoute"
			if r.GatewayID == "local" {
				origin = "CreateRouteTable"
			}
			gw := r.GatewayID
			if r.VpcEndpointID != "" {
				gw = r.VpcEndpointID
			}
			x.Routes.Item = append(x.Routes.Item, ec2RouteX{
				DestinationCidrBlock: r.DestinationCidrBlock, GatewayID: gw, NatGatewayID: r.NatGatewayID,
				TransitGatewayID: r.TransitGatewayID, State: r.State, Origin: origin,
			})
		}
		if v.Main {
			x.Associations.Item = append(x.Associations.Item, ec2RTAssocX{
				RouteTableAssociationID: "rtbassoc-" + ec2Hex(v.ID+":main", 17), RouteTableID: v.ID,
				Main: true, AssociationState: ec2AssocState{State: "associated"},
			})
		}
		for _, sub := range v.Subnets {
			x.Associations.Item = append(x.Associations.Item, ec2RTAssocX{
				RouteTableAssociationID: "rtbassoc-" + ec2Hex(v.ID+":"+sub, 17), RouteTableID: v.ID,
				SubnetID: sub, AssociationState: ec2AssocState{State: "associated"},
			})
		}
		out.RouteTables.Item = append(out.RouteTables.Item, x)
	}
	return out, nil
}

type ec2BoolValue struct {
	Value bool `xml:"value"`
}

type ec2VpcAttributeOut struct {
	VpcID              string        `xml:"vpcId"`
	EnableDNSSupport   *ec2BoolValue `xml:"enableDnsSupport,omitempty"`
	EnableDNSHostnames *ec2BoolValue `xml:"enableDnsHostnames,omitempty"`
}

func (s *Sim) ec2DescribeVpcAttribute(c *Call) (any, error) {
	if err := s.authorize(c, "ec2:DescribeVpcAttribute", "*", nil); err != nil {
		return nil, err
	}
	id, attr := c.Form.Get("VpcId"), c.Form.Get("Attribute")
	if id == "" {
		return nil, Errf("MissingParameter", "The request must contain the parameter vpcId")
	}
	if attr == "" {
		return nil, Errf("MissingParameter", "The request must contain the parameter attribute")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.state.VPCs[id]
	if !ok || v.Region != c.Region {
		return nil, Errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	out := ec2VpcAttributeOut{VpcID: id}
	switch attr {
	case "enableDnsSupport":
		out.EnableDNSSupport = &ec2BoolValue{Value: v.EnableDNSSupport}
	case "enableDnsHostnames":
		out.EnableDNSHostnames = &ec2BoolValue{Value: v.EnableDNSHostnames}
	default:
		return nil, Errf("InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
	}
	return out, nil
}

type ec2RegionX struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type ec2DescribeRegionsOut struct {
	Regions ec2List[ec2RegionX] `xml:"regionInfo"`
}

func (s *Sim) ec2DescribeRegions(c *Call) (any, error) {
	if err := s.authorize(c, "ec2:DescribeRegions", "*", nil); err != nil {
		return nil, err
	}
	names := c.FormList("RegionName")
	filters := c.EC2Filters()
	s.mu.Lock()
	regions := append([]string(nil), s.state.Regions...)
	s.mu.Unlock()
	known := map[string]bool{}
	for _, r := range regions {
		known[r] = true
	}
	for _, n := range names {
		if !known[n] {
			return nil, Errf("InvalidParameterValue", "Invalid region: %s", n)
		}
	}
	sort.Strings(regions)
	out := ec2DescribeRegionsOut{Regions: ec2ListOf([]ec2RegionX{})}
	for _, r := range regions {
		if len(names) > 0 && !ec2FilterMatch(names, r) {
			continue
		}
		ep := "ec2." + r + ".amazonaws.com"
		ok, err := ec2ApplyFilters(filters, map[string][]string{
			"region-name": {r}, "endpoint": {ep}, "opt-in-status": {"opt-in-not-required"},
		}, nil)
		if err != nil {
			return nil, err
		}
		if ok {
			out.Regions.Item = append(out.Regions.Item, ec2RegionX{RegionName: r, RegionEndpoint: ep, OptInStatus: "opt-in-not-required"})
		}
	}
	return out, nil
}
