package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// LoadScenario reads a scenario file (JSON of State).
func LoadScenario(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
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
	return &st, nil
}

// Normalize fills defaults and derived state. OWNED BY THE EC2/SCENARIO
// AREA: extend it (ids, associations from InstanceProfileName, VPC
// defaults, ...).
func (st *State) Normalize() error {
	if st.AccountID == "" {
		st.AccountID = "123456789012"
	}
	if st.DefaultRegion == "" {
		st.DefaultRegion = "us-east-1"
	}
	if len(st.Regions) == 0 {
		st.Regions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"}
	}
	if st.Instances == nil {
		st.Instances = map[string]*Instance{}
	}
	if st.VPCs == nil {
		st.VPCs = map[string]*VPC{}
	}
	if st.Subnets == nil {
		st.Subnets = map[string]*Subnet{}
	}
	if st.RouteTables == nil {
		st.RouteTables = map[string]*RouteTable{}
	}
	if st.SecurityGroups == nil {
		st.SecurityGroups = map[string]*SecurityGroup{}
	}
	if st.VpcEndpoints == nil {
		st.VpcEndpoints = map[string]*VpcEndpoint{}
	}
	if st.Associations == nil {
		st.Associations = map[string]*ProfileAssoc{}
	}
	if st.InstanceProfile == nil {
		st.InstanceProfile = map[string]*InstanceProfile{}
	}
	if st.Roles == nil {
		st.Roles = map[string]*Role{}
	}
	if st.Users == nil {
		st.Users = map[string]*User{}
	}
	if st.Groups == nil {
		st.Groups = map[string]*Group{}
	}
	if st.Policies == nil {
		st.Policies = map[string]*ManagedPolicy{}
	}
	if st.AccessKeys == nil {
		st.AccessKeys = map[string]*AccessKey{}
	}
	if st.ServiceSettings == nil {
		st.ServiceSettings = map[string]map[string]string{}
	}
	if st.KMSKeys == nil {
		st.KMSKeys = map[string]*KMSKey{}
	}
	return nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
