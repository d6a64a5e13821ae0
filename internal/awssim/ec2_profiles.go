package awssim

import (
	"sort"
	"strconv"
)

type ec2AssocX struct {
	AssociationID      string        `xml:"associationId"`
	InstanceID         string        `xml:"instanceId"`
	IamInstanceProfile ec2ProfileRef `xml:"iamInstanceProfile"`
	State              string        `xml:"state"`
}

func assocX(a *ProfileAssoc, state string) ec2AssocX {
	return ec2AssocX{AssociationID: a.ID, InstanceID: a.InstanceID,
		IamInstanceProfile: ec2ProfileRef{Arn: a.ProfileArn, ID: a.ProfileID}, State: state}
}

type ec2DescribeAssocsOut struct {
	Associations ec2List[ec2AssocX] `xml:"iamInstanceProfileAssociationSet"`
	NextToken    string             `xml:"nextToken,omitempty"`
}

func (s *Sim) ec2DescribeProfileAssocs(c *Call) (any, error) {
	if err := s.authorize(c, "ec2:DescribeIamInstanceProfileAssociations", "*", nil); err != nil {
		return nil, err
	}
	ids := c.FormList("AssociationId")
	if len(ids) > 0 && c.Form.Get("MaxResults") != "" {
		return nil, Errf("InvalidParameterCombination", "The parameter associationIds cannot be used with the parameter maxResults")
	}
	max, err := ec2MaxResults(c, 5)
	if err != nil {
		return nil, err
	}
	filters := c.EC2Filters()
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*ProfileAssoc
	if len(ids) > 0 {
		var missing []string
		for _, id := range ids {
			a, ok := s.state.Associations[id]
			if !ok || !s.ec2AssocInRegionLocked(a, c.Region) {
				missing = append(missing, id)
				continue
			}
			all = append(all, a)
		}
		if len(missing) > 0 {
			return nil, ec2NotFound("InvalidAssociationID.NotFound", "association ID", "association IDs", missing)
		}
	} else {
		for _, a := range s.state.Associations {
			if s.ec2AssocInRegionLocked(a, c.Region) {
				all = append(all, a)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	var matched []*ProfileAssoc
	for _, a := range all {
		ok, err := ec2ApplyFilters(filters, map[string][]string{"instance-id": {a.InstanceID}, "state": {a.State}}, nil)
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, a)
		}
	}
	start, end, next, perr := Page("DescribeIamInstanceProfileAssociations", len(matched), max, c.Form.Get("NextToken"))
	if perr != nil {
		return nil, perr
	}
	out := ec2DescribeAssocsOut{NextToken: next, Associations: ec2ListOf([]ec2AssocX{})}
	for _, a := range matched[start:end] {
		out.Associations.Item = append(out.Associations.Item, assocX(a, a.State))
	}
	return out, nil
}

func (s *Sim) ec2AssocInRegionLocked(a *ProfileAssoc, region string) bool {
	inst, ok := s.state.Instances[a.InstanceID]
	return ok && inst.Region == region
}

// ec2ProfileParamLocked resolves IamInstanceProfile.Arn / .Name to a profile,
// with the InvalidParameterValue EC2 gives for an unknown one.
func (s *Sim) ec2ProfileParamLocked(c *Call) (*InstanceProfile, string, error) {
	arn, name := c.Form.Get("IamInstanceProfile.Arn"), c.Form.Get("IamInstanceProfile.Name")
	switch {
	case arn != "":
		for _, p := range s.state.InstanceProfile {
			if iamArn(s.state.AccountID, "instance-profile", p.Path, p.Name) == arn {
				return p, arn, nil
			}
		}
		return nil, "", Errf("InvalidParameterValue", "Value (%s) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN", arn)
	case name != "":
		if p, ok := s.state.InstanceProfile[name]; ok {
			return p, iamArn(s.state.AccountID, "instance-profile", p.Path, p.Name), nil
		}
		return nil, "", Errf("InvalidParameterValue", "Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", name)
	}
	return nil, "", Errf("MissingParameter", "The request must contain the parameter iamInstanceProfile")
}

// ec2ProfileToPass resolves the profile the request names and checks
// iam:PassRole on its role, as EC2 does before it hands a role to an
// instance. It returns the profile and its ARN.
func (s *Sim) ec2ProfileToPass(c *Call) (*InstanceProfile, string, error) {
	s.mu.Lock()
	prof, arn, err := s.ec2ProfileParamLocked(c)
	var roles []string
	if prof != nil {
		roles = append(roles, prof.Roles...)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, "", err
	}
	for _, r := range roles {
		if err := s.authorize(c, "iam:PassRole", s.roleArn(r), map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}); err != nil {
			return nil, "", err
		}
	}
	return prof, arn, nil
}

type ec2AssocOut struct {
	Association ec2AssocX `xml:"iamInstanceProfileAssociation"`
}

func (s *Sim) ec2AssociateProfile(c *Call) (any, error) {
	id := c.Form.Get("InstanceId")
	if id == "" {
		return nil, Errf("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if err := ec2CheckInstanceIDs([]string{id}); err != nil {
		return nil, err
	}
	if err := s.authorize(c, "ec2:AssociateIamInstanceProfile", s.ec2Arn(c.Region, "instance", id), nil); err != nil {
		return nil, err
	}
	prof, arn, err := s.ec2ProfileToPass(c)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	insts, err := s.ec2InstancesLocked(c.Region, []string{id})
	if err != nil {
		return nil, err
	}
	switch insts[0].State {
	case "running", "stopped", "pending", "stopping":
	default:
		return nil, Errf("IncorrectInstanceState", "The instance '%s' is not in a valid state for this operation.", id)
	}
	if s.ec2CurrentAssocLocked(id) != nil {
		return nil, Errf("IncorrectState", "There is an existing association for instance %s", id)
	}
	a := &ProfileAssoc{ID: s.ec2NewAssocIDLocked(id), InstanceID: id, ProfileArn: arn, ProfileID: prof.ID, State: "associated"}
	s.state.Associations[a.ID] = a
	s.profiles = nil
	insts[0].InstanceProfileName = prof.Name
	// AWS answers "associating"; the association is complete by the next read.
	return ec2AssocOut{Association: assocX(a, "associating")}, nil
}

func (s *Sim) ec2NewAssocIDLocked(instanceID string) string {
	for n := 0; ; n++ {
		id := "iip-assoc-" + ec2Hex(instanceID+":"+strconv.Itoa(n), 17)
		if _, used := s.state.Associations[id]; !used {
			return id
		}
	}
}

func (s *Sim) ec2ReplaceProfileAssoc(c *Call) (any, error) {
	assocID := c.Form.Get("AssociationId")
	if assocID == "" {
		return nil, Errf("MissingParameter", "The request must contain the parameter AssociationId")
	}
	s.mu.Lock()
	old, ok := s.state.Associations[assocID]
	var instID string
	if ok && s.ec2AssocInRegionLocked(old, c.Region) && old.State == "associated" {
		instID = old.InstanceID
	}
	s.mu.Unlock()
	if instID == "" {
		return nil, Errf("InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assocID)
	}
	if err := s.authorize(c, "ec2:ReplaceIamInstanceProfileAssociation", s.ec2Arn(c.Region, "instance", instID), nil); err != nil {
		return nil, err
	}
	prof, arn, err := s.ec2ProfileToPass(c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.state.Associations[assocID]; !ok || cur.State != "associated" {
		return nil, Errf("InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assocID)
	}
	// The new id is drawn while the old one is still taken, so they differ.
	a := &ProfileAssoc{ID: s.ec2NewAssocIDLocked(instID), InstanceID: instID, ProfileArn: arn, ProfileID: prof.ID, State: "associated"}
	delete(s.state.Associations, assocID)
	s.state.Associations[a.ID] = a
	s.profiles = nil
	// The instance record's load-time hint must not outlive a replace.
	if inst, ok := s.state.Instances[instID]; ok {
		inst.InstanceProfileName = prof.Name
	}
	return ec2AssocOut{Association: assocX(a, "associating")}, nil
}
