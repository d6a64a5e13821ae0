package checks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A check runs under a deadline (its Timeout, else the run's default), and
// one that has not returned timeoutGrace after its deadline is settled
// without it (abandoned). A context.WithTimeout and a context.AfterFunc
// per check did this at a cost: a fleet runs forty-odd checks on each of
// thousands of targets, most answered from the prefetched facts in
// microseconds, and the two contexts were a third of that time (both
// register with the run's context, under its lock; docs/benchmarks.md).
//
// So the checks of one Run that start within a short window with the same
// timeout share one context: a check starting at s gets a deadline
// between s+timeout and s+timeout+window, where the window is a
// sixty-fourth of the timeout (under a second for the checks' 60 s). The
// group watches the checks still running in it, and when its context ends
// (the deadline, or the run's context) it starts the grace period of each.
func deadlineWindow(timeout time.Duration) time.Duration { return timeout / 64 }

// deadlines hands out one Run's check contexts.
type deadlines struct {
	parent context.Context

	mu   sync.Mutex
	open map[time.Duration]*deadlineGroup // the group still taking checks, per timeout
	all  []*deadlineGroup
}

func newDeadlines(parent context.Context) *deadlines {
	return &deadlines{parent: parent, open: map[time.Duration]*deadlineGroup{}}
}

// close releases every group's context once the run is over: by then each
// check has returned or been abandoned past its deadline.
func (d *deadlines) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, g := range d.all {
		g.cancel()
	}
}

// deadlineGroup is one shared check context and the checks running in it.
type deadlineGroup struct {
	ctx    context.Context
	cancel context.CancelFunc
	until  time.Time // takes checks that start no later than this

	mu       sync.Mutex
	fired    bool // ctx has ended: the grace period of each watch has started
	inflight map[*watch]struct{}
}

// watch is one running check, as its group sees it.
type watch struct {
	parent  context.Context // the run's
	timeout time.Duration   // the check's own, for the message
	late    func(Result)    // settles the check without it
	settled atomic.Bool     // by its return or by late, whichever is first
}

// join puts w, a check starting now with timeout, in a group and returns
// the group.
func (d *deadlines) join(now time.Time, timeout time.Duration, w *watch) *deadlineGroup {
	d.mu.Lock()
	g := d.open[timeout]
	if g == nil || now.After(g.until) {
		window := deadlineWindow(timeout)
		ctx, cancel := context.WithDeadline(d.parent, now.Add(timeout+window))
		g = &deadlineGroup{ctx: ctx, cancel: cancel, until: now.Add(window), inflight: map[*watch]struct{}{}}
		context.AfterFunc(ctx, g.fire)
		d.open[timeout] = g
		d.all = append(d.all, g)
	}
	d.mu.Unlock()

	g.mu.Lock()
	if g.fired {
		g.mu.Unlock()
		w.expire()
		return g
	}
	g.inflight[w] = struct{}{}
	g.mu.Unlock()
	return g
}

// leave takes w out of g when it returns; false when g's context had
// already ended (w's grace period is running).
func (g *deadlineGroup) leave(w *watch) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.inflight[w]; ok {
		delete(g.inflight, w)
		return true
	}
	return false
}

// fire starts the grace period of every check still running in g.
func (g *deadlineGroup) fire() {
	g.mu.Lock()
	ws := g.inflight
	g.fired, g.inflight = true, nil
	g.mu.Unlock()
	for w := range ws {
		w.expire()
	}
}

// expire settles the check as timed out (or interrupted) unless it
// returns within the grace period.
func (w *watch) expire() {
	time.AfterFunc(timeoutGrace, func() {
		if !w.settled.CompareAndSwap(false, true) {
			return
		}
		if err := w.parent.Err(); err != nil {
			w.late(Undetermined("", "interrupted: %v", err))
			return
		}
		w.late(Undetermined("", "timed out after %s", w.timeout))
	})
}
