package awssim

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type ec2DNSEntry struct {
	DNSName      string `xml:"dnsName"`
	HostedZoneID string `xml:"hostedZoneId"`
}

type ec2VpcEndpointX struct {
	VpcEndpointID       string               `xml:"vpcEndpointId"`
	VpcEndpointType     string               `xml:"vpcEndpointType"`
	VpcID               string               `xml:"vpcId"`
	ServiceName         string               `xml:"serviceName"`
	State               string               `xml:"state"`
	PolicyDocument      string               `xml:"policyDocument"`
	RouteTableIDs       ec2List[string]      `xml:"routeTableIdSet"`
	SubnetIDs           ec2List[string]      `xml:"subnetIdSet"`
	Groups              ec2List[ec2GroupRef] `xml:"groupSet"`
	IPAddressType       string               `xml:"ipAddressType"`
	PrivateDNSEnabled   bool                 `xml:"privateDnsEnabled"`
	RequesterManaged    bool                 `xml:"requesterManaged"`
	NetworkInterfaceIDs ec2List[string]      `xml:"networkInterfaceIdSet"`
	DNSEntries          ec2List[ec2DNSEntry] `xml:"dnsEntrySet"`
	CreationTimestamp   string               `xml:"creationTimestamp"`
	Tags                ec2List[ec2Tag]      `xml:"tagSet"`
	OwnerID             string               `xml:"ownerId"`
}

const ec2FullAccessPolicy = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

func (s *Sim) ec2VpcEndpointXLocked(e *VpcEndpoint, state string) ec2VpcEndpointX {
	st := s.state
	x := ec2VpcEndpointX{
		VpcEndpointID: e.ID, VpcEndpointType: e.Type, VpcID: e.VpcID, ServiceName: e.ServiceName, State: state,
		PolicyDocument: ec2FullAccessPolicy, RouteTableIDs: ec2ListOf(append([]string{}, e.RouteTableIDs...)),
		SubnetIDs: ec2ListOf(append([]string{}, e.SubnetIDs...)), Groups: ec2ListOf([]ec2GroupRef{}),
		PrivateDNSEnabled: e.PrivateDNSEnabled, NetworkInterfaceIDs: ec2ListOf([]string{}),
		DNSEntries: ec2ListOf([]ec2DNSEntry{}), CreationTimestamp: ISOTime(e.CreatedAt),
		Tags: ec2TagSet(nil), OwnerID: st.AccountID,
	}
	if e.Type == "Interface" {
		x.IPAddressType = "ipv4"
		for _, g := range e.SecurityGroupIDs {
			ref := ec2GroupRef{GroupID: g}
			if sg, ok := st.SecurityGroups[g]; ok {
				ref.GroupName = sg.Name
			}
			x.Groups.Item = append(x.Groups.Item, ref)
		}
		for _, sub := range e.SubnetIDs {
			x.NetworkInterfaceIDs.Item = append(x.NetworkInterfaceIDs.Item, "eni-"+ec2Hex(e.ID+"/"+sub, 17))
		}
		svc := ec2ServiceShortName(e.ServiceName)
		x.DNSEntries.Item = append(x.DNSEntries.Item, ec2DNSEntry{
			DNSName:      e.ID + "-" + ec2Hex(e.ID, 8) + "." + svc + "." + e.Region + ".vpce.amazonaws.com",
			HostedZoneID: "Z7HUB22UULQXV",
		})
		if e.PrivateDNSEnabled {
			x.DNSEntries.Item = append(x.DNSEntries.Item, ec2DNSEntry{
				DNSName: svc + "." + e.Region + ".amazonaws.com", HostedZoneID: "Z" + strings.ToUpper(ec2Hex(e.ID+"/phz", 20)),
			})
		}
	}
	return x
}

// ec2ServiceShortName is the service part of com.amazonaws.REGION.SVC.
func ec2ServiceShortName(name string) string {
	parts := strings.SplitN(name, ".", 4)
	if len(parts) == 4 {
		return parts[3]
	}
	return name
}

type ec2DescribeVpcEndpointsOut struct {
	VpcEndpoints ec2List[ec2VpcEndpointX] `xml:"vpcEndpointSet"`
	NextToken    string                   `xml:"nextToken,omitempty"`
}

func (s *Sim) ec2DescribeVpcEndpoints(c *Call) (any, error) {
	return s.ec2Describe(c, 1, s.ec2DescribeVpcEndpointsLocked)
}

func (s *Sim) ec2DescribeVpcEndpointsLocked(c *Call, st *State, max int) (any, error) {
	eps, next, err := ec2Select(c, st.VpcEndpoints, func(v *VpcEndpoint) string { return v.Region },
		c.FormList("VpcEndpointId"),
		func(ids []string) error {
			return ec2NotFound("InvalidVpcEndpointId.NotFound", "Vpc Endpoint Id", "Vpc Endpoint Ids", ids)
		},
		func(v *VpcEndpoint) (map[string][]string, []Tag) {
			return map[string][]string{"vpc-endpoint-id": {v.ID}, "vpc-id": {v.VpcID}, "service-name": {v.ServiceName},
				"vpc-endpoint-type": {v.Type}, "vpc-endpoint-state": {strings.ToLower(v.State)}}, nil
		}, max)
	if err != nil {
		return nil, err
	}
	out := ec2DescribeVpcEndpointsOut{NextToken: next, VpcEndpoints: ec2ListOf([]ec2VpcEndpointX{})}
	for _, e := range eps {
		out.VpcEndpoints.Item = append(out.VpcEndpoints.Item, s.ec2VpcEndpointXLocked(e, e.State))
	}
	return out, nil
}

type ec2CreateVpcEndpointOut struct {
	VpcEndpoint ec2VpcEndpointX `xml:"vpcEndpoint"`
	ClientToken string          `xml:"clientToken,omitempty"`
}

var ec2ServiceNameRe = regexp.MustCompile(`^com\.amazonaws\.([a-z0-9-]+)\.([a-z0-9.-]+)$`)

// ec2GatewayServices are the only services with gateway endpoints.
var ec2GatewayServices = map[string]bool{"s3": true, "dynamodb": true}

func (s *Sim) ec2CreateVpcEndpoint(c *Call) (any, error) {
	vpcID, svc := c.Form.Get("VpcId"), c.Form.Get("ServiceName")
	typ := c.Form.Get("VpcEndpointType")
	if typ == "" {
		typ = "Gateway"
	}
	switch {
	case vpcID == "":
		return nil, Errf("MissingParameter", "The request must contain the parameter VpcId")
	case svc == "":
		return nil, Errf("MissingParameter", "The request must contain the parameter ServiceName")
	case typ != "Interface" && typ != "Gateway":
		return nil, Errf("InvalidParameterValue", "Value (%s) for parameter VpcEndpointType is invalid.", typ)
	}
	subnets, groups, tables := c.FormList("SubnetId"), c.FormList("SecurityGroupId"), c.FormList("RouteTableId")
	m := ec2ServiceNameRe.FindStringSubmatch(svc)
	if m == nil || m[1] != c.Region || (typ == "Gateway" && !ec2GatewayServices[m[2]]) {
		return nil, Errf("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", svc)
	}
	if err := s.authorize(c, "ec2:CreateVpcEndpoint", s.ec2Arn(c.Region, "vpc-endpoint", "*"), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	vpc, ok := st.VPCs[vpcID]
	if !ok || vpc.Region != c.Region {
		return nil, Errf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	e := &VpcEndpoint{Region: c.Region, VpcID: vpcID, ServiceName: svc, Type: typ, State: "available", CreatedAt: s.now().UTC()}
	if typ == "Interface" {
		// AWS turns private DNS on by default for AWS services.
		e.PrivateDNSEnabled = ec2Bool(c, "PrivateDnsEnabled", true)
		seenAZ := map[string]bool{}
		for _, id := range subnets {
			sub, ok := st.Subnets[id]
			if !ok || sub.Region != c.Region {
				return nil, Errf("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
			}
			if sub.VpcID != vpcID {
				return nil, Errf("InvalidParameter", "The subnet ID '%s' does not belong to the vpc '%s'", id, vpcID)
			}
			if seenAZ[sub.AvailabilityZone] {
				return nil, Errf("DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of %s. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.", id)
			}
			seenAZ[sub.AvailabilityZone] = true
		}
		for _, g := range groups {
			sg, ok := st.SecurityGroups[g]
			if !ok || sg.Region != c.Region {
				return nil, Errf("InvalidSecurityGroupId.NotFound", "The security group '%s' does not exist", g)
			}
		}
		if len(groups) == 0 {
			if def := s.ec2VpcDefaultSGLocked(vpcID); def != "" {
				groups = []string{def}
			}
		}
		if e.PrivateDNSEnabled {
			if !vpc.EnableDNSSupport || !vpc.EnableDNSHostnames {
				return nil, Errf("InvalidParameter", "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s", vpcID)
			}
			for _, other := range st.VpcEndpoints {
				if other.VpcID == vpcID && other.ServiceName == svc && other.PrivateDNSEnabled && other.State != "deleted" {
					return nil, Errf("InvalidParameter", "private-dns-enabled cannot be set because there is already a conflicting DNS domain for %s.%s.amazonaws.com in the VPC %s", m[2], c.Region, vpcID)
				}
			}
		}
		e.SubnetIDs, e.SecurityGroupIDs = subnets, groups
	} else {
		for _, id := range tables {
			rt, ok := st.RouteTables[id]
			if !ok || rt.Region != c.Region {
				return nil, Errf("InvalidRouteTableId.NotFound", "The routeTable ID '%s' does not exist", id)
			}
		}
		e.RouteTableIDs = tables
	}
	for n := 0; e.ID == "" || st.VpcEndpoints[e.ID] != nil; n++ {
		e.ID = "vpce-" + ec2Hex(vpcID+"/"+svc+"/"+strconv.Itoa(n), 17)
	}
	st.VpcEndpoints[e.ID] = e
	// A gateway endpoint is reached through a prefix-list route in each of
	// its tables.
	for _, id := range e.RouteTableIDs {
		rt := st.RouteTables[id]
		rt.Routes = append(rt.Routes, Route{VpcEndpointID: e.ID, State: "active"})
	}
	// AWS answers "pending" (Interface) and the endpoint is available by the
	// next read; gateway endpoints are available at once.
	state := "available"
	if typ == "Interface" {
		state = "pending"
	}
	return ec2CreateVpcEndpointOut{VpcEndpoint: s.ec2VpcEndpointXLocked(e, state), ClientToken: c.Form.Get("ClientToken")}, nil
}

func (s *Sim) ec2VpcDefaultSGLocked(vpcID string) string {
	var ids []string
	for _, g := range s.state.SecurityGroups {
		if g.VpcID == vpcID && g.Name == "default" {
			ids = append(ids, g.ID)
		}
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}
