package checks

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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

	out := make([]Outcome, len(list))
	done := make([]chan struct{}, len(list))
	index := map[string]int{}
	for i, c := range list {
		done[i] = make(chan struct{})
		if _, dup := index[c.ID()]; !dup {
			index[c.ID()] = i
		}
	}

	sem := make(chan struct{}, limit)
	var mu sync.Mutex // serialises OnDone
	var wg sync.WaitGroup
	for i, c := range list {
		wg.Add(1)
		spawn(func() {
			o := Outcome{ID: c.ID(), Title: c.Title(), Layer: c.Layer()}
			// account is called once per check, by the check's goroutine
			// or, for a check abandoned past its timeout, by a timer.
			account := func(o Outcome) {
				out[i] = o
				if opts.OnDone != nil {
					mu.Lock()
					opts.OnDone(o)
					mu.Unlock()
				}
				close(done[i])
				wg.Done()
			}
			o.Result = prerequisites(c, i, index, list, done, out, skip)
			if o.Result.Status != "" {
				account(o)
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				o.Result = Undetermined("", "not run: %v", ctx.Err())
				account(o)
				return
			}
			start := time.Now()
			runOne(ctx, env, c, defTimeout, func(r Result) {
				o.Duration = time.Since(start)
				<-sem
				o.Result = r
				account(o)
			})
		})
	}
	wg.Wait()
	return out
}

// idleWorkers hands work to goroutines that finished their last piece and
// wait for another (spawn). A fleet runs sixteen checks on each of
// thousands of targets, a goroutine each; on fresh goroutines much of that
// CPU went to growing their stacks, which reused ones have already grown.
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

// prerequisites returns the skip result for c, or a zero Result when c may run.
// Requiring prerequisites to come earlier in the list rules out cycles.
func prerequisites(c Check, i int, index map[string]int, list []Check, done []chan struct{}, out []Outcome, skip map[string]bool) Result {
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
	var blocked []string
	for _, dep := range c.DependsOn() {
		j := index[dep]
		<-done[j]
		if st := out[j].Result.Status; st != StatusPass && st != StatusWarn {
			blocked = append(blocked, fmt.Sprintf("%s %s", dep, describe(st)))
		}
	}
	if len(blocked) > 0 {
		return Skip("prerequisite %s", strings.Join(blocked, ", "))
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
// and hands its result to settle, once. A panic becomes StatusError, so one
// broken check never takes the report down. A check still running when its
// context ends gets timeoutGrace to say something more useful than "timed
// out"; after that a timer settles it and the check is abandoned (its
// goroutine returns whenever the check does, its result unused).
func runOne(ctx context.Context, env *Env, c Check, defTimeout time.Duration, settle func(Result)) {
	timeout := c.Timeout()
	if timeout <= 0 {
		timeout = defTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var settled atomic.Bool
	once := func(r Result) {
		if settled.CompareAndSwap(false, true) {
			settle(r)
		}
	}
	// Runs only when the context ends before the check returns.
	stop := context.AfterFunc(cctx, func() {
		time.AfterFunc(timeoutGrace, func() {
			if ctx.Err() != nil {
				once(Undetermined("", "interrupted: %v", ctx.Err()))
				return
			}
			once(Undetermined("", "timed out after %s", timeout))
		})
	})
	r := runRecovered(cctx, env, c)
	if stop() {
		// Answered before its context ended.
		if cctx.Err() == context.DeadlineExceeded && r.Status == StatusError && ctx.Err() == nil {
			r.Message = fmt.Sprintf("timed out after %s: %s", timeout, r.Message)
		}
		once(r)
		return
	}
	// Answered after its context ended, within the grace unless the timer
	// has settled it already.
	if ctx.Err() != nil {
		once(Undetermined("", "interrupted: %v", ctx.Err()))
		return
	}
	if r.Status == StatusError {
		r.Message = fmt.Sprintf("timed out after %s: %s", timeout, r.Message)
	}
	once(r)
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
