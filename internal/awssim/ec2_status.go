package awssim

import (
	"sort"
	"strconv"
)

// DescribeInstanceStatus: EC2's system and instance status checks. A
// running instance reports its StatusChecks (ok unless the scenario says
// otherwise); other states are listed only with IncludeAllInstances, with
// not-applicable checks.

type ec2StatusDetail struct {
	Name   string `xml:"name"`
	Status string `xml:"status"`
}

type ec2StatusSummary struct {
	Status  string                   `xml:"status"`
	Details ec2List[ec2StatusDetail] `xml:"details"`
}

type ec2InstanceStatusX struct {
	InstanceID       string            `xml:"instanceId"`
	AvailabilityZone string            `xml:"availabilityZone"`
	InstanceState    ec2InstanceState  `xml:"instanceState"`
	SystemStatus     ec2StatusSummary  `xml:"systemStatus"`
	InstanceStatus   ec2StatusSummary  `xml:"instanceStatus"`
	Events           ec2List[struct{}] `xml:"eventsSet"`
}

type ec2DescribeInstanceStatusOut struct {
	InstanceStatuses ec2List[ec2InstanceStatusX] `xml:"instanceStatusSet"`
	NextToken        string                      `xml:"nextToken,omitempty"`
}

func statusSummary(status, state string) ec2StatusSummary {
	if state != "running" {
		return ec2StatusSummary{Status: "not-applicable", Details: ec2ListOf([]ec2StatusDetail{})}
	}
	if status == "" {
		status = "ok"
	}
	detail := map[string]string{"ok": "passed", "impaired": "failed", "initializing": "initializing"}[status]
	if detail == "" {
		detail = "insufficient-data"
	}
	return ec2StatusSummary{Status: status, Details: ec2ListOf([]ec2StatusDetail{{Name: "reachability", Status: detail}})}
}

func (s *Sim) ec2DescribeInstanceStatus(c *Call) (any, error) {
	if err := s.authorize(c, "ec2:DescribeInstanceStatus", "*", nil); err != nil {
		return nil, err
	}
	ids := c.FormList("InstanceId")
	if err := ec2CheckInstanceIDs(ids); err != nil {
		return nil, err
	}
	all, _ := strconv.ParseBool(c.Form.Get("IncludeAllInstances"))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2SettleLocked()
	insts, err := s.ec2InstancesLocked(c.Region, ids)
	if err != nil {
		return nil, err
	}
	sort.Slice(insts, func(i, j int) bool { return insts[i].ID < insts[j].ID })
	out := ec2DescribeInstanceStatusOut{InstanceStatuses: ec2ListOf([]ec2InstanceStatusX{})}
	for _, inst := range insts {
		if inst.State != "running" && !all {
			continue
		}
		az := ""
		if sub, ok := s.state.Subnets[inst.SubnetID]; ok {
			az = sub.AvailabilityZone
		}
		out.InstanceStatuses.Item = append(out.InstanceStatuses.Item, ec2InstanceStatusX{
			InstanceID: inst.ID, AvailabilityZone: az, InstanceState: ec2State(inst.State),
			SystemStatus:   statusSummary(inst.StatusChecks.System, inst.State),
			InstanceStatus: statusSummary(inst.StatusChecks.Instance, inst.State),
			Events:         ec2ListOf([]struct{}{}),
		})
	}
	return out, nil
}
