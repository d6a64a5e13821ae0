package checks

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fixed(id string, r Result, deps ...string) Check {
	return New(id, "title "+id, LayerLocal, deps, time.Second, func(context.Context, *Env) Result { return r })
}

func statuses(out []Outcome) string {
	var b []string
	for _, o := range out {
		b = append(b, o.ID+"="+string(o.Result.Status))
	}
	return strings.Join(b, " ")
}

func TestRunKeepsOrderAndHonoursDeps(t *testing.T) {
	list := []Check{
		fixed("a", Pass("ok")),
		fixed("b", Fail("broken")),
		fixed("c", Warn("meh"), "a"),
		fixed("d", Pass("never"), "b"),
		fixed("e", Pass("never"), "d"),
		fixed("f", Undetermined("x:Y", "no")),
		fixed("g", Pass("never"), "a", "f"),
		fixed("h", Pass("ran"), "c"),
	}
	out := Run(context.Background(), &Env{}, list, RunOptions{})
	want := "a=pass b=fail c=warn d=skip e=skip f=error g=skip h=pass"
	if got := statuses(out); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if out[3].Result.Message != "prerequisite b failed" {
		t.Errorf("d: %q", out[3].Result.Message)
	}
	if out[4].Result.Message != "prerequisite d was skipped" {
		t.Errorf("e: %q", out[4].Result.Message)
	}
	if out[6].Result.Message != "prerequisite f could not be determined" {
		t.Errorf("g: %q", out[6].Result.Message)
	}
	if out[0].Title != "title a" || out[0].Layer != LayerLocal {
		t.Errorf("outcome metadata: %+v", out[0])
	}
}

func TestRunSkipFlag(t *testing.T) {
	out := Run(context.Background(), &Env{}, []Check{fixed("a", Pass("ok")), fixed("b", Pass("ok"), "a")}, RunOptions{Skip: []string{"a"}})
	if got := statuses(out); got != "a=skip b=skip" {
		t.Fatal(got)
	}
	if out[0].Result.Message != "skipped by --skip" || out[1].Result.Message != "prerequisite a was skipped" {
		t.Fatalf("%q / %q", out[0].Result.Message, out[1].Result.Message)
	}
}

func TestRunBadDependencies(t *testing.T) {
	out := Run(context.Background(), &Env{}, []Check{
		fixed("a", Pass("ok"), "b"), // later in the list: would allow cycles
		fixed("b", Pass("ok")),
		fixed("c", Pass("ok"), "nope"),
	}, RunOptions{})
	if got := statuses(out); got != "a=error b=pass c=skip" {
		t.Fatal(got)
	}
}

func TestRunTimeoutBecomesError(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuck := New("stuck", "ignores ctx", LayerLocal, nil, time.Millisecond, func(ctx context.Context, _ *Env) Result {
		<-release // ignores its context on purpose
		return Pass("late")
	})
	polite := New("polite", "honours ctx", LayerLocal, nil, time.Millisecond, func(ctx context.Context, _ *Env) Result {
		<-ctx.Done()
		return Undetermined("", "gave up: %v", ctx.Err())
	})
	out := Run(context.Background(), &Env{}, []Check{stuck, polite}, RunOptions{})
	if out[0].Result.Status != StatusError || out[0].Result.Message != "timed out after 1ms" {
		t.Errorf("stuck: %+v", out[0].Result)
	}
	if out[1].Result.Status != StatusError || !strings.HasPrefix(out[1].Result.Message, "timed out after 1ms") {
		t.Errorf("polite: %+v", out[1].Result)
	}
}

func TestRunPanicBecomesError(t *testing.T) {
	boom := New("boom", "panics", LayerLocal, nil, time.Second, func(context.Context, *Env) Result { panic("nil map") })
	out := Run(context.Background(), &Env{}, []Check{boom, fixed("after", Pass("ok"), "boom")}, RunOptions{})
	if out[0].Result.Status != StatusError || out[0].Result.Message != "check boom panicked: nil map" {
		t.Fatalf("%+v", out[0].Result)
	}
	if out[1].Result.Status != StatusSkip {
		t.Fatalf("dependent of a panic: %+v", out[1].Result)
	}
}

func TestRunBadResultIsNormalised(t *testing.T) {
	out := Run(context.Background(), &Env{}, []Check{
		fixed("odd", Result{Status: "great", Message: "x"}),
		fixed("multi", Result{Status: StatusFail, Message: "one\ntwo"}),
	}, RunOptions{})
	if out[0].Result.Status != StatusError {
		t.Errorf("unknown status: %+v", out[0].Result)
	}
	if out[1].Result.Message != "one" || len(out[1].Result.Details) != 1 || out[1].Result.Details[0] != "two" {
		t.Errorf("multi-line message: %+v", out[1].Result)
	}
}

// Independent checks overlap; the bound is respected. Both are shown by a
// rendezvous, not by timing.
func TestRunConcurrencyBounded(t *testing.T) {
	const n, limit = 8, 3
	var running, peak atomic.Int32
	arrived := make(chan struct{}, n)
	gate := make(chan struct{})
	var list []Check
	for i := 0; i < n; i++ {
		list = append(list, New(string(rune('a'+i)), "c", LayerLocal, nil, time.Minute, func(ctx context.Context, _ *Env) Result {
			now := running.Add(1)
			for {
				p := peak.Load()
				if now <= p || peak.CompareAndSwap(p, now) {
					break
				}
			}
			arrived <- struct{}{}
			<-gate
			running.Add(-1)
			return Pass("ok")
		}))
	}
	var order []string
	var mu sync.Mutex
	done := make(chan []Outcome)
	go func() {
		done <- Run(context.Background(), &Env{}, list, RunOptions{Concurrency: limit, OnDone: func(o Outcome) {
			mu.Lock()
			order = append(order, o.ID)
			mu.Unlock()
		}})
	}()
	for i := 0; i < limit; i++ {
		<-arrived // limit checks run at once: they all reached the gate together
	}
	close(gate)
	out := <-done
	if p := peak.Load(); p != limit {
		t.Fatalf("peak concurrency %d, want %d", p, limit)
	}
	if got := statuses(out); got != "a=pass b=pass c=pass d=pass e=pass f=pass g=pass h=pass" {
		t.Fatal(got)
	}
	if len(order) != n {
		t.Fatalf("OnDone called %d times", len(order))
	}
}

func TestRunCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := Run(ctx, &Env{}, []Check{New("a", "c", LayerLocal, nil, time.Minute, func(ctx context.Context, _ *Env) Result {
		<-ctx.Done()
		return Undetermined("", "stopped")
	})}, RunOptions{})
	if out[0].Result.Status != StatusError {
		t.Fatalf("%+v", out[0].Result)
	}
}

func TestAllHasUniqueIDsAndValidDeps(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		if seen[c.ID()] {
			t.Errorf("duplicate id %s", c.ID())
		}
		for _, d := range c.DependsOn() {
			if !seen[d] {
				t.Errorf("%s depends on %s, which does not come earlier", c.ID(), d)
			}
		}
		seen[c.ID()] = true
		if c.Timeout() <= 0 {
			t.Errorf("%s has no timeout", c.ID())
		}
	}
	if len(ForTarget(All(), false)) == 0 {
		t.Fatal("no checks run without a target")
	}
}
