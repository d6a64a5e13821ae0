package awsfacts

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// ReadRegistrationsWhileListing is for a fleet check (--all, --filter),
// whose listing (ResolveTargets) PrefetchFleet follows: its first question
// is every instance's registration, ssm:DescribeInstanceInformation for 50
// ids a call, which needs only the ids. Asked for before ResolveTargets,
// the listing starts those calls as its pages arrive, a full chunk of 50
// ids at a time and the rest once the listing ends, so that their latency
// overlaps the remaining pages'; PrefetchFleet then waits for them instead
// of asking. The calls are the same ceil(N/50), at most parallelChunks at
// once. Other users of the listing (access --principal, wait) make no such
// calls: they do not ask for it.
func (a *AWSEnv) ReadRegistrationsWhileListing() { a.registrationsEarly = true }

// earlyRegistrations is the registrations' read that the listing started.
type earlyRegistrations struct {
	a   *AWSEnv
	ctx context.Context
	sem chan struct{}
	wg  sync.WaitGroup

	mu        sync.Mutex
	pending   []string
	attempted map[string]bool // asked for, answered or not
	errs      []error
}

func startEarlyRegistrations(ctx context.Context, a *AWSEnv) *earlyRegistrations {
	return &earlyRegistrations{a: a, ctx: ctx, sem: make(chan struct{}, parallelChunks), attempted: map[string]bool{}}
}

// add takes a page of the listing; every full chunk of ids is asked for.
func (r *earlyRegistrations) add(page []ec2types.Instance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range page {
		r.pending = append(r.pending, aws.ToString(page[i].InstanceId))
	}
	for len(r.pending) >= describeInstanceInformationPage {
		r.launchLocked(r.pending[:describeInstanceInformationPage:describeInstanceInformationPage])
		r.pending = r.pending[describeInstanceInformationPage:]
	}
}

// listed asks for the ids left over once the listing has ended.
func (r *earlyRegistrations) listed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) > 0 {
		r.launchLocked(r.pending)
		r.pending = nil
	}
}

func (r *earlyRegistrations) launchLocked(chunk []string) {
	for _, id := range chunk {
		r.attempted[id] = true
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case r.sem <- struct{}{}:
		case <-r.ctx.Done():
			r.fail(r.ctx.Err())
			return
		}
		defer func() { <-r.sem }()
		info, answered, err := r.a.fetchInstanceInfo(r.ctx, chunk)
		for _, id := range chunk {
			if answered[id] {
				r.a.info.put(id, &instanceInfoRec{info: info[id]}, nil)
			}
		}
		if err != nil {
			r.fail(err)
		}
	}()
}

func (r *earlyRegistrations) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

// wait returns once every call has answered: the ids that were asked for
// (a chunk that failed leaves its ids to each target's own lookup, as
// PrefetchFleet's own batches do) and the calls' errors.
func (r *earlyRegistrations) wait() (attempted map[string]bool, err error) {
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempted, errors.Join(r.errs...)
}
