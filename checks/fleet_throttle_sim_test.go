package checks

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// fleetRateLimits are deliberately low per-account API rates, of the order
// AWS enforces on its low-rate APIs (the SSM inventory and IAM simulation
// among them); AWS does not publish every figure. "*" holds every other
// operation to a modest rate of its own.
var fleetRateLimits = []struct {
	op        string
	perSecond float64
	burst     int
}{
	{"ssm.DescribeInstanceInformation", 5, 5},
	{"iam.SimulatePrincipalPolicy", 5, 5},
	{"ec2.DescribeInstances", 10, 10},
	{"iam.GetInstanceProfile", 5, 5},
	{"*", 20, 20},
}

// throttledFleet is one `check --all` over a fleet, as the command runs it:
// its retry settings (awsapi defaults), targetConcurrency targets at once,
// a prefetch failure tolerated (the checks then ask one by one) and
// recorded in prefetchErr, as is a failure to resolve --all.
type throttledFleet struct {
	targets      int
	calls        int
	throttled    int
	counts       map[string]int
	throttledBy  map[string]int
	wall         time.Duration
	prefetchErr  error
	status       map[string]Status // "target check" -> status
	undetermined []string          // "target check: message" of StatusError results
}

// runThrottledFleet checks every target of st; limited applies
// fleetRateLimits first.
func runThrottledFleet(tb testing.TB, st *awssim.State, limited bool, latency time.Duration) throttledFleet {
	tb.Helper()
	s := startSim(tb, st)
	if limited {
		for _, l := range fleetRateLimits {
			s.RateLimit(l.op, l.perSecond, l.burst)
		}
	}
	s.SetLatency(latency)
	s.ResetCalls()
	var r throttledFleet
	asDoctor(func(context.Context) {
		defer FleetGC()() // as the check command does for --all
		r = checkFleet(tb, s, st)
	})
	r.counts = s.AllCalls()
	for _, v := range r.counts {
		r.calls += v
	}
	r.throttled = s.Throttled("*")
	r.throttledBy = map[string]int{}
	for op := range r.counts {
		if n := s.Throttled(op); n > 0 {
			r.throttledBy[op] = n
		}
	}
	return r
}

// checkFleet is one `check --all` run by a client of its own (its own
// adaptive rate), leaving the simulator's counters to the caller.
func checkFleet(tb testing.TB, s *awssim.Sim, st *awssim.State) throttledFleet {
	tb.Helper()
	c := simtest.Clients(tb, s, st, awssim.DemoAccessKey, commandRetry)
	a := awsfacts.NewAWSEnv(c)
	ctx := context.Background()
	start := time.Now()
	r := throttledFleet{status: map[string]Status{}}
	targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
	if err != nil {
		// Not tb.Fatal: shared runs call this off the test's goroutine.
		r.prefetchErr = fmt.Errorf("resolve --all: %w", err)
		return r
	}
	r.targets = len(targets)
	r.prefetchErr = PrefetchFleet(ctx, &Env{AWS: a}, targets)

	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, fleetTargetConcurrency)
	for _, tg := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			outs := Run(ctx, &Env{AWS: a, Target: tg}, awsChecks(), RunOptions{})
			mu.Lock()
			defer mu.Unlock()
			for _, o := range outs {
				key := tg.InstanceID + " " + o.ID
				r.status[key] = o.Result.Status
				if o.Result.Status == StatusError {
					r.undetermined = append(r.undetermined, key+": "+o.Result.Message)
				}
			}
		}()
	}
	wg.Wait()
	r.wall = time.Since(start)
	sort.Strings(r.undetermined)
	return r
}

// commandRetry is what `ssmdoctor check`'s zero awsapi.Options resolve to
// (awsapi's TestNewRetryerAttempts holds them equal), spelled out because
// simtest turns MaxAttempts 0 into 1.
var commandRetry = awsapi.Options{MaxAttempts: retry.DefaultMaxAttempts, ThrottleAttempts: awsapi.DefaultThrottleAttempts}

// TestSimFleetUnderRateLimits: a fleet checked against AWS-like per-API rate
// limits ends exactly as it does unthrottled, every result determined, while
// the simulator really throttled it and the retries stayed bounded.
func TestSimFleetUnderRateLimits(t *testing.T) {
	const n, h = 300, 60
	free := runThrottledFleet(t, hybridFleet(n, h), false, 0)
	lim := runThrottledFleet(t, hybridFleet(n, h), true, 0)
	t.Logf("unthrottled: %d calls, %v; rate limited: %d calls, %d throttled %v, %v",
		free.calls, free.wall.Round(time.Millisecond), lim.calls, lim.throttled, lim.throttledBy, lim.wall.Round(time.Millisecond))

	if free.throttled != 0 || free.prefetchErr != nil || len(free.undetermined) != 0 {
		t.Fatalf("the unthrottled run is no reference: %d throttled, prefetch %v, undetermined %v",
			free.throttled, free.prefetchErr, head(free.undetermined))
	}
	if lim.targets != n+h || free.targets != n+h {
		t.Fatalf("--all selected %d and %d targets, want %d", free.targets, lim.targets, n+h)
	}
	if lim.throttled == 0 {
		t.Fatalf("the rate limits throttled nothing (%v calls): the test proves nothing", lim.counts)
	}
	if lim.prefetchErr != nil {
		t.Errorf("prefetch under rate limits: %v", lim.prefetchErr)
	}
	if len(lim.undetermined) != 0 {
		t.Errorf("%d results undetermined under rate limits, e.g. %v", len(lim.undetermined), head(lim.undetermined))
	}
	if !maps.Equal(free.status, lim.status) {
		diff := 0
		var eg []string
		for k, v := range free.status {
			if lim.status[k] != v {
				diff++
				eg = append(eg, fmt.Sprintf("%s: %s, unthrottled %s", k, lim.status[k], v))
			}
		}
		sort.Strings(eg)
		t.Errorf("%d of %d results differ from the unthrottled run, e.g. %v", diff, len(free.status), head(eg))
	}
	if lim.calls > 2*free.calls {
		t.Errorf("%d calls under rate limits, more than twice the %d unthrottled: %v", lim.calls, free.calls, lim.counts)
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }

// benchmarkFleetThrottled is benchmarkFleet's fleet under fleetRateLimits,
// with the same 20 ms per call.
func benchmarkFleetThrottled(b *testing.B, n int) {
	for range b.N {
		r := runThrottledFleet(b, hybridFleet(n, 0), true, 20*time.Millisecond)
		if r.prefetchErr != nil || len(r.undetermined) > 0 {
			b.Errorf("prefetch %v; %d undetermined, e.g. %v", r.prefetchErr, len(r.undetermined), head(r.undetermined))
		}
		b.ReportMetric(float64(r.calls), "calls")
		b.ReportMetric(float64(r.throttled), "throttled")
		b.ReportMetric(r.wall.Seconds(), "wall-s")
		b.Logf("%d calls %v, throttled %v", r.calls, r.counts, r.throttledBy)
	}
}

// benchmarkFleetShared runs k fleet checks at once, each with a client (and
// adaptive rate) of its own, against one account's rate limits: other
// tools on a real account draw on the same per-API quota.
func benchmarkFleetShared(b *testing.B, n, k int) {
	for range b.N {
		st := hybridFleet(n, 0)
		s := startSim(b, st)
		for _, l := range fleetRateLimits {
			s.RateLimit(l.op, l.perSecond, l.burst)
		}
		s.SetLatency(20 * time.Millisecond)
		runs := make([]throttledFleet, k)
		restore := FleetGC() // one process, one setting for the k runs
		var wg sync.WaitGroup
		for i := range k {
			wg.Add(1)
			asDoctor(func(context.Context) {
				go func() { defer wg.Done(); runs[i] = checkFleet(b, s, st) }()
			})
		}
		wg.Wait()
		restore()
		var slowest time.Duration
		undetermined, lostPrefetch := 0, 0
		for i, r := range runs {
			slowest = max(slowest, r.wall)
			undetermined += len(r.undetermined)
			if r.prefetchErr != nil {
				lostPrefetch++
			}
			b.Logf("run %d: %v, prefetch error %v, %d undetermined %v", i, r.wall.Round(time.Millisecond), r.prefetchErr, len(r.undetermined), head(r.undetermined))
		}
		calls := 0
		for _, v := range s.AllCalls() {
			calls += v
		}
		b.ReportMetric(float64(calls), "calls")
		b.ReportMetric(float64(s.Throttled("*")), "throttled")
		b.ReportMetric(float64(undetermined), "undetermined")
		b.ReportMetric(float64(lostPrefetch), "lost-prefetches")
		b.ReportMetric(slowest.Seconds(), "slowest-wall-s")
	}
}
