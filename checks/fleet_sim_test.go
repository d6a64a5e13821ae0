package checks

import (
	"context"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// fleetRun resolves --all, prefetches and runs every check on every
// instance, returning the number of API calls the simulator received.
func fleetRun(tb testing.TB, n int, latency time.Duration) (calls int, counts map[string]int, wall time.Duration) {
	tb.Helper()
	a, s := simEnv(tb, awssim.GenerateFleet(n, awssim.DefaultFleetMix, 1), awssim.DemoAccessKey)
	s.SetLatency(latency)
	s.ResetCalls()
	ctx := context.Background()
	start := time.Now()
	targets, err := ResolveTargets(ctx, &Env{AWS: a}, nil, nil, true)
	if err != nil {
		tb.Fatal(err)
	}
	if len(targets) == 0 {
		tb.Fatal("no targets")
	}
	if err := PrefetchFleet(ctx, &Env{AWS: a}, targets); err != nil {
		tb.Fatal(err)
	}
	for _, tg := range targets {
		Run(ctx, &Env{AWS: a, Target: tg}, awsChecks(), RunOptions{Concurrency: 8})
	}
	wall = time.Since(start)
	counts = s.AllCalls()
	for _, v := range counts {
		calls += v
	}
	return calls, counts, wall
}

func TestSimFleetCallsWithinBound(t *testing.T) {
	const n = 300
	calls, counts, _ := fleetRun(t, n, 0)
	ceil := func(a, b int) int { return (a + b - 1) / b }
	// The PrefetchFleet formula: P profiles each with one role (R = P), the
	// network calls once for all VPCs, VPC attributes for the one VPC that
	// relies on endpoints, one DHMC setting read; the demo admin may simulate.
	profiles := map[string]bool{}
	for _, in := range awssim.GenerateFleet(n, awssim.DefaultFleetMix, 1).Instances {
		if in.InstanceProfileName != "" && in.State != "terminated" {
			profiles[in.InstanceProfileName] = true
		}
	}
	p := len(profiles)
	bound := ceil(n, 1000) + ceil(n, 50) + p + 2*p + 3 + 2 + 1 + ceil(n, simulateResourceBatch) + 3 + 1 + 1
	t.Logf("%d calls for %d instances, lower bound %d: %v", calls, n, bound, counts)
	if float64(calls) > 1.1*float64(bound) {
		t.Errorf("%d calls, more than 1.1 x the bound %d", calls, bound)
	}
}

func benchmarkFleet(b *testing.B, n int) {
	for range b.N {
		calls, _, wall := fleetRun(b, n, 20*time.Millisecond)
		b.ReportMetric(float64(calls), "calls")
		b.ReportMetric(wall.Seconds(), "wall-s")
	}
}

func BenchmarkFleetCheck1000(b *testing.B)  { benchmarkFleet(b, 1000) }
func BenchmarkFleetCheck10000(b *testing.B) { benchmarkFleet(b, 10000) }
