package checks

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// RunOptions tune one run of the checks.
type RunOptions struct {
	Skip        []string      // IDs the user asked to skip (--skip)
	Concurrency int           // at most this many checks at once; <= 0 means 4
	OnDone      func(Outcome) // called as each check finishes, in completion order (progress)
	// DefaultTimeout applies to checks whose Timeout is zero; <= 0 means 30s.
	DefaultTimeout time.Duration
}

const skippedByFlag = "skipped by --skip"

const timeoutGrace = 200 * time.Millisecond

// Run runs list against env and returns one outcome per check in list order.
// A check starts once its prerequisites have finished; one whose
// prerequisite did not pass (warn counts as passing) is skipped with the
// reason. Independent checks run concurrently, bounded by opts.Concurrency.
// Run never returns before every check it started has been accounted for,
// but a check that ignores its context past its timeout is abandoned.
//
// The checks that are ready (prerequisites finished) wait in a queue that
// at most opts.Concurrency workers take from, each running one check at a
// time on its own goroutine; a check does not hold a goroutine while it
// waits for its prerequisites. A fleet runs sixteen checks on each of
// thousands of targets, most of them answered from the prefetched facts
// in microseconds: a goroutine per check spent more than the checks.
func Run(ctx context.Context, env *Env, list []Check, opts RunOptions) []Outcome {
	limit := opts.Concurrency
	if limit <= 0 {
		limit = 4
	}
	defTimeout := opts.DefaultTimeout
	if defTimeout <= 0 {
		defTimeout = 30 * time.Second
	}
	var skip map[string]bool // nil (reads as empty) unless --skip named some
	if len(opts.Skip) > 0 {
		skip = make(map[string]bool, len(opts.Skip))
	}
	for _, id := range opts.Skip {
		skip[id] = true
	}

	n := len(list)
	r := &run{ctx: ctx, env: env, list: list, opts: opts, limit: limit, defTimeout: defTimeout,
		out: make([]Outcome, n), pending: make([]int, n), dependents: make([][]int, n),
		static: make([]Result, n), left: n, allDone: make(chan struct{}), deadlines: newDeadlines(ctx)}
	r.index = make(map[string]int, n)
	for i, c := range list {
		if _, dup := r.index[c.ID()]; !dup {
			r.index[c.ID()] = i
		}
	}
	for i, c := range list {
		r.static[i] = staticResult(c, i, r.index, skip)
		if r.static[i].Status == "" {
			for _, dep := range c.DependsOn() {
				j := r.index[dep]
				r.pending[i]++
				r.dependents[j] = append(r.dependents[j], i)
			}
		}
		if r.pending[i] == 0 {
			r.ready = append(r.ready, i)
		}
	}
	if n == 0 {
		return r.out
	}
	r.mu.Lock()
	r.dispatch()
	r.mu.Unlock()
	<-r.allDone
	r.deadlines.close()
	return r.out
}

// run is one Run's state; mu guards the queue and the counts.
type run struct {
	ctx        context.Context
	env        *Env
	list       []Check
	opts       RunOptions
	limit      int
	defTimeout time.Duration
	index      map[string]int
	static     []Result // a result known before any check runs, else zero
	out        []Outcome
	deadlines  *deadlines

	mu         sync.Mutex
	pending    []int   // prerequisites not finished yet, per check
	dependents [][]int // the checks waiting for each check
	ready      []int   // checks whose prerequisites have finished, in order
	workers    int     // worker goroutines taking from ready
	busy       int     // of which handling a check
	left       int     // checks not accounted for yet
	allDone    chan struct{}

	doneMu sync.Mutex // serialises OnDone
}

// dispatch starts workers while fewer are free than checks are ready,
// up to the limit. Called with mu held.
func (r *run) dispatch() {
	for r.workers < r.limit && r.workers-r.busy < len(r.ready) {
		r.workers++
		spawn(r.work)
	}
}

// work takes ready checks until there are none. It returns early when its
// check was abandoned past its timeout: the goroutine is no longer one of
// the run's workers (abandon replaced it).
func (r *run) work() {
	for {
		r.mu.Lock()
		if len(r.ready) == 0 {
			r.workers--
			r.mu.Unlock()
			return
		}
		i := r.ready[0]
		r.ready = r.ready[1:]
		r.busy++
		r.mu.Unlock()
		if !r.runCheck(i) {
			return
		}
	}
}

// runCheck accounts for check i: its known result, a skip when a
// prerequisite did not pass, "not run" once the run's context has ended,
// else its own result. It returns false when the check was abandoned.
func (r *run) runCheck(i int) bool {
	c := r.list[i]
	o := Outcome{ID: c.ID(), Title: c.Title(), Layer: c.Layer()}
	switch {
	case r.static[i].Status != "":
		o.Result = r.static[i]
	case r.blocked(c, &o.Result):
	case r.ctx.Err() != nil:
		o.Result = Undetermined("", "not run: %v", r.ctx.Err())
	default:
		start := time.Now()
		res, inTime := r.deadlines.runOne(r.env, c, start, r.defTimeout, func(res Result) {
			late := o
			late.Duration, late.Result = time.Since(start), res
			r.finish(i, late, true)
		})
		if !inTime {
			return false
		}
		o.Duration, o.Result = time.Since(start), res
	}
	r.finish(i, o, false)
	return true
}

// finish records check i's outcome, makes the checks waiting for it ready
// once it was their last prerequisite, and starts workers for them. An
// abandoned check's worker stays with the check: another takes its place.
func (r *run) finish(i int, o Outcome, abandoned bool) {
	r.out[i] = o
	if r.opts.OnDone != nil {
		r.doneMu.Lock()
		r.opts.OnDone(o)
		r.doneMu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.busy--
	if abandoned {
		r.workers--
	}
	for _, d := range r.dependents[i] {
		if r.pending[d]--; r.pending[d] == 0 {
			r.ready = append(r.ready, d)
		}
	}
	if r.left--; r.left == 0 {
		close(r.allDone)
	}
	r.dispatch()
}

// blocked sets *res to the skip result when a prerequisite of c (all of
// them finished) did not pass, and reports whether it did.
func (r *run) blocked(c Check, res *Result) bool {
	var blocked []string
	for _, dep := range c.DependsOn() {
		if st := r.out[r.index[dep]].Result.Status; st != StatusPass && st != StatusWarn {
			blocked = append(blocked, fmt.Sprintf("%s %s", dep, describe(st)))
		}
	}
	if len(blocked) == 0 {
		return false
	}
	*res = Skip("prerequisite %s", strings.Join(blocked, ", "))
	return true
}

// idleWorkers hands work to goroutines that finished their last piece and
// wait for another (spawn). On fresh goroutines much of a fleet's check
// time went to growing their stacks, which reused ones have already grown.
var idleWorkers = make(chan func())

// workerIdle is how long a worker waits for more work before it ends.
const workerIdle = time.Second

// spawn runs f on its own goroutine, as `go f()` does, reusing an idle
// worker when there is one. f must not panic (a panic ends the program
// either way).
func spawn(f func()) {
	select {
	case idleWorkers <- f:
	default:
		go work(f)
	}
}

func work(f func()) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		f()
		f = nil
		t.Reset(workerIdle)
		select {
		case f = <-idleWorkers:
		case <-t.C:
			return
		}
	}
}

// staticResult is c's result when it is known before anything runs (the
// --skip flag, a prerequisite that is not part of the run or comes after
// c), else the zero Result. Requiring prerequisites to come earlier in
// the list rules out cycles.
func staticResult(c Check, i int, index map[string]int, skip map[string]bool) Result {
	if skip[c.ID()] {
		return Skip(skippedByFlag)
	}
	for _, dep := range c.DependsOn() {
		j, ok := index[dep]
		if !ok {
			return Skip("prerequisite %s is not part of this run", dep)
		}
		if j >= i {
			return Undetermined("", "check order: prerequisite %s must run before %s", dep, c.ID())
		}
	}
	return Result{}
}

func describe(s Status) string {
	switch s {
	case StatusFail:
		return "failed"
	case StatusError:
		return "could not be determined"
	case StatusSkip:
		return "was skipped"
	}
	return string(s)
}

// runOne runs a single check under its timeout on the caller's goroutine
// and returns its result, with true. A panic becomes StatusError, so one
// broken check never takes the report down. A check still running when
// its context ends gets timeoutGrace to say something more useful than
// "timed out"; after that a timer hands late the timeout (or interruption)
// result, and runOne returns false whenever the abandoned check returns.
func (d *deadlines) runOne(env *Env, c Check, start time.Time, defTimeout time.Duration, late func(Result)) (Result, bool) {
	timeout := c.Timeout()
	if timeout <= 0 {
		timeout = defTimeout
	}
	w := &watch{parent: d.parent, timeout: timeout, late: late}
	g := d.join(start, timeout, w)
	r := runRecovered(g.ctx, env, c)
	answered := g.leave(w)
	if !w.settled.CompareAndSwap(false, true) {
		return Result{}, false // the grace period has settled it
	}
	ctx := d.parent
	if answered {
		// Answered before its context ended.
		if g.ctx.Err() == context.DeadlineExceeded && r.Status == StatusError && ctx.Err() == nil {
			r.Message = fmt.Sprintf("timed out after %s: %s", timeout, r.Message)
		}
		return r, true
	}
	// Answered after its context ended, within the grace.
	if ctx.Err() != nil {
		return Undetermined("", "interrupted: %v", ctx.Err()), true
	}
	if r.Status == StatusError {
		r.Message = fmt.Sprintf("timed out after %s: %s", timeout, r.Message)
	}
	return r, true
}

// runRecovered is c.Run, normalized, with a panic turned into StatusError.
func runRecovered(ctx context.Context, env *Env, c Check) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Undetermined("", "check %s panicked: %v", c.ID(), p)
		}
	}()
	return normalize(c.Run(ctx, env))
}

// normalize keeps a malformed Result from reaching the report.
func normalize(r Result) Result {
	switch r.Status {
	case StatusPass, StatusWarn, StatusFail, StatusSkip, StatusError:
	default:
		r = Undetermined("", "check returned an unknown status %q: %s", r.Status, r.Message)
	}
	if i := strings.IndexByte(r.Message, '\n'); i >= 0 {
		r.Details = append([]string{r.Message[i+1:]}, r.Details...)
		r.Message = r.Message[:i]
	}
	return r
}
