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
func Run(ctx context.Context, env *Env, list []Check, opts RunOptions) []Outcome {
	limit := opts.Concurrency
	if limit <= 0 {
		limit = 4
	}
	defTimeout := opts.DefaultTimeout
	if defTimeout <= 0 {
		defTimeout = 30 * time.Second
	}
	skip := map[string]bool{}
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
			defer wg.Done()
			defer close(done[i])
			o := Outcome{ID: c.ID(), Title: c.Title(), Layer: c.Layer()}
			o.Result = prerequisites(c, i, index, list, done, out, skip)
			if o.Result.Status == "" {
				select {
				case sem <- struct{}{}:
					start := time.Now()
					o.Result = runOne(ctx, env, c, defTimeout)
					o.Duration = time.Since(start)
					<-sem
				case <-ctx.Done():
					o.Result = Undetermined("", "not run: %v", ctx.Err())
				}
			}
			out[i] = o
			if opts.OnDone != nil {
				mu.Lock()
				opts.OnDone(o)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// idleWorkers hands work to goroutines that finished their last piece and
// wait for another (spawn). A fleet runs sixteen checks on each of
// thousands of targets, two goroutines each; on fresh goroutines most of
// that CPU went to growing their stacks, which reused ones have already
// grown.
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

// runOne runs a single check under its timeout and turns a panic into
// StatusError, so one broken check never takes the report down.
func runOne(ctx context.Context, env *Env, c Check, defTimeout time.Duration) Result {
	timeout := c.Timeout()
	if timeout <= 0 {
		timeout = defTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	ch := make(chan Result, 1) // buffered: an abandoned check can still finish
	spawn(func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- Undetermined("", "check %s panicked: %v", c.ID(), p)
			}
		}()
		ch <- normalize(c.Run(cctx, env))
	})
	select {
	case r := <-ch:
		if cctx.Err() == context.DeadlineExceeded && r.Status == StatusError && ctx.Err() == nil {
			r.Message = fmt.Sprintf("timed out after %s: %s", timeout, r.Message)
		}
		return r
	case <-cctx.Done():
	}
	// A check that honours its context usually says something more useful
	// than "timed out" a moment later; give it that moment, then move on.
	grace := time.NewTimer(timeoutGrace)
	defer grace.Stop()
	select {
	case r := <-ch:
		if ctx.Err() == nil {
			if r.Status == StatusError {
				r.Message = fmt.Sprintf("timed out after %s: %s", timeout, r.Message)
			}
			return r
		}
	case <-grace.C:
	}
	if ctx.Err() != nil {
		return Undetermined("", "interrupted: %v", ctx.Err())
	}
	return Undetermined("", "timed out after %s", timeout)
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
