package awssim

import (
	"sort"
	"time"
)

// ec2Runtime holds EC2 state that is not part of a scenario: instances on
// their way from pending to running. Guarded by Sim.mu.
type ec2Runtime struct {
	startDelay    time.Duration
	startDelaySet bool
	// pending maps an instance id to the (simulated) time it is running.
	pending map[string]time.Time
}

// DefaultStartDelay is how long a started instance stays pending.
const DefaultStartDelay = 2 * time.Second

// SetStartDelay changes how long StartInstances leaves an instance
// pending (0 makes it running at the next call).
func (s *Sim) SetStartDelay(d time.Duration) {
	s.mu.Lock()
	s.ext.ec2.startDelay, s.ext.ec2.startDelaySet = d, true
	s.mu.Unlock()
}

func (s *Sim) startDelayLocked() time.Duration {
	if s.ext.ec2.startDelaySet {
		return s.ext.ec2.startDelay
	}
	return DefaultStartDelay
}

// ec2SettleLocked moves every pending instance whose time has come to
// running. It reads the simulator's clock, so a test with Options.Now
// decides when that happens without sleeping.
func (s *Sim) ec2SettleLocked() {
	now := s.now()
	for id, at := range s.ext.ec2.pending {
		if now.Before(at) {
			continue
		}
		delete(s.ext.ec2.pending, id)
		inst, ok := s.state.Instances[id]
		if !ok || inst.State != "pending" {
			continue
		}
		inst.State = "running"
		if inst.Agent.Installed {
			inst.Agent.LastPing = now
		}
	}
}

type ec2StateChange struct {
	InstanceID    string           `xml:"instanceId"`
	CurrentState  ec2InstanceState `xml:"currentState"`
	PreviousState ec2InstanceState `xml:"previousState"`
}

type ec2StartInstancesOut struct {
	Instances ec2List[ec2StateChange] `xml:"instancesSet"`
}

func (s *Sim) ec2StartInstances(c *Call) (any, error) {
	ids := c.FormList("InstanceId")
	if len(ids) == 0 {
		return nil, Errf("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if err := ec2CheckInstanceIDs(ids); err != nil {
		return nil, err
	}
	s.mu.Lock()
	insts, err := s.ec2InstancesLocked(c.Region, ids)
	tags := map[string][]Tag{}
	for _, inst := range insts {
		tags[inst.ID] = append([]Tag(nil), inst.Tags...)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, inst := range insts {
		if err := s.authorize(c, "ec2:StartInstances", s.ec2Arn(c.Region, "instance", inst.ID), ec2ResourceTagContext(tags[inst.ID])); err != nil {
			return nil, err
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.ec2SettleLocked()
	for _, inst := range insts {
		switch inst.State {
		case "stopped", "running", "pending":
		default:
			return nil, Errf("IncorrectInstanceState", "The instance '%s' is not in a state from which it can be started.", inst.ID)
		}
	}
	delay := s.startDelayLocked()
	if s.ext.ec2.pending == nil {
		s.ext.ec2.pending = map[string]time.Time{}
	}
	out := ec2StartInstancesOut{Instances: ec2ListOf([]ec2StateChange{})}
	for _, inst := range insts {
		prev := inst.State
		if prev == "stopped" {
			inst.State = "pending"
			s.ext.ec2.pending[inst.ID] = s.now().Add(delay)
		}
		out.Instances.Item = append(out.Instances.Item, ec2StateChange{
			InstanceID: inst.ID, CurrentState: ec2State(inst.State), PreviousState: ec2State(prev),
		})
	}
	sort.Slice(out.Instances.Item, func(i, j int) bool { return out.Instances.Item[i].InstanceID < out.Instances.Item[j].InstanceID })
	s.scheduleSettle(delay)
	return out, nil
}

// scheduleSettle settles again once the delay has passed in real time, so
// that readers outside EC2 (SSM sees the node come Online) need not poll
// EC2 first. With a fake clock that has not moved, it changes nothing.
func (s *Sim) scheduleSettle(delay time.Duration) {
	go func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			s.mu.Lock()
			s.ec2SettleLocked()
			s.mu.Unlock()
		case <-s.closeCtx.Done():
		}
	}()
}
