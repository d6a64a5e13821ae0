package awsfacts

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A fleet check (--all, --filter) lists the region's instances, ten pages
// one after another at 10,000 instances, then asks its questions of them
// in bulk (PrefetchFleet). Most of those questions need only what a page
// already says, so, asked for before the listing, they start as the pages
// arrive and their latency overlaps the remaining pages' instead of
// following them:
//
//   - the registrations, ssm:DescribeInstanceInformation for 50 ids a call
//     (ReadRegistrationsWhileListing; the ids left over once the listing
//     ends are asked for then);
//   - with PrefetchWhileListing, also the caller's StartSession on the
//     instances, iam:SimulatePrincipalPolicy for 100 instance ARNs a call
//     (sts:GetCallerIdentity first; a partial last chunk is left to
//     PrefetchFleet, which adds the hybrid nodes to it, so the calls stay
//     ceil((N+H)/100));
//   - each instance profile the pages name and its role's evaluation
//     (iam:GetInstanceProfile, iam:ListAttachedRolePolicies and the role's
//     simulation), once each;
//   - the region's instance statuses, once a page has named an instance.
//
// The calls are PrefetchFleet's own, in number and in kind, each chain at
// most parallelChunks at once; PrefetchFleet waits for them and asks only
// what is left. Other users of the listing (access --principal, wait)
// make no such calls: they do not ask for them.

// ReadRegistrationsWhileListing has the next fleet listing (ResolveTargets
// with --all or filters) start reading the instances' registrations.
func (a *AWSEnv) ReadRegistrationsWhileListing() { a.earlyOn = true }

// PrefetchWhileListing has the next fleet listing start the registrations
// and, with q (the questions PrefetchFleet will be given), the caller's
// StartSession simulations, the instance profiles' roles and the region's
// instance statuses.
func (a *AWSEnv) PrefetchWhileListing(q FleetQuestions) {
	a.earlyOn = true
	a.earlyQ = &q
}

// earlyFleet is the work a listing started.
type earlyFleet struct {
	a   *AWSEnv
	ctx context.Context
	q   *FleetQuestions // nil: registrations only
	wg  sync.WaitGroup

	infoSem, simSem, roleSem chan struct{}

	mu        sync.Mutex
	pending   []string // ids whose registrations are not asked for yet
	attempted map[string]bool
	errs      []error
	simBatch  []*ec2types.Instance // instances whose StartSession is not asked yet
	simTagged map[string]AccessReq
	profiles  map[string]bool
	roles     map[string]bool
	statuses  bool
}

func startEarly(ctx context.Context, a *AWSEnv) *earlyFleet {
	return &earlyFleet{a: a, ctx: ctx, q: a.earlyQ,
		infoSem: make(chan struct{}, parallelChunks), simSem: make(chan struct{}, parallelChunks), roleSem: make(chan struct{}, fleetConcurrency),
		attempted: map[string]bool{}, simTagged: map[string]AccessReq{}, profiles: map[string]bool{}, roles: map[string]bool{}}
}

// add takes a page of the listing.
func (r *earlyFleet) add(page []ec2types.Instance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range page {
		r.pending = append(r.pending, aws.ToString(page[i].InstanceId))
	}
	for len(r.pending) >= describeInstanceInformationPage {
		r.readInfoLocked(r.pending[:describeInstanceInformationPage:describeInstanceInformationPage])
		r.pending = r.pending[describeInstanceInformationPage:]
	}
	if r.q == nil || len(page) == 0 {
		return
	}
	if !r.statuses {
		r.statuses = true
		r.goDo(nil, func() {
			a := r.a
			a.regionStatuses.get(r.ctx, "", func() (bool, error) { return true, a.fetchRegionStatuses(r.ctx) })
		})
	}
	for i := range page {
		inst := &page[i]
		if inst.IamInstanceProfile != nil {
			if arn := aws.ToString(inst.IamInstanceProfile.Arn); arn != "" && !r.profiles[arn] {
				r.profiles[arn] = true
				r.goDo(r.roleSem, func() { r.readProfile(arn) })
			}
		}
	}
	if r.q.StartSession != nil {
		r.queueStarts(page)
	}
}

// listed asks for the registrations left over once the listing has ended.
func (r *earlyFleet) listed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) > 0 {
		r.readInfoLocked(r.pending)
		r.pending = nil
	}
}

// goDo runs f on a goroutine of its own, at most cap(sem) at once (sem nil:
// no bound).
func (r *earlyFleet) goDo(sem chan struct{}, f func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if sem != nil {
			select {
			case sem <- struct{}{}:
			case <-r.ctx.Done():
				r.fail(r.ctx.Err())
				return
			}
			defer func() { <-sem }()
		}
		f()
	}()
}

func (r *earlyFleet) readInfoLocked(chunk []string) {
	for _, id := range chunk {
		r.attempted[id] = true
	}
	r.goDo(r.infoSem, func() {
		info, answered, err := r.a.fetchInstanceInfo(r.ctx, chunk)
		for _, id := range chunk {
			if answered[id] {
				r.a.info.put(id, &instanceInfoRec{info: info[id]}, nil)
			}
		}
		if err != nil {
			r.fail(err)
		}
	})
}

// readProfile reads an instance profile and evaluates its role once, as
// prefetchRoles does; errors are left for the checks to meet.
func (r *earlyFleet) readProfile(arn string) {
	p, err := r.a.InstanceProfileByArn(r.ctx, arn)
	if err != nil || p.RoleName == "" {
		return
	}
	r.mu.Lock()
	seen := r.roles[p.RoleName]
	r.roles[p.RoleName] = true
	r.mu.Unlock()
	if seen {
		return
	}
	_, _ = r.a.AttachedRolePolicies(r.ctx, p.RoleName)
	_, _, _ = r.a.Evaluate(r.ctx, r.a.RolePrincipal(p), r.q.Role)
}

// queueStarts adds a page's instances to the StartSession batch and asks
// for every full chunk. Called with mu held, on the listing's goroutine:
// the questions are made, and the caller asked for, by the chunk's own.
func (r *earlyFleet) queueStarts(page []ec2types.Instance) {
	for i := range page {
		r.simBatch = append(r.simBatch, &page[i])
	}
	for len(r.simBatch) >= SimulateResourceBatch {
		chunk := r.simBatch[:SimulateResourceBatch:SimulateResourceBatch]
		r.simBatch = r.simBatch[SimulateResourceBatch:]
		r.goDo(r.simSem, func() { r.simulateStarts(chunk) })
	}
}

// simulateStarts simulates a chunk's StartSession without tags and stores
// each answer under the question with tags, as prefetchStartSession does;
// the instances whose answer depends on a tag are kept for PrefetchFleet's
// batch with tags.
func (r *earlyFleet) simulateStarts(chunk []*ec2types.Instance) {
	a := r.a
	c, err := a.CallerIdentity(r.ctx)
	if err != nil || c.Kind == "root" {
		return // PrefetchFleet meets the same answer
	}
	arn := a.CallerPrincipal(c).arn
	open, err := a.firstSimulation(r.ctx, arn)
	if err != nil {
		return
	}
	defer open()
	if _, denied := a.simDenied.Load(arn); denied {
		return
	}
	bare, full := make([]AccessReq, len(chunk)), make([]AccessReq, len(chunk))
	for i, inst := range chunk {
		t := listedTarget(a, inst)
		bare[i], full[i] = r.q.StartSession(c, a.Region, t, nil), r.q.StartSession(c, a.Region, t, inst)
	}
	decs, err := a.simulate(r.ctx, arn, bare)
	if err != nil {
		if simulationUnusable(err) {
			a.simDenied.Store(arn, err)
		}
		return
	}
	open()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, d := range decs {
		if needsTags(d.Missing) {
			r.simTagged[simKey(arn, full[i])] = full[i]
			continue
		}
		a.simulations.put(simKey(arn, full[i]), d, nil)
	}
}

func (r *earlyFleet) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

// wait returns once every call has answered: the ids whose registrations
// were asked for (a chunk that failed leaves its ids to each target's own
// lookup, as PrefetchFleet's own batches do), the StartSession questions
// that need the instances' tags, by key, and the registrations' errors.
func (r *earlyFleet) wait() (attempted map[string]bool, tagged map[string]AccessReq, err error) {
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempted, r.simTagged, errors.Join(r.errs...)
}

// listedTarget is the target listFleet makes of a listed instance.
func listedTarget(a *AWSEnv, inst *ec2types.Instance) *Target {
	id := aws.ToString(inst.InstanceId)
	return &Target{Input: id, InstanceID: id, Region: a.Region, Name: TagValue(inst.Tags, "Name")}
}
