package awssim

import (
	"slices"
	"sort"
	"strings"
	"time"
)

type ssmInstanceInfo struct {
	InstanceID       string   `json:"InstanceId"`
	PingStatus       string   `json:"PingStatus"`
	LastPingDateTime float64  `json:"LastPingDateTime,omitempty"`
	AgentVersion     string   `json:"AgentVersion,omitempty"`
	IsLatestVersion  bool     `json:"IsLatestVersion"`
	PlatformType     string   `json:"PlatformType,omitempty"`
	PlatformName     string   `json:"PlatformName,omitempty"`
	PlatformVersion  string   `json:"PlatformVersion,omitempty"`
	ResourceType     string   `json:"ResourceType"`
	IPAddress        string   `json:"IPAddress,omitempty"`
	ComputerName     string   `json:"ComputerName,omitempty"`
	ActivationID     string   `json:"ActivationId,omitempty"`
	IamRole          string   `json:"IamRole,omitempty"`
	RegistrationDate *float64 `json:"RegistrationDate,omitempty"`
	SourceID         string   `json:"SourceId"`
	SourceType       string   `json:"SourceType"`
}

type diiFilter struct {
	Key    string
	Values []string
}

func (s *Sim) ssmDescribeInstanceInformation(c *Call) (any, error) {
	var in struct {
		InstanceInformationFilterList []struct {
			Key      string   `json:"key"`
			ValueSet []string `json:"valueSet"`
		}
		Filters []struct {
			Key    string
			Values []string
		}
		MaxResults *int
		NextToken  string
	}
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if err := validMaxResults(in.MaxResults, 5, 50); err != nil {
		return nil, err
	}
	var filters []diiFilter
	for _, f := range in.InstanceInformationFilterList {
		if !diiListKeys[f.Key] {
			return nil, Errf("InvalidInstanceInformationFilterValue", "The filter key %s is not valid.", f.Key)
		}
		filters = append(filters, diiFilter{Key: f.Key, Values: f.ValueSet})
	}
	for _, f := range in.Filters {
		if !diiListKeys[f.Key] && !strings.HasPrefix(f.Key, "tag:") && f.Key != "tag-key" {
			return nil, Errf("InvalidFilterKey", "The filter key %s is not valid.", f.Key)
		}
		filters = append(filters, diiFilter{Key: f.Key, Values: f.Values})
	}
	for _, f := range filters {
		if len(f.Values) == 0 {
			return nil, Errf("InvalidInstanceInformationFilterValue", "The filter %s requires at least one value.", f.Key)
		}
		if f.Key == "InstanceIds" {
			for _, v := range f.Values {
				if !nodeIDPattern.MatchString(v) {
					return nil, Errf("InvalidInstanceInformationFilterValue", "%s is not a valid instance id.", v)
				}
			}
		}
	}
	if err := s.authorize(c, "ssm:DescribeInstanceInformation", s.ssmWildcardARN(c.Region), nil); err != nil {
		return nil, err
	}

	s.mu.Lock()
	now := s.now()
	cands, _ := s.state.diiCandidates(filters)
	idx := s.profilesIndexLocked()
	var all []ssmInstanceInfo
	for _, inst := range cands {
		// Registration evaluates the node's role: skip nodes an id filter
		// excludes anyway, the doctor's usual one-node query.
		if inst.Region != c.Region || !idFiltersAdmit(filters, inst.ID) {
			continue
		}
		reg, ping, last := s.state.registrationIndexed(inst, now, idx)
		if !reg {
			continue
		}
		info := s.state.instanceInfo(inst, ping, last)
		if matchesDII(info, inst.Tags, filters) {
			all = append(all, info)
		}
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].InstanceID < all[j].InstanceID })

	max := 50
	if in.MaxResults != nil {
		max = *in.MaxResults
	}
	start, end, next, perr := Page("ssm.DescribeInstanceInformation", len(all), max, in.NextToken)
	if perr != nil {
		return nil, perr
	}
	type out struct {
		InstanceInformationList []ssmInstanceInfo
		NextToken               string `json:",omitempty"`
	}
	return out{InstanceInformationList: append([]ssmInstanceInfo{}, all[start:end]...), NextToken: next}, nil
}

// diiListKeys are the keys both filter forms accept (besides tags).
var diiListKeys = map[string]bool{
	"InstanceIds": true, "AgentVersion": true, "PingStatus": true, "PlatformTypes": true,
	"ActivationIds": true, "IamRole": true, "ResourceType": true, "AssociationStatus": true,
}

// diiCandidates are the nodes an InstanceIds filter names (named true), or
// else every node. A fleet lists 50 ids a page: scanning every instance
// (and every association) for each of 200 pages made a 10,000-node
// listing quadratic.
func (st *State) diiCandidates(filters []diiFilter) ([]*Instance, bool) {
	for _, f := range filters {
		if f.Key != "InstanceIds" {
			continue
		}
		seen := map[string]bool{}
		var out []*Instance
		for _, id := range f.Values {
			if inst := st.Instances[id]; inst != nil && !seen[id] {
				seen[id] = true
				out = append(out, inst)
			}
		}
		return out, true
	}
	out := make([]*Instance, 0, len(st.Instances))
	for _, inst := range st.Instances {
		out = append(out, inst)
	}
	return out, false
}

// profilesIndexLocked is the association index, built once and kept until
// an association changes: a fleet asks for its nodes 50 at a time, and
// scanning every association for each page (under the simulator's lock)
// made 10,000 nodes cost the doctor's prefetch most of its time.
func (s *Sim) profilesIndexLocked() profilesByInstance {
	if s.profiles == nil {
		s.profiles = s.state.indexProfiles()
	}
	return s.profiles
}

func idFiltersAdmit(filters []diiFilter, id string) bool {
	for _, f := range filters {
		if f.Key == "InstanceIds" && !slices.Contains(f.Values, id) {
			return false
		}
	}
	return true
}

func (st *State) instanceInfo(inst *Instance, ping string, last time.Time) ssmInstanceInfo {
	info := ssmInstanceInfo{
		InstanceID:      inst.ID,
		PingStatus:      ping,
		AgentVersion:    inst.Agent.Version,
		IsLatestVersion: inst.Agent.IsLatest,
		PlatformType:    "Linux",
		PlatformName:    inst.PlatformName,
		PlatformVersion: inst.PlatformVersion,
		ResourceType:    "EC2Instance",
		IPAddress:       inst.PrivateIP,
		ComputerName:    inst.Agent.ComputerName,
		SourceID:        inst.ID,
		SourceType:      "AWS::EC2::Instance",
	}
	if !last.IsZero() {
		info.LastPingDateTime = EpochSeconds(last)
	}
	if strings.EqualFold(inst.Platform, "windows") {
		info.PlatformType = "Windows"
	}
	if isHybrid(inst.ID) {
		info.ResourceType = "ManagedInstance"
		info.SourceType = "AWS::SSM::ManagedInstance"
		info.ActivationID = inst.Agent.ActivationID
		info.IamRole = inst.Agent.IamRole
		if !inst.Agent.RegisteredAt.IsZero() {
			t := EpochSeconds(inst.Agent.RegisteredAt)
			info.RegistrationDate = &t
		}
	}
	return info
}

func matchesDII(info ssmInstanceInfo, tags []Tag, filters []diiFilter) bool {
	for _, f := range filters {
		var have []string
		switch {
		case f.Key == "InstanceIds":
			have = []string{info.InstanceID}
		case f.Key == "AgentVersion":
			have = []string{info.AgentVersion}
		case f.Key == "PingStatus":
			have = []string{info.PingStatus}
		case f.Key == "PlatformTypes":
			have = []string{info.PlatformType}
		case f.Key == "ActivationIds":
			have = []string{info.ActivationID}
		case f.Key == "IamRole":
			have = []string{info.IamRole}
		case f.Key == "ResourceType":
			have = []string{info.ResourceType}
		case f.Key == "AssociationStatus":
			have = nil
		case f.Key == "tag-key":
			for _, t := range tags {
				have = append(have, t.Key)
			}
		case strings.HasPrefix(f.Key, "tag:"):
			for _, t := range tags {
				if t.Key == f.Key[4:] {
					have = append(have, t.Value)
				}
			}
		}
		if !slices.ContainsFunc(f.Values, func(v string) bool { return slices.Contains(have, v) }) {
			return false
		}
	}
	return true
}

func (s *Sim) ssmGetConnectionStatus(c *Call) (any, error) {
	var in struct{ Target string }
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if in.Target == "" {
		return nil, Errf("ValidationException", "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null")
	}
	if err := s.authorize(c, "ssm:GetConnectionStatus", s.ssmWildcardARN(c.Region), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	inst, ok := s.state.Instances[in.Target]
	connected := ok && inst.Region == c.Region && s.state.online(inst, s.now())
	s.mu.Unlock()
	status := "notconnected"
	if connected {
		status = "connected"
	}
	return map[string]string{"Target": in.Target, "Status": status}, nil
}
