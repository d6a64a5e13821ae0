package awsfacts

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// SimulateResourceBatch is how many resource ARNs one SimulatePrincipalPolicy
// call carries. Results come back per action and resource, paged.
const SimulateResourceBatch = 100

// CtxValue is one context entry of a simulated request.
type CtxValue struct {
	Key    string
	Type   iamtypes.ContextKeyTypeEnum
	Values []string
}

// AccessReq asks whether a principal may perform Action on Resource.
type AccessReq struct {
	Action, Resource string
	Context          []CtxValue
}

// SimDecision is the answer to one AccessReq.
type SimDecision struct {
	Decision   iampolicy.Decision
	Statements []string // the statements that decided, "policy#index(Sid)"
	Missing    []string // context keys the policies wanted and the request lacked
}

// Principal is who is being evaluated, and how to read its policies when
// simulation is not allowed.
type Principal struct {
	arn     string
	label   string // "your user alice", "role app-role"
	offline func(ctx context.Context) (*PolicySet, error)
}

// Evaluate decides every request for p, by simulation when allowed, else
// offline from p's own policies. method says which, for Details.
func (e *AWSEnv) Evaluate(ctx context.Context, p Principal, reqs []AccessReq) ([]*SimDecision, string, error) {
	open, err := e.firstSimulation(ctx, p.arn)
	if err != nil {
		return nil, "", err
	}
	defer open() // also when a panic ends the check
	if denied, ok := e.simDenied.Load(p.arn); ok {
		open()
		err = denied.(error)
	} else {
		var out []*SimDecision
		out, err = e.simulate(ctx, p.arn, reqs)
		if err != nil && simulationUnusable(err) && p.offline != nil {
			e.simDenied.Store(p.arn, err)
		}
		open()
		if err == nil {
			return out, "simulated with iam:SimulatePrincipalPolicy", nil
		}
	}
	if !simulationUnusable(err) || p.offline == nil {
		return nil, "", err
	}
	ps, perr := p.offline(ctx)
	if perr != nil {
		return nil, "", &CallError{Call: "iam:SimulatePrincipalPolicy", Err: fmt.Errorf("%w; reading the policies instead failed too: %v", err, perr)}
	}
	why := "iam:SimulatePrincipalPolicy is denied"
	if !isDenied(err) {
		why = "iam:SimulatePrincipalPolicy failed: " + ConciseAPIError(err)
	}
	res := make([]*SimDecision, len(reqs))
	for i, r := range reqs {
		c := iampolicy.Context{}
		for _, v := range r.Context {
			c.Set(v.Key, v.Values...)
		}
		ev := iampolicy.Evaluate(ps.Identity, ps.Boundary, iampolicy.Request{Action: r.Action, Resource: r.Resource, Context: c})
		d := &SimDecision{Decision: ev.Decision, Missing: ev.MissingContextValues}
		for _, m := range ev.Matched {
			d.Statements = append(d.Statements, statementName(m.PolicyID, m.StatementIndex, m.Sid))
		}
		res[i] = d
	}
	return res, "evaluated offline from the policies of " + p.label + " (" + why + "; service control policies and resource policies are not visible this way)", nil
}

// simGate opens when the first simulation for a principal has answered.
type simGate struct {
	once sync.Once
	ch   chan struct{}
}

// firstSimulation makes the first evaluation for arn the only one to ask
// until it knows whether simulation works: the others wait for it, then
// find the principal in simDenied or simulate their own questions. The
// caller must call open when its simulation has answered (a no-op for all
// but the first).
func (e *AWSEnv) firstSimulation(ctx context.Context, arn string) (open func(), err error) {
	v, loaded := e.simFirst.Load(arn) // the usual case: no gate to make
	if !loaded {
		g := &simGate{ch: make(chan struct{})}
		if v, loaded = e.simFirst.LoadOrStore(arn, g); !loaded {
			return func() { g.once.Do(func() { close(g.ch) }) }, nil
		}
	}
	first := v.(*simGate)
	select {
	case <-first.ch:
		return func() {}, nil
	case <-ctx.Done():
		return nil, &CallError{Call: "iam:SimulatePrincipalPolicy", Err: ctx.Err()}
	}
}

// simulationUnusable says whether to evaluate offline instead: simulation
// is denied, or the endpoint cannot simulate at all (a server error or an
// answer that is not an AWS error, as from an IAM look-alike without the
// operation). Throttling, rejected credentials and cancellation are not
// reasons: reading the policies would meet them too.
func simulationUnusable(err error) bool {
	if err == nil || isThrottled(err) || isExpired(err) || IsCancellation(err) {
		return false
	}
	if isDenied(err) {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	return ErrorCode(err) == ""
}

func statementName(policy string, index int, sid string) string {
	if sid != "" {
		return fmt.Sprintf("%s statement %d (%s)", policy, index+1, sid)
	}
	return fmt.Sprintf("%s statement %d", policy, index+1)
}

func ctxKey(cv []CtxValue) string {
	if len(cv) == 0 {
		return ""
	}
	parts := make([]string, 0, len(cv))
	for _, v := range cv {
		parts = append(parts, strings.ToLower(v.Key)+"="+strings.Join(v.Values, ","))
	}
	sort.Strings(parts)
	return strings.Join(parts, ";")
}

func simKey(arn string, r AccessReq) string {
	return simKeyCtx(arn, r, ctxKey(r.Context))
}

// simKeyCtx is simKey with r's context key already made (ctxKey).
func simKeyCtx(arn string, r AccessReq, ck string) string {
	return arn + "|" + r.Action + "|" + r.Resource + "|" + ck
}

// simulate answers reqs from the cache, batching the unknown ones: one call
// per distinct context, carrying every action and up to
// SimulateResourceBatch resources. Requests another goroutine is already
// simulating are waited for, not asked again.
func (e *AWSEnv) simulate(ctx context.Context, arn string, reqs []AccessReq) ([]*SimDecision, error) {
	reqKeys := make([]string, len(reqs))
	var lastCtx []CtxValue // requests built together often share one context
	var lastKey string
	for i, r := range reqs {
		if len(r.Context) == 0 || len(lastCtx) != len(r.Context) || &lastCtx[0] != &r.Context[0] {
			lastCtx, lastKey = r.Context, ctxKey(r.Context)
		}
		reqKeys[i] = simKeyCtx(arn, r, lastKey)
	}
	// In a fleet run nearly every question was answered by the prefetch or
	// by another target: one look under one lock.
	if out, ok := e.simulations.answered(reqKeys); ok {
		return out, nil
	}
	byKey := map[string]AccessReq{}
	var ks []string
	for i, r := range reqs {
		k := reqKeys[i]
		if _, dup := byKey[k]; !dup {
			byKey[k] = r
			ks = append(ks, k)
		}
	}
	mine := e.simulations.claim(ks)
	if len(mine) > 0 {
		e.simulateClaimed(ctx, arn, mine, byKey)
	}
	out := make([]*SimDecision, len(reqs))
	for i, r := range reqs {
		d, err := e.simulations.get(ctx, reqKeys[i], func() (*SimDecision, error) {
			return nil, &CallError{Call: "iam:SimulatePrincipalPolicy", Err: fmt.Errorf("no result for %s on %s", r.Action, r.Resource)}
		})
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// simulateClaimed simulates the claimed keys and resolves every one of
// them, with its decision or with the error that prevented it.
func (e *AWSEnv) simulateClaimed(ctx context.Context, arn string, mine []string, byKey map[string]AccessReq) {
	type group struct {
		context   []CtxValue
		actions   map[string]bool
		resources map[string]bool
	}
	groups := map[string]*group{}
	var order []string
	for _, k := range mine {
		r := byKey[k]
		ck := ctxKey(r.Context)
		g := groups[ck]
		if g == nil {
			g = &group{context: r.Context, actions: map[string]bool{}, resources: map[string]bool{}}
			groups[ck] = g
			order = append(order, ck)
		}
		g.actions[r.Action] = true
		g.resources[r.Resource] = true
	}
	got := map[string]*SimDecision{}
	var err error
	for _, ck := range order {
		g := groups[ck]
		if err = e.simulateGroup(ctx, arn, g.context, slices.Sorted(maps.Keys(g.actions)), slices.Sorted(maps.Keys(g.resources)), got); err != nil {
			break
		}
	}
	for _, k := range mine {
		r := byKey[k]
		switch d := got[k]; {
		case d != nil:
			e.simulations.resolve(k, d, nil)
		case err != nil:
			e.simulations.resolve(k, nil, err)
		default:
			e.simulations.resolve(k, nil, &CallError{Call: "iam:SimulatePrincipalPolicy", Err: fmt.Errorf("no result for %s on %s", r.Action, r.Resource)})
		}
		delete(got, k)
	}
	// The cross product of a group's actions and resources answers
	// questions nobody asked yet; keep them.
	for k, d := range got {
		e.simulations.put(k, d, nil)
	}
}

func (e *AWSEnv) simulateGroup(ctx context.Context, arn string, cv []CtxValue, actions, resources []string, got map[string]*SimDecision) error {
	var entries []iamtypes.ContextEntry
	for _, v := range cv {
		entries = append(entries, iamtypes.ContextEntry{ContextKeyName: aws.String(v.Key), ContextKeyType: v.Type, ContextKeyValues: v.Values})
	}
	var mu sync.Mutex
	return eachChunk(chunks(resources, SimulateResourceBatch), func(chunk []string) error {
		in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn), ActionNames: actions, ContextEntries: entries}
		if !(len(chunk) == 1 && chunk[0] == "*") {
			in.ResourceArns = chunk
		}
		p := iam.NewSimulatePrincipalPolicyPaginator(e.iam, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx, withSimulationDecoder())
			if err != nil {
				return callErr("iam:SimulatePrincipalPolicy", err)
			}
			mu.Lock()
			for _, r := range page.EvaluationResults {
				collectSimResult(got, arn, cv, r)
			}
			mu.Unlock()
		}
		return nil
	})
}

func collectSimResult(got map[string]*SimDecision, arn string, cv []CtxValue, r iamtypes.EvaluationResult) {
	for _, a := range SimAnswers(r) {
		got[simKey(arn, AccessReq{Action: a.Action, Resource: a.Resource, Context: cv})] = &SimDecision{Decision: a.Decision, Statements: a.Statements, Missing: a.Missing}
	}
}

// SimAnswer is one decision of a SimulatePrincipalPolicy answer: an action
// on one resource, the statements that decided it (as "policy (line N)")
// and the context keys the simulation lacked.
type SimAnswer struct {
	Action, Resource string
	Decision         iampolicy.Decision
	Statements       []string
	Missing          []string
}

// SimAnswers reads one EvaluationResult: one answer per resource when AWS
// answered per resource, else one for the result's resource ("*" when it
// names none).
func SimAnswers(r iamtypes.EvaluationResult) []SimAnswer {
	action := aws.ToString(r.EvalActionName)
	answer := func(resource string, dec iamtypes.PolicyEvaluationDecisionType, st []iamtypes.Statement, missing []string) SimAnswer {
		a := SimAnswer{Action: action, Resource: resource, Decision: iampolicy.Decision(dec), Missing: missing}
		for _, s := range st {
			name := aws.ToString(s.SourcePolicyId)
			if s.StartPosition != nil {
				name += fmt.Sprintf(" (line %d)", s.StartPosition.Line)
			}
			a.Statements = append(a.Statements, name)
		}
		return a
	}
	if len(r.ResourceSpecificResults) > 0 {
		out := make([]SimAnswer, 0, len(r.ResourceSpecificResults))
		for _, rs := range r.ResourceSpecificResults {
			out = append(out, answer(aws.ToString(rs.EvalResourceName), rs.EvalResourceDecision, rs.MatchedStatements, append(rs.MissingContextValues, r.MissingContextValues...)))
		}
		return out
	}
	res := aws.ToString(r.EvalResourceName)
	if res == "" {
		res = "*"
	}
	return []SimAnswer{answer(res, r.EvalDecision, r.MatchedStatements, r.MissingContextValues)}
}

// CallerPrincipal is the caller as Evaluate needs it.
func (e *AWSEnv) CallerPrincipal(c *Caller) Principal {
	p := Principal{arn: c.PrincipalArn}
	switch c.Kind {
	case "user":
		p.label = "your user " + c.Name
		p.offline = func(ctx context.Context) (*PolicySet, error) { return e.UserPolicies(ctx, c.Name) }
	case "assumed-role":
		p.label = "your role " + c.Name
		p.offline = func(ctx context.Context) (*PolicySet, error) { return e.RolePolicies(ctx, c.Name) }
	default:
		p.label = c.Arn
	}
	return p
}

// RolePrincipal is an instance profile's role as Evaluate needs it; the
// check instance-role-permissions and PrefetchFleet must ask the same
// question for the cache to hit.
func (e *AWSEnv) RolePrincipal(p *InstanceProfile) Principal {
	return Principal{arn: p.RoleArn, label: "role " + p.RoleName,
		offline: func(ctx context.Context) (*PolicySet, error) { return e.RolePolicies(ctx, p.RoleName) }}
}
