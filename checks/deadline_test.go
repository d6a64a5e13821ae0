package checks

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// Checks starting within the window with the same timeout share a group;
// a later start, or another timeout, gets its own.
func TestDeadlineGroups(t *testing.T) {
	d := newDeadlines(context.Background())
	defer d.close()
	t0 := time.Now()
	win := deadlineWindow(time.Minute)
	w := func() *watch { return &watch{parent: d.parent, late: func(Result) {}} }
	a := d.join(t0, time.Minute, w())
	b := d.join(t0.Add(win), time.Minute, w())
	c := d.join(t0.Add(win+time.Nanosecond), time.Minute, w())
	e := d.join(t0, time.Second, w())
	if a != b {
		t.Error("a check starting within the window got a group of its own")
	}
	if c == a || e == a {
		t.Error("a check starting after the window, or with another timeout, shared the group")
	}
	for _, tc := range []struct {
		g     *deadlineGroup
		start time.Time
		to    time.Duration
	}{{a, t0, time.Minute}, {b, t0.Add(win), time.Minute}, {c, t0.Add(win + time.Nanosecond), time.Minute}, {e, t0, time.Second}} {
		dl, _ := tc.g.ctx.Deadline()
		if dl.Before(tc.start.Add(tc.to)) || dl.After(tc.start.Add(tc.to+deadlineWindow(tc.to))) {
			t.Errorf("deadline %v after start, want within [%v, %v]", dl.Sub(tc.start), tc.to, tc.to+deadlineWindow(tc.to))
		}
	}
	// The window is a sixty-fourth of the timeout: under a second for 60 s.
	if win != 937500*time.Microsecond {
		t.Errorf("window for 60s: %v", win)
	}
}

// Every check of a run gets at least its own timeout from its own start,
// and at most the window more, also when it starts long after the first.
func TestRunDeadlineFromEachStart(t *testing.T) {
	const timeout = 640 * time.Millisecond // a window of 10ms
	var mu sync.Mutex
	type seen struct{ now, deadline time.Time }
	got := map[string]seen{}
	ended := map[string]time.Time{}
	check := func(id string, pause time.Duration, deps ...string) Check {
		return New(id, id, LayerLocal, deps, timeout, func(ctx context.Context, _ *Env) Result {
			dl, ok := ctx.Deadline()
			if !ok {
				return Fail("no deadline")
			}
			mu.Lock()
			got[id] = seen{time.Now(), dl}
			mu.Unlock()
			time.Sleep(pause)
			mu.Lock()
			ended[id] = time.Now()
			mu.Unlock()
			return Pass("ok")
		})
	}
	out := Run(context.Background(), &Env{}, []Check{
		check("a", 30*time.Millisecond), check("b", 0), check("c", 0, "a"), check("d", 0, "c"),
	}, RunOptions{})
	if s := statuses(out); s != "a=pass b=pass c=pass d=pass" {
		t.Fatal(s)
	}
	for id, s := range got {
		if s.deadline.After(s.now.Add(timeout + deadlineWindow(timeout))) {
			t.Errorf("%s: deadline %v from inside the check, more than timeout and window", id, s.deadline.Sub(s.now))
		}
	}
	// c started after a returned, d after c: their deadlines count from then.
	for id, dep := range map[string]string{"c": "a", "d": "c"} {
		if min := ended[dep].Add(timeout); got[id].deadline.Before(min) {
			t.Errorf("%s: deadline %v before its prerequisite's end plus the timeout", id, min.Sub(got[id].deadline))
		}
	}
}

// Two checks stuck in one group are both settled as timed out; a third in
// it that answers at once keeps its own result.
func TestRunStuckChecksShareGroup(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuck := func(id string) Check {
		return New(id, id, LayerLocal, nil, 20*time.Millisecond, func(context.Context, *Env) Result {
			<-release
			return Pass("late")
		})
	}
	quick := New("quick", "quick", LayerLocal, nil, 20*time.Millisecond, func(context.Context, *Env) Result { return Pass("quick") })
	out := Run(context.Background(), &Env{}, []Check{stuck("s1"), stuck("s2"), quick}, RunOptions{})
	for _, o := range out[:2] {
		if o.Result.Status != StatusError || o.Result.Message != "timed out after 20ms" {
			t.Errorf("%s: %+v", o.ID, o.Result)
		}
	}
	if out[2].Result.Status != StatusPass || !strings.Contains(out[2].Result.Message, "quick") {
		t.Errorf("quick: %+v", out[2].Result)
	}
}

// Cancelling the run's context settles a stuck check as interrupted.
func TestRunInterruptedStuckCheck(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	stuck := New("stuck", "stuck", LayerLocal, nil, time.Minute, func(context.Context, *Env) Result {
		close(started)
		<-release
		return Pass("late")
	})
	go func() { <-started; cancel() }()
	out := Run(ctx, &Env{}, []Check{stuck}, RunOptions{})
	if out[0].Result.Status != StatusError || out[0].Result.Message != "interrupted: context canceled" {
		t.Fatalf("%+v", out[0].Result)
	}
}

// The catalogue is made once; each caller gets a copy it may change.
func TestCatalogueCopies(t *testing.T) {
	a, b := All(), All()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("check %d made again: %s", i, a[i].ID())
		}
	}
	first := a[0]
	a[0] = nil
	if c := All(); c[0] != first {
		t.Fatal("changing one caller's list changed the catalogue")
	}
}
