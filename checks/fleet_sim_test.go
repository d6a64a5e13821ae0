package checks

import (
	"context"
	"fmt"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// fleetTargetConcurrency is how many targets the check command runs at once
// (checkrun's targetConcurrency); the benchmark does the same so that
// its wall time is the command's.
const fleetTargetConcurrency = 8

// hybridFleet is a generated fleet of n EC2 instances plus h hybrid (mi-)
// nodes registered through an activation, on the demo's standard tier.
func hybridFleet(n, h int) *awssim.State {
	st := awssim.GenerateFleet(n, awssim.DefaultFleetMix, 1)
	for i := range h {
		id := fmt.Sprintf("mi-0%016x", 0xc0ffee0000+i)
		st.Instances[id] = &awssim.Instance{
			ID: id, State: "running", PlatformName: "Ubuntu", PlatformVersion: "22.04",
			PrivateIP: fmt.Sprintf("192.168.%d.%d", 10+i/250, 1+i%250),
			Tags:      []awssim.Tag{{Key: "Name", Value: fmt.Sprintf("onprem-%03d", i)}, {Key: "Scenario", Value: "hybrid-standard-tier"}},
			Agent: awssim.Agent{Installed: true, Version: awssim.LatestAgentVersion, IsLatest: true,
				ComputerName: fmt.Sprintf("onprem-%03d", i), IamRole: "SSMHybridRole"},
		}
	}
	return st
}

// simEnvAttempts is simEnv with the command's retry settings (the SDK's 3
// attempts) instead of one, so that a transient transport error (see
// awsapi's DetachedBodyClient) costs one retried call rather than the fleet
// batch, which would make every target simulate alone.
func simEnvAttempts(tb testing.TB, st *awssim.State, keyID string, attempts int) (*awsfacts.AWSEnv, *awssim.Sim) {
	tb.Helper()
	s := startSim(tb, st)
	c := simtest.Clients(tb, s, st, keyID, awsapi.Options{MaxAttempts: attempts, MaxBackoff: 50 * time.Millisecond})
	return awsfacts.NewAWSEnv(c), s
}

// startSim is simtest.Start with the simulator's goroutines (its server and
// every request it handles) labelled side=simulator, so that a CPU profile
// of a benchmark tells the simulator's CPU from the doctor's (asDoctor):
//
//	go tool pprof -tagfocus side=doctor checks.test cpu.prof
func startSim(tb testing.TB, st *awssim.State) *awssim.Sim {
	tb.Helper()
	var s *awssim.Sim
	pprof.Do(context.Background(), pprof.Labels("side", "simulator"), func(context.Context) {
		s = simtest.Start(tb, st, awssim.Options{})
	})
	return s
}

// asDoctor runs f, and every goroutine it starts, labelled side=doctor.
func asDoctor(f func(ctx context.Context)) {
	pprof.Do(context.Background(), pprof.Labels("side", "doctor"), f)
}

// phase runs f labelled phase=name besides ctx's labels.
func phase(ctx context.Context, name string, f func(ctx context.Context)) {
	pprof.Do(ctx, pprof.Labels("phase", name), f)
}

// fleetResult is one fleet run: the API calls the simulator received and
// the wall time from target resolution to the last check.
type fleetResult struct {
	targets, hybrid int
	calls           int
	counts          map[string]int
	wall            time.Duration
	// The wall time's three phases: ResolveTargets, PrefetchFleet, the checks.
	resolve, prefetch, checks time.Duration
	statuses                  map[string]map[Status]int // check id -> status -> instances
}

// fleetRun resolves --all, prefetches and runs every AWS check on every
// target, fleetTargetConcurrency targets at a time as the command does.
func fleetRun(tb testing.TB, st *awssim.State, latency time.Duration) fleetResult {
	tb.Helper()
	a, s := simEnvAttempts(tb, st, awssim.DemoAccessKey, 3)
	s.SetLatency(latency)
	s.ResetCalls()
	var res fleetResult
	asDoctor(func(ctx context.Context) { res = fleetChecks(ctx, tb, a) })
	res.counts = s.AllCalls()
	for _, v := range res.counts {
		res.calls += v
	}
	return res
}

// fleetChecks is fleetRun's doctor side, timed, each phase labelled.
func fleetChecks(ctx context.Context, tb testing.TB, a *awsfacts.AWSEnv) fleetResult {
	tb.Helper()
	defer FleetGC()() // as the check command does for --all
	start := time.Now()
	var targets []*Target
	var err error
	PrefetchWhileListing(a) // as check --all does (checks/checkrun)
	phase(ctx, "resolve", func(ctx context.Context) { targets, err = awsfacts.ResolveTargets(ctx, a, nil, nil, true) })
	if err != nil {
		tb.Fatal(err)
	}
	if len(targets) == 0 {
		tb.Fatal("no targets")
	}
	resolved := time.Now()
	phase(ctx, "prefetch", func(ctx context.Context) { err = PrefetchFleet(ctx, &Env{AWS: a}, targets) })
	if err != nil {
		tb.Fatal(err)
	}
	prefetched := time.Now()
	res := fleetResult{targets: len(targets), statuses: map[string]map[Status]int{}}
	phase(ctx, "checks", func(ctx context.Context) { fleetCheckTargets(ctx, a, targets, &res) })
	res.wall = time.Since(start)
	res.resolve, res.prefetch = resolved.Sub(start), prefetched.Sub(resolved)
	res.checks = res.wall - res.resolve - res.prefetch
	return res
}

// fleetCheckTargets runs every AWS check on every target,
// fleetTargetConcurrency targets at a time, and counts the statuses in res.
func fleetCheckTargets(ctx context.Context, a *awsfacts.AWSEnv, targets []*Target, res *fleetResult) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, fleetTargetConcurrency)
	for _, tg := range targets {
		if tg.Hybrid {
			res.hybrid++
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			outs := Run(ctx, &Env{AWS: a, Target: tg}, awsChecks(), RunOptions{Concurrency: 8})
			mu.Lock()
			defer mu.Unlock()
			for _, o := range outs {
				if res.statuses[o.ID] == nil {
					res.statuses[o.ID] = map[Status]int{}
				}
				res.statuses[o.ID][o.Result.Status]++
			}
		}()
	}
	wg.Wait()
}

// fleetLowerBound is PrefetchFleet's formula for a generated fleet: P
// profiles each with one role (R = P), the network calls once for all
// VPCs, VPC attributes and subnets for the one VPC that relies on
// endpoints, the DHMC
// setting (some instances have no profile) and, with hybrid nodes, the
// activation tier; the demo admin may simulate.
func fleetLowerBound(st *awssim.State) int {
	ceil := func(a, b int) int { return (a + b - 1) / b }
	profiles := map[string]bool{}
	n, h := 0, 0
	for id, in := range st.Instances {
		if id[:3] == "mi-" {
			h++
			continue
		}
		if in.State == "terminated" {
			continue
		}
		n++
		if in.InstanceProfileName != "" {
			profiles[in.InstanceProfileName] = true
		}
	}
	p := len(profiles)
	tier := 0
	if h > 0 {
		tier = 1
	}
	const v, ve = 2, 1 // GenerateFleet's VPCs; one has the agent's endpoints
	return ceil(n, 1000) + max(1, ceil(h, 50)) + ceil(n, 50) + p + 2*p + 4*ceil(v, 200) + 2*ve + ceil(ve, 200) + 1 +
		ceil(n+h, awsfacts.SimulateResourceBatch) + 3 + 1 + 1 + tier +
		ceil(n, 1000) // DescribeInstanceStatus, the region's statuses
}

func TestSimFleetCallsWithinBound(t *testing.T) {
	const n, h = 300, 60
	st := hybridFleet(n, h)
	bound := fleetLowerBound(hybridFleet(n, h))
	r := fleetRun(t, st, 0)
	t.Logf("%d calls for %d instances and %d hybrid nodes, lower bound %d: %v", r.calls, n, h, bound, r.counts)
	if r.targets != n+h || r.hybrid != h {
		t.Fatalf("--all selected %d targets (%d hybrid), want %d (%d hybrid)", r.targets, r.hybrid, n+h, h)
	}
	if float64(r.calls) > 1.1*float64(bound) {
		t.Errorf("%d calls, more than 1.1 x the bound %d", r.calls, bound)
	}
	if got := r.counts["ssm.GetConnectionStatus"]; got != 0 {
		t.Errorf("GetConnectionStatus called %d times in a fleet run", got)
	}
	// Every hybrid node fails the tier check (the demo account is on the
	// standard tier); no EC2 instance runs it.
	if got := r.statuses["instance-hybrid-tier"]; got[StatusFail] != h || got[StatusSkip] != n {
		t.Errorf("instance-hybrid-tier over the fleet: %v, want %d fail and %d skip", got, h, n)
	}
}

func benchmarkFleet(b *testing.B, n int) {
	st := hybridFleet(n, 0)
	bound := fleetLowerBound(st)
	for range b.N {
		r := fleetRun(b, hybridFleet(n, 0), 20*time.Millisecond)
		b.ReportMetric(float64(r.calls), "calls")
		b.ReportMetric(float64(bound), "bound")
		b.ReportMetric(r.wall.Seconds(), "wall-s")
		b.ReportMetric(r.resolve.Seconds(), "resolve-s")
		b.ReportMetric(r.prefetch.Seconds(), "prefetch-s")
		b.ReportMetric(r.checks.Seconds(), "checks-s")
	}
}

func BenchmarkFleetCheck1000(b *testing.B)  { benchmarkFleet(b, 1000) }
func BenchmarkFleetCheck10000(b *testing.B) { benchmarkFleet(b, 10000) }

// BenchmarkFleetCheckThrottled1000 is BenchmarkFleetCheck1000 under AWS-like
// per-API rate limits (fleet_throttle_sim_test.go).
func BenchmarkFleetCheckThrottled1000(b *testing.B) { benchmarkFleetThrottled(b, 1000) }

// BenchmarkFleetCheckThrottledShared4x1000 is four such checks at once
// against the same account's limits (fleet_throttle_sim_test.go).
func BenchmarkFleetCheckThrottledShared4x1000(b *testing.B) { benchmarkFleetShared(b, 1000, 4) }
