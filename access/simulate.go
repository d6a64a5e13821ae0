package access

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// SimulateResourceBatch is how many resource ARNs one
// SimulatePrincipalPolicy call carries: the facts layer's number.
const SimulateResourceBatch = awsfacts.SimulateResourceBatch

// SimulateConcurrency is how many simulations run at once.
const SimulateConcurrency = 8

// Simulation says how the decisions were confirmed.
type Simulation struct {
	// Asked: iam:SimulatePrincipalPolicy was tried.
	Asked bool
	// Calls is how many SimulatePrincipalPolicy calls were made (pages
	// included).
	Calls int
	// Principals is how many principals were simulated.
	Principals int
	// Disagreements counts the decisions the simulation made otherwise.
	Disagreements int
	// Note says why some or all decisions were not confirmed, or "".
	Note string
}

// cellRef points at a cell a simulation answers.
type cellRef struct {
	cell             *Cell
	action, resource string
}

// simJob is one SimulatePrincipalPolicy call (and its pages): one
// principal, one context, every action of the group and up to
// SimulateResourceBatch resources. Context entries apply to every resource
// of a call, so requests are grouped by the context they carry.
type simJob struct {
	p         *Principal
	ctx       []ctxEntry
	actions   []string
	resources []string
	refs      []cellRef
}

// relevant keeps the context entries p's policies can read: a key that
// no policy of p names (as a condition key or a ${variable}) cannot change
// a decision, and leaving it out lets requests that differ only there
// (the Name tag of every instance, say) share one call.
func relevant(p *Principal, cv []ctxEntry) []ctxEntry {
	var out []ctxEntry
	for _, e := range cv {
		if p.reads[strings.ToLower(e.key)] {
			out = append(out, e)
		}
	}
	return out
}

func ctxKeyOf(cv []ctxEntry) string {
	parts := make([]string, 0, len(cv))
	for _, e := range cv {
		parts = append(parts, strings.ToLower(e.key)+"="+strings.Join(e.values, "\x00"))
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}

// plan groups the rows' requests into calls.
func plan(rows []Row, reqs [][]request) []*simJob {
	type group struct {
		p         *Principal
		ctx       []ctxEntry
		actions   map[string]bool
		resources map[string]bool
		order     []string
		refs      []cellRef
	}
	groups := map[string]*group{}
	var keys []string
	for i := range rows {
		row := &rows[i]
		for j, r := range reqs[i] {
			c := &row.Cells[j]
			if c.Decision == NotApplicable {
				continue
			}
			cv := relevant(row.Principal, r.ctx)
			k := row.Principal.Arn + "\x02" + ctxKeyOf(cv)
			g := groups[k]
			if g == nil {
				g = &group{p: row.Principal, ctx: cv, actions: map[string]bool{}, resources: map[string]bool{}}
				groups[k] = g
				keys = append(keys, k)
			}
			g.actions[r.action] = true
			if !g.resources[r.resource] {
				g.resources[r.resource] = true
				g.order = append(g.order, r.resource)
			}
			g.refs = append(g.refs, cellRef{c, r.action, r.resource})
		}
	}
	var jobs []*simJob
	for _, k := range keys {
		g := groups[k]
		acts := make([]string, 0, len(g.actions))
		for a := range g.actions {
			acts = append(acts, a)
		}
		sort.Strings(acts)
		for start := 0; start < len(g.order); start += SimulateResourceBatch {
			end := min(start+SimulateResourceBatch, len(g.order))
			chunk := g.order[start:end]
			in := map[string]bool{}
			for _, r := range chunk {
				in[r] = true
			}
			j := &simJob{p: g.p, ctx: g.ctx, actions: acts, resources: chunk}
			for _, ref := range g.refs {
				if in[ref.resource] {
					j.refs = append(j.refs, ref)
				}
			}
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// simulate confirms the rows' decisions; it returns an error only when the
// context ended (the report cannot be finished), and otherwise says in
// Simulation what could not be confirmed.
func simulate(ctx context.Context, api IAMAPI, rows []Row, reqs [][]request) (Simulation, error) {
	sim := Simulation{Asked: true}
	jobs := plan(rows, reqs)
	if len(jobs) == 0 {
		return sim, nil
	}
	var mu sync.Mutex
	var denied error
	failed := map[string]error{} // principal label -> first error
	run := func(j *simJob) {
		mu.Lock()
		stop := denied != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			return
		}
		calls, err := j.run(ctx, api)
		mu.Lock()
		defer mu.Unlock()
		sim.Calls += calls
		switch {
		case err == nil:
		case awsfacts.Classify(err) == awsfacts.Denied:
			if denied == nil {
				denied = err
			}
		default:
			if _, ok := failed[j.p.Label()]; !ok {
				failed[j.p.Label()] = err
			}
		}
	}
	// The first call alone: a caller who may not simulate learns it once,
	// not once per worker.
	run(jobs[0])
	work := make(chan *simJob)
	var wg sync.WaitGroup
	for range SimulateConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				run(j)
			}
		}()
	}
	for _, j := range jobs[1:] {
		work <- j
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return sim, &awsfacts.CallError{Call: "iam:SimulatePrincipalPolicy", Err: err}
	}
	simulated := map[*Principal]bool{}
	for i := range rows {
		row := &rows[i]
		for j := range row.Cells {
			if c := &row.Cells[j]; c.Simulated != "" {
				simulated[row.Principal] = true
				if c.Disagrees() {
					sim.Disagreements++
				}
			}
		}
	}
	sim.Principals = len(simulated)
	var notes []string
	if denied != nil {
		notes = append(notes, "not confirmed by iam:SimulatePrincipalPolicy: the caller may not simulate ("+awsfacts.ConciseAPIError(denied)+"); the decisions are the built-in evaluator's alone")
	}
	if len(failed) > 0 {
		labels := make([]string, 0, len(failed))
		for l := range failed {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		first := failed[labels[0]]
		notes = append(notes, fmt.Sprintf("iam:SimulatePrincipalPolicy failed for %d principals (%s: %s): their decisions are not confirmed",
			len(labels), labels[0], awsfacts.ConciseAPIError(first)))
	}
	sim.Note = strings.Join(notes, "; ")
	return sim, nil
}

// run makes the job's call, paging, and fills its cells.
func (j *simJob) run(ctx context.Context, api IAMAPI) (calls int, err error) {
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(j.p.Arn), ActionNames: j.actions, ResourceArns: j.resources}
	for _, e := range j.ctx {
		in.ContextEntries = append(in.ContextEntries, iamtypes.ContextEntry{
			ContextKeyName: aws.String(e.key), ContextKeyType: iamtypes.ContextKeyTypeEnum(e.typ), ContextKeyValues: e.values})
	}
	got := map[string]awsfacts.SimAnswer{}
	seen := map[string]bool{}
	for {
		out, err := api.SimulatePrincipalPolicy(ctx, in)
		calls++
		if err != nil {
			return calls, err
		}
		for _, r := range out.EvaluationResults {
			for _, a := range awsfacts.SimAnswers(r) {
				got[a.Action+"\x00"+a.Resource] = a
			}
		}
		if !out.IsTruncated || aws.ToString(out.Marker) == "" {
			break
		}
		if seen[aws.ToString(out.Marker)] {
			return calls, errors.New("the same Marker came back twice")
		}
		seen[aws.ToString(out.Marker)] = true
		in.Marker = out.Marker
	}
	for _, ref := range j.refs {
		if a, ok := got[ref.action+"\x00"+ref.resource]; ok {
			ref.cell.Simulated = a.Decision
			ref.cell.SimulatedBy = a.Statements
		}
	}
	return calls, nil
}
