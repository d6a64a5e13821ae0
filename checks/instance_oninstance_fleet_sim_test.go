package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
)

// onInstanceFleet is a generated fleet of n healthy, Online Linux
// instances (each with the simulator's default OS).
func onInstanceFleet(n int) *awssim.State {
	st := awssim.GenerateFleet(n, awssim.FleetMix{}, 7)
	for _, in := range st.Instances {
		in.OS = awssim.DefaultOS(in)
	}
	return st
}

// onInstanceFleetRun is `check --all --on-instance` on st's fleet as the
// check command runs it: targets resolved, PrefetchFleet, then
// PrefetchOnInstance and the on-instance checks on every target,
// fleetTargetConcurrency at a time. It returns each target's results
// and the simulator, whose calls were counted from PrefetchOnInstance on.
func onInstanceFleetRun(tb testing.TB, st *awssim.State, o Options, before ...func(*awssim.Sim)) (map[string]map[string]Result, *awssim.Sim) {
	tb.Helper()
	a, s := simEnvAttempts(tb, st, awssim.DemoAccessKey, 3)
	ctx := context.Background()
	targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
	if err != nil {
		tb.Fatal(err)
	}
	if err := PrefetchFleet(ctx, &Env{AWS: a}, targets); err != nil {
		tb.Fatal(err)
	}
	s.ResetCalls()
	for _, f := range before {
		f(s)
	}
	o.OnInstance = true
	if o.OnInstanceWait == 0 {
		o.OnInstanceWait = 20 * time.Second
	}
	base := &Env{AWS: a, Options: o}
	PrefetchOnInstance(ctx, base, targets, nil)
	got := map[string]map[string]Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, fleetTargetConcurrency)
	for _, tg := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			env := *base
			env.Target = tg
			env.Local = onInstanceLocal(tg.InstanceID, demoPublicKey)
			res := map[string]Result{}
			for _, out := range Run(ctx, &env, onInstanceChecks(), RunOptions{}) {
				res[out.ID] = out.Result
			}
			mu.Lock()
			got[tg.InstanceID] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	return got, s
}

// onInstancePolls is how many polls a batch makes before a run of d ends:
// the pauses double from 0.2 s to 2 s (RunShellScript's schedule).
func onInstancePolls(d time.Duration) int {
	n, at, pause := 0, time.Duration(0), 200*time.Millisecond
	for at < d {
		at += pause
		n++
		pause = min(pause*2, 2*time.Second)
	}
	return n
}

// onInstanceCallBound is the bound stated in awsfacts.OnInstanceBatch and
// docs/benchmarks.md for groups of ng instances each whose runs end
// within d: sum ceil(ng/50) SendCommand, that many
// ListCommandInvocations per poll, and GetCommandInvocation only for
// the invocations read whole (none here).
func onInstanceCallBound(d time.Duration, ng ...int) (send, list int) {
	for _, n := range ng {
		send += (n + awsfacts.SendCommandInstancesMax - 1) / awsfacts.SendCommandInstancesMax
	}
	// One poll more for the run seen still InProgress at the edge.
	return send, send * (onInstancePolls(d) + 1)
}

// sameResult compares what a user sees of a result. instance-clock's
// message carries the measured skew, which differs between two runs.
func sameResult(id string, a, b Result) bool {
	if id == "instance-clock" {
		return a.Status == b.Status
	}
	return a.Status == b.Status && a.Message == b.Message && slices.Equal(a.Details, b.Details) && a.Missing == b.Missing
}

func TestSimFleetOnInstanceCallsWithinBound(t *testing.T) {
	const n = 120
	got, s := onInstanceFleetRun(t, onInstanceFleet(n), Options{})
	if len(got) != n {
		t.Fatalf("%d targets, want %d", len(got), n)
	}
	sendBound, listBound := onInstanceCallBound(commandRunTime, n)
	counts := s.AllCalls()
	t.Logf("calls for %d instances with --on-instance: %v", n, counts)
	if c := counts["ssm.SendCommand"]; c != 3 || c != sendBound {
		t.Errorf("%d SendCommand calls for %d instances, want 3", c, n)
	}
	if c := counts["ssm.ListCommandInvocations"]; c < 3 || c > listBound {
		t.Errorf("%d ListCommandInvocations calls, want 3 to %d", c, listBound)
	}
	if c := counts["ssm.GetCommandInvocation"]; c != 0 {
		t.Errorf("%d GetCommandInvocation calls: the script's output fits in the listed output", c)
	}
	for id, res := range got {
		for cid := range onInstanceIDs {
			if r := res[cid]; r.Status == StatusError || r.Status == StatusSkip && cid != "instance-eic" {
				t.Fatalf("%s %s: %s %q", id, cid, r.Status, r.Message)
			}
		}
	}
	// A sample of the fleet: each target's results are those of a run on
	// that target alone.
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range got {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range []string{ids[0], ids[n/2], ids[n-1]} {
		alone := runOnInstance(t, onInstanceFleet(n), id, Options{}, demoPublicKey)
		for cid := range onInstanceIDs {
			if !sameResult(cid, got[id][cid], alone[cid]) {
				t.Errorf("%s %s in the fleet: %s %q %q; alone: %s %q %q", id, cid,
					got[id][cid].Status, got[id][cid].Message, got[id][cid].Details, alone[cid].Status, alone[cid].Message, alone[cid].Details)
			}
		}
	}
}

// commandRunTime is the simulated agent's time from SendCommand to the
// end of a run: 0.1 s to pick it up, 0.3 s to run it.
const commandRunTime = 400 * time.Millisecond

// TestOnInstanceBatchArgumentGroups: instances whose script arguments
// differ get commands of their own; equal ones share.
func TestOnInstanceBatchArgumentGroups(t *testing.T) {
	const n = 120
	st := onInstanceFleet(n)
	a, s := simEnvAttempts(t, st, awssim.DemoAccessKey, 3)
	ctx := context.Background()
	targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ec2User := oninstance.CheckCommands("ec2-user", 22, "")
	ubuntu := oninstance.CheckCommands("ubuntu", 2222, "")
	var reqs []awsfacts.OnInstanceRequest
	for i, tg := range targets {
		c := ec2User
		if i%2 == 1 {
			c = ubuntu
		}
		reqs = append(reqs, awsfacts.OnInstanceRequest{InstanceID: tg.InstanceID, Commands: c})
	}
	s.ResetCalls()
	<-a.OnInstanceBatch(ctx, reqs, 20*time.Second)
	sendBound, listBound := onInstanceCallBound(commandRunTime, n/2, n/2)
	if c := s.Calls("ssm.SendCommand"); c != 4 || c != sendBound {
		t.Errorf("%d SendCommand calls for two groups of %d, want 4", c, n/2)
	}
	if c := s.Calls("ssm.ListCommandInvocations"); c > listBound {
		t.Errorf("%d ListCommandInvocations calls, bound %d", c, listBound)
	}
	if c := s.Calls("ssm.GetCommandInvocation"); c != 0 {
		t.Errorf("%d GetCommandInvocation calls", c)
	}
	s.ResetCalls()
	commands := map[string]string{}
	longest := 0
	for i, r := range reqs {
		run, err := a.OnInstance(ctx, r.InstanceID, r.Commands, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != "Success" {
			t.Fatalf("%s: %s", r.InstanceID, run.Status)
		}
		if prev, ok := commands[run.CommandID]; ok && prev != strings.Join(r.Commands, "\n") {
			t.Fatalf("command %s carries both groups' arguments", run.CommandID)
		}
		commands[run.CommandID] = strings.Join(r.Commands, "\n")
		longest = max(longest, len(run.Stdout))
		rep, err := oninstance.Parse(run.Stdout)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{0: "ec2-user", 1: "ubuntu"}[i%2]
		if !strings.Contains(run.Stdout, want) {
			t.Errorf("%s: the output does not name %s: %+v", r.InstanceID, want, rep)
		}
		if i < 4 {
			// The same bytes as a run on that instance alone.
			alone, err := a.RunShellScript(ctx, r.InstanceID, r.Commands, 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if stripTimes(alone.Stdout) != stripTimes(run.Stdout) || alone.ResponseCode != run.ResponseCode {
				t.Errorf("%s: batched output differs from a run alone:\n%s\n---\n%s", r.InstanceID, run.Stdout, alone.Stdout)
			}
		}
	}
	if c := s.Calls("ssm.SendCommand"); c != 4 {
		t.Errorf("%d SendCommand calls after the batch, want the 4 runs alone only", c)
	}
	t.Logf("longest output: %d characters (the listed output keeps %d)", longest, awsfacts.PluginOutputMax)
	if len(commands) != 4 {
		t.Errorf("%d commands answered the fleet, want 4", len(commands))
	}
}

// TestOnInstanceFleetTruncatedOutput: an instance whose output does not
// fit in the listed output (2,500 characters) is read with
// GetCommandInvocation, alone; its results are whole.
func TestOnInstanceFleetTruncatedOutput(t *testing.T) {
	const n = 60
	st := onInstanceFleet(n)
	var big string
	for id, in := range st.Instances {
		if big == "" || id < big {
			big = id
		}
		_ = in
	}
	// Many authorized keys: a fingerprint line each.
	akf := st.Instances[big].OS.Files["/home/ec2-user/.ssh/authorized_keys"]
	if akf == nil {
		t.Fatal("the default OS has no /home/ec2-user/.ssh/authorized_keys")
	}
	key := strings.Join(strings.Fields(demoPublicKey)[:2], " ")
	for i := range 40 {
		akf.Keys = append(akf.Keys, fmt.Sprintf("%s operator-%03d@bastion.example.com", key, i))
	}
	got, s := onInstanceFleetRun(t, st, Options{})
	if c := s.Calls("ssm.SendCommand"); c != 2 {
		t.Errorf("%d SendCommand calls, want 2", c)
	}
	if c := s.Calls("ssm.GetCommandInvocation"); c != 1 {
		t.Errorf("%d GetCommandInvocation calls, want 1 (the truncated output only)", c)
	}
	alone := runOnInstance(t, st, big, Options{}, demoPublicKey)
	for cid := range onInstanceIDs {
		if !sameResult(cid, got[big][cid], alone[cid]) {
			t.Errorf("%s %s in the fleet: %s %q; alone: %s %q", big, cid, got[big][cid].Status, got[big][cid].Message, alone[cid].Status, alone[cid].Message)
		}
	}
	if r := got[big]["instance-authorized-keys"]; r.Status != StatusPass {
		t.Errorf("instance-authorized-keys with 41 keys: %s %q", r.Status, r.Message)
	}
}

// TestOnInstanceFleetDeadline: runs still going at --on-instance-timeout
// are undetermined as a single run's are, the others answered, and the
// batch ends at the deadline.
func TestOnInstanceFleetDeadline(t *testing.T) {
	const n = 60
	st := onInstanceFleet(n)
	slow := map[string]bool{}
	for id, in := range st.Instances {
		if len(slow) < 5 {
			in.OS.CommandSeconds = 30
			slow[id] = true
		}
	}
	start := time.Now()
	got, s := onInstanceFleetRun(t, st, Options{OnInstanceWait: 2 * time.Second})
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %s with a 2s deadline", el)
	}
	if c := s.Calls("ssm.SendCommand"); c != 2 {
		t.Errorf("%d SendCommand calls, want 2", c)
	}
	for id, res := range got {
		r := res["instance-disk"]
		if slow[id] {
			if r.Status != StatusError || !strings.Contains(r.Message, "did not finish within 2s") || !strings.Contains(strings.Join(r.Details, " "), "get-command-invocation --command-id") {
				t.Errorf("%s past the deadline: %s %q %q", id, r.Status, r.Message, r.Details)
			}
			continue
		}
		if r.Status != StatusPass {
			t.Errorf("%s: %s %q", id, r.Status, r.Message)
		}
	}
}

// TestOnInstanceFleetThrottled: a throttled SendCommand or
// ListCommandInvocations is retried by the client, as every call is.
func TestOnInstanceFleetThrottled(t *testing.T) {
	const n = 60
	got, s := onInstanceFleetRun(t, onInstanceFleet(n), Options{}, func(s *awssim.Sim) {
		s.Throttle("ssm.SendCommand", 1)
		s.Throttle("ssm.ListCommandInvocations", 1)
	})
	// The simulator counts the throttled calls too.
	if c := s.Calls("ssm.SendCommand"); c != 3 {
		t.Errorf("%d SendCommand calls, want 2 and the throttled one retried", c)
	}
	if c := s.Calls("ssm.GetCommandInvocation"); c != 0 {
		t.Errorf("%d GetCommandInvocation calls after a throttled list", c)
	}
	for id, res := range got {
		if r := res["instance-sshd"]; r.Status != StatusPass {
			t.Errorf("%s: %s %q", id, r.Status, r.Message)
		}
	}
}

// TestOnInstanceBatchSendRefused: a SendCommand refused for one invalid
// instance leaves each of its instances to a run of its own.
func TestOnInstanceBatchSendRefused(t *testing.T) {
	st := onInstanceFleet(3)
	a, s := simEnvAttempts(t, st, awssim.DemoAccessKey, 3)
	ctx := context.Background()
	c := oninstance.CheckCommands("ec2-user", 22, "")
	var reqs []awsfacts.OnInstanceRequest
	for id := range st.Instances {
		reqs = append(reqs, awsfacts.OnInstanceRequest{InstanceID: id, Commands: c})
	}
	reqs = append(reqs, awsfacts.OnInstanceRequest{InstanceID: "i-0000000000000dead", Commands: c})
	<-a.OnInstanceBatch(ctx, reqs, 20*time.Second)
	if c := s.Calls("ssm.SendCommand"); c != 5 {
		t.Errorf("%d SendCommand calls, want 1 refused and 4 alone", c)
	}
	for _, r := range reqs {
		run, err := a.OnInstance(ctx, r.InstanceID, r.Commands, 20*time.Second)
		if r.InstanceID == "i-0000000000000dead" {
			if awsfacts.ErrorCode(err) != "InvalidInstanceId" {
				t.Errorf("the unknown instance: %v", err)
			}
			continue
		}
		if err != nil || run.Status != "Success" {
			t.Errorf("%s: %v %+v", r.InstanceID, err, run)
		}
	}
}

// stripTimes drops the lines that carry the instance's clock, which two
// runs read at different times.
func stripTimes(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(strings.ToLower(l), "time") || strings.Contains(strings.ToLower(l), "clock") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// BenchmarkFleetOnInstance120: `check --all --on-instance` on 120
// instances (one argument group) against the simulator with 20 ms per
// call: the on-instance checks of every target, from PrefetchOnInstance
// on. Run with -benchtime 1x. ...Alone is the same without the batch:
// each target sends its own command and polls it (as before batching).
func BenchmarkFleetOnInstance120(b *testing.B)      { benchmarkFleetOnInstance(b, 120, true) }
func BenchmarkFleetOnInstance120Alone(b *testing.B) { benchmarkFleetOnInstance(b, 120, false) }

func benchmarkFleetOnInstance(b *testing.B, n int, batched bool) {
	sendBound, listBound := onInstanceCallBound(commandRunTime, n)
	for range b.N {
		st := onInstanceFleet(n)
		a, s := simEnvAttempts(b, st, awssim.DemoAccessKey, 3)
		ctx := context.Background()
		targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
		if err != nil {
			b.Fatal(err)
		}
		if err := PrefetchFleet(ctx, &Env{AWS: a}, targets); err != nil {
			b.Fatal(err)
		}
		s.SetLatency(20 * time.Millisecond)
		s.ResetCalls()
		start := time.Now()
		base := &Env{AWS: a, Options: Options{OnInstance: true, OnInstanceWait: 20 * time.Second}}
		if batched {
			PrefetchOnInstance(ctx, base, targets, nil)
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, fleetTargetConcurrency)
		for _, tg := range targets {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				env := *base
				env.Target = tg
				env.Local = onInstanceLocal(tg.InstanceID, demoPublicKey)
				Run(ctx, &env, onInstanceChecks(), RunOptions{})
			}()
		}
		wg.Wait()
		b.ReportMetric(time.Since(start).Seconds(), "wall-s")
		b.ReportMetric(float64(s.Calls("ssm.SendCommand")), "SendCommand")
		b.ReportMetric(float64(s.Calls("ssm.ListCommandInvocations")), "ListCommandInvocations")
		b.ReportMetric(float64(s.Calls("ssm.GetCommandInvocation")), "GetCommandInvocation")
		b.ReportMetric(float64(sendBound+listBound), "bound")
	}
}

// TestPrefetchOnInstanceNotAsked: nothing is sent without --on-instance,
// nor when every check that reads the run is skipped.
func TestPrefetchOnInstanceNotAsked(t *testing.T) {
	st := onInstanceFleet(4)
	a, s := simEnvAttempts(t, st, awssim.DemoAccessKey, 3)
	ctx := context.Background()
	targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	<-PrefetchOnInstance(ctx, &Env{AWS: a}, targets, nil)
	<-PrefetchOnInstance(ctx, &Env{AWS: a, Options: Options{OnInstance: true}}, targets, onInstanceCheckIDs)
	if c := s.Calls("ssm.SendCommand"); c != 0 {
		t.Fatalf("%d SendCommand calls, want none", c)
	}
	<-PrefetchOnInstance(ctx, &Env{AWS: a, Options: Options{OnInstance: true, OnInstanceWait: 20 * time.Second}}, targets, onInstanceCheckIDs[1:])
	if c := s.Calls("ssm.SendCommand"); c != 1 {
		t.Fatalf("%d SendCommand calls with instance-sshd left, want 1", c)
	}
}
