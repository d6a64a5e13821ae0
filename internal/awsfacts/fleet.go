package awsfacts

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// fleetConcurrency bounds the per-profile and per-role lookups PrefetchFleet
// runs at once; adaptive retry slows them further under throttling.
const fleetConcurrency = 8

// FleetQuestions are the evaluations the checks will ask of each target,
// so that PrefetchFleet can ask them in bulk first: the requests must be
// the checks' own for their answers to come from the cache.
type FleetQuestions struct {
	// Role is asked of every instance profile's role.
	Role []AccessReq
	// StartSession is the caller's StartSession request for a target (inst
	// nil: without the instance's tags).
	StartSession func(c *Caller, region string, t *Target, inst *ec2types.Instance) AccessReq
}

// PrefetchFleet fills a's caches in bulk so that running the checks on
// each target makes no further calls (in the usual case where the caller may
// simulate and no policy scopes sessions by tag).
//
// Lower bound on API calls for N EC2 instances and H hybrid (mi-) nodes
// (all in a's region), P distinct instance profiles with R distinct
// roles, V distinct VPCs, of which Ve rely on VPC endpoints (an available
// interface endpoint with private DNS for ssm, ssmmessages or
// ec2messages), when instances came from --all or --filter
// (ResolveTargets already described them and listed the hybrid nodes):
//
//	ceil(N/1000)             ec2:DescribeInstances (in ResolveTargets)
//	+ max(1, ceil(H/50))     ssm:DescribeInstanceInformation, ResourceType ManagedInstance (in ResolveTargets)
//	+ ceil(N/50)             ssm:DescribeInstanceInformation (EC2 instances by id)
//	+ P                      iam:GetInstanceProfile
//	+ 2R                     iam:ListAttachedRolePolicies + iam:SimulatePrincipalPolicy (role)
//	+ 4*ceil(V/200)          ec2:DescribeRouteTables, DescribeVpcEndpoints, DescribeSecurityGroups, DescribeNetworkAcls (at least; pages of 100/1000/1000/1000)
//	+ 2Ve                    ec2:DescribeVpcAttribute (DNS support, DNS hostnames)
//	+ ceil(Ve/200)           ec2:DescribeSubnets (the endpoints' subnet blocks; none when Ve = 0)
//	+ 1                      sts:GetCallerIdentity
//	+ ceil((N+H)/100)        iam:SimulatePrincipalPolicy (caller, StartSession over instance and managed-instance ARNs)
//	+ 3                      iam:SimulatePrincipalPolicy (caller: document, session lifecycle, read permissions)
//	+ 1                      ssm:GetDocument (session preferences)
//	+ [1]                    ssm:GetDocument (a custom --document's session type) when the preferences name a KMS key
//	+ ceil(N'/1000)          ec2:DescribeInstanceStatus (the region's N' instances, when N > 0)
//	+ [1]                    ssm:GetServiceSetting (DHMC) when some instance has no profile
//	+ [1]                    ssm:GetServiceSetting (activation tier) when H > 0
//	+ [ceil(K/200)]          ec2:DescribeKeyPairs (the K key pair names of the instances) only with --on-instance
//
// The bound holds with targets checked concurrently: a simulation another
// target is already making is waited for, not repeated (memo.claim). It
// holds too when the listing started the questions (PrefetchWhileListing):
// those calls are counted above, and PrefetchFleet does not repeat them.
//
// Each policy that scopes StartSession by aws:ResourceTag adds one
// simulation per distinct tag set; offline evaluation (simulation denied)
// replaces simulations with reads of each principal's policies.
func PrefetchFleet(ctx context.Context, a *AWSEnv, targets []*Target, q FleetQuestions) error {
	if a == nil || len(targets) == 0 {
		return nil
	}
	a.fleet = true

	var ec2IDs, allIDs []string
	for _, t := range targets {
		allIDs = append(allIDs, t.InstanceID)
		if !t.Hybrid {
			ec2IDs = append(ec2IDs, t.InstanceID)
		}
	}
	// The registrations need only the ids, so they are read while the
	// instances are described; then the networks, and the roles followed by
	// the sessions, are looked at side by side. Each chain makes at most
	// parallelChunks calls of one API at a time; their latencies overlap
	// instead of adding up, and the calls are those made one after another.
	// What the listing started (early.go) is waited for by the chains it
	// began, the registrations and the roles and sessions: what it asked
	// is not asked again.
	early := func() (asked map[string]bool, tagged map[string]AccessReq, err error) {
		if a.early == nil {
			return nil, nil, nil
		}
		return a.early.wait()
	}
	var errInfo error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		asked, _, errEarly := early()
		errInfo = errors.Join(errEarly, a.prefetchInstanceInfo(ctx, allIDs, asked))
	}()
	if len(ec2IDs) > 0 {
		// The region's instance statuses need no ids either: read them
		// now rather than when instance-status first asks, during the
		// checks (an error is kept for that check to report).
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.regionStatuses.get(ctx, "", func() (bool, error) { return true, a.fetchRegionStatuses(ctx) })
		}()
	}
	// A batch that fails (throttled past its retries) leaves its ids to
	// each target's own lookup; the rest of the fleet keeps its batched
	// answers, so one lost page never turns into a call per instance.
	errInstances := a.prefetchInstances(ctx, ec2IDs)

	insts := map[string]*ec2types.Instance{}
	profiles, vpcs, keyNames := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, id := range ec2IDs {
		inst, err := a.Instance(ctx, id)
		if err != nil || inst == nil {
			continue
		}
		insts[id] = inst
		if inst.IamInstanceProfile != nil {
			profiles[aws.ToString(inst.IamInstanceProfile.Arn)] = true
		}
		if v := aws.ToString(inst.VpcId); v != "" {
			vpcs[v] = true
		}
		if k := aws.ToString(inst.KeyName); k != "" {
			keyNames[k] = true
		}
	}
	// Remembered, not described: only --on-instance asks (KeyPair).
	a.fleetKeyNames = slices.Sorted(maps.Keys(keyNames))
	wg.Add(2)
	go func() {
		defer wg.Done()
		a.prefetchNetwork(ctx, slices.Sorted(maps.Keys(vpcs)))
	}()
	go func() {
		defer wg.Done()
		// One chain: both simulate with iam:SimulatePrincipalPolicy.
		_, tagged, _ := early()
		a.prefetchRoles(ctx, slices.Sorted(maps.Keys(profiles)), q.Role)
		a.prefetchStartSession(ctx, targets, insts, q.StartSession, tagged)
	}()
	wg.Wait()
	return errors.Join(errInstances, errInfo)
}

// prefetchInstanceInfo reads the registrations of the ids the cache lacks
// and the listing did not ask for (hybrid nodes listed by ResolveTargets
// are already answered).
func (a *AWSEnv) prefetchInstanceInfo(ctx context.Context, ids []string, asked map[string]bool) error {
	var unknown []string
	for _, id := range ids {
		if !a.info.has(id) && !asked[id] {
			unknown = append(unknown, id)
		}
	}
	info, answered, err := a.fetchInstanceInfo(ctx, unknown)
	for _, id := range unknown {
		if answered[id] {
			a.info.put(id, &instanceInfoRec{info: info[id]}, nil)
		}
	}
	return err
}

// prefetchInstances describes the ids the cache lacks, by filter (which,
// unlike InstanceIds, takes a page size and ignores unknown ids).
func (a *AWSEnv) prefetchInstances(ctx context.Context, ids []string) error {
	var missing []string
	for _, id := range ids {
		if !a.instances.has(id) {
			missing = append(missing, id)
		}
	}
	var errs []error
	for _, chunk := range chunks(missing, FilterValuesMax) {
		if _, err := a.describeInstances(ctx, a.ec2, []ec2types.Filter{{Name: aws.String("instance-id"), Values: chunk}}); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, id := range chunk {
			a.instances.put(id, &instanceRec{}, nil) // not returned: gone
		}
	}
	return errors.Join(errs...)
}

// prefetchNetwork loads route tables, endpoints, groups and ACLs for all
// VPCs at once, and subnets for those whose agents may use endpoints;
// failures are left for each check to meet (and report) itself.
func (a *AWSEnv) prefetchNetwork(ctx context.Context, vpcs []string) {
	if len(vpcs) == 0 {
		return
	}
	a.routeTables.putAll(a.fetchRouteTables(ctx, vpcs))
	a.endpoints.putAll(a.fetchEndpoints(ctx, vpcs))
	a.sgs.putAll(a.fetchGroups(ctx, vpcs))
	a.nacls.putAll(a.fetchACLs(ctx, vpcs))
	if ve := a.endpointVPCs(ctx, vpcs); len(ve) > 0 {
		a.subnets.putAll(a.fetchSubnets(ctx, ve))
	}
}

// prefetchRoles reads each profile once and evaluates each role once.
func (a *AWSEnv) prefetchRoles(ctx context.Context, profiles []string, reqs []AccessReq) {
	var mu sync.Mutex
	roles := map[string]*InstanceProfile{}
	bounded(len(profiles), fleetConcurrency, func(i int) {
		if p, err := a.InstanceProfileByArn(ctx, profiles[i]); err == nil && p.RoleName != "" {
			mu.Lock()
			roles[p.RoleName] = p
			mu.Unlock()
		}
	})
	names := slices.Sorted(maps.Keys(roles))
	bounded(len(names), fleetConcurrency, func(i int) {
		_, _ = a.AttachedRolePolicies(ctx, names[i])
		_, _, _ = a.Evaluate(ctx, a.RolePrincipal(roles[names[i]]), reqs)
	})
}

// prefetchStartSession simulates StartSession for every instance ARN in one
// batch without tag context; only instances whose answer depended on a
// resource tag are simulated again with their tags. Instances the listing
// already answered are left out; those it found to depend on a tag
// (tagged, by key) join the batch with tags.
func (a *AWSEnv) prefetchStartSession(ctx context.Context, targets []*Target, insts map[string]*ec2types.Instance, startReq func(c *Caller, region string, t *Target, inst *ec2types.Instance) AccessReq, tagged map[string]AccessReq) {
	c, err := a.CallerIdentity(ctx)
	if err != nil || c.Kind == "root" || startReq == nil {
		return
	}
	p := a.CallerPrincipal(c)
	if _, denied := a.simDenied.Load(p.arn); denied {
		return // offline evaluation needs no calls per instance
	}
	region := a.Region
	var bare, full, withTags []AccessReq
	for _, k := range slices.Sorted(maps.Keys(tagged)) {
		withTags = append(withTags, tagged[k])
	}
	for _, t := range targets {
		inst := insts[t.InstanceID]
		if !t.Hybrid && inst == nil {
			continue
		}
		fr := startReq(c, region, t, inst)
		if k := simKey(p.arn, fr); a.simulations.has(k) || tagged[k].Action != "" {
			continue
		}
		bare = append(bare, startReq(c, region, t, nil))
		full = append(full, fr)
	}
	if len(bare) > 0 {
		decs, err := a.simulate(ctx, p.arn, bare)
		if err != nil {
			if simulationUnusable(err) {
				a.simDenied.Store(p.arn, err)
			}
			return
		}
		for i, d := range decs {
			if needsTags(d.Missing) {
				withTags = append(withTags, full[i])
				continue
			}
			a.simulations.put(simKey(p.arn, full[i]), d, nil)
		}
	}
	if len(withTags) > 0 {
		_, _ = a.simulate(ctx, p.arn, withTags)
	}
}

func needsTags(missing []string) bool {
	for _, k := range missing {
		if strings.HasPrefix(strings.ToLower(k), "aws:resourcetag/") {
			return true
		}
	}
	return false
}
