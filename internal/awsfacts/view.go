// Package awsfacts is what the doctor knows of an AWS account, below the
// checks and the fixes: the memoized view of one region (AWSEnv) and its
// fleet prefetch, target validation and resolution (also across
// regions), error classification, the caller's identity and policies,
// access evaluation, and the network predicates. It answers with data and
// classified errors, never with verdicts: those are the checks'.
package awsfacts

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
)

// The narrow views of the SDK clients the facts are read through. Unit
// tests replace them with fakes (awsfactstest); everything else passes the
// real clients.
type EC2API interface {
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeNetworkAcls(context.Context, *ec2.DescribeNetworkAclsInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeVpcAttribute(context.Context, *ec2.DescribeVpcAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
	DescribeRegions(context.Context, *ec2.DescribeRegionsInput, ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

type IAMAPI interface {
	SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
	GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListAttachedUserPolicies(context.Context, *iam.ListAttachedUserPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListUserPolicies(context.Context, *iam.ListUserPoliciesInput, ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	GetUserPolicy(context.Context, *iam.GetUserPolicyInput, ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	ListGroupsForUser(context.Context, *iam.ListGroupsForUserInput, ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	ListAttachedGroupPolicies(context.Context, *iam.ListAttachedGroupPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error)
	ListGroupPolicies(context.Context, *iam.ListGroupPoliciesInput, ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error)
	GetGroupPolicy(context.Context, *iam.GetGroupPolicyInput, ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

type SSMAPI interface {
	DescribeInstanceInformation(context.Context, *ssm.DescribeInstanceInformationInput, ...func(*ssm.Options)) (*ssm.DescribeInstanceInformationOutput, error)
	GetServiceSetting(context.Context, *ssm.GetServiceSettingInput, ...func(*ssm.Options)) (*ssm.GetServiceSettingOutput, error)
	GetDocument(context.Context, *ssm.GetDocumentInput, ...func(*ssm.Options)) (*ssm.GetDocumentOutput, error)
	GetConnectionStatus(context.Context, *ssm.GetConnectionStatusInput, ...func(*ssm.Options)) (*ssm.GetConnectionStatusOutput, error)
}

type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// AWSEnv answers the questions about one region that the checks, the
// fixes and the ssh/scp/proxy preflight ask. Each answer is fetched at
// most once (concurrent checks share the call) and kept with its error, so
// a denied call is reported by every check that needed it, naming the
// call, while unrelated checks go on. PrefetchFleet fills the same caches
// in bulk.
type AWSEnv struct {
	Region string

	ec2 EC2API
	iam IAMAPI
	ssm SSMAPI
	sts STSAPI
	// regional builds an EC2 view for another region (the "instance is in
	// another region" search); nil disables the search.
	regional func(region string) EC2API
	// search turns the cross-region lookup on (SearchOtherRegions);
	// regionCache remembers its answers.
	search      bool
	regionCache *RegionCache

	// fleet is set by PrefetchFleet: per-instance calls without a batch form
	// (GetConnectionStatus) are answered from the batched data instead.
	fleet bool
	// earlyOn is set by ReadRegistrationsWhileListing and
	// PrefetchWhileListing (which sets earlyQ too); early is the work the
	// listing started (early.go).
	earlyOn bool
	earlyQ  *FleetQuestions
	early   *earlyFleet
	// simDenied remembers principals that may not (or cannot) be
	// simulated, so that later questions go straight to offline evaluation.
	simDenied sync.Map
	// simFirst holds, per principal, a gate that opens once the first
	// simulation has answered: concurrent checks wait for it instead of
	// each learning the same denial with a call of its own.
	simFirst sync.Map

	caller      memo[string, *Caller]
	instances   memo[string, *instanceRec]
	info        memo[string, *instanceInfoRec]
	profiles    memo[string, *InstanceProfile]
	attached    memo[string, []string]
	rolePols    memo[string, *PolicySet]
	managedDocs memo[string, string]
	callerPols  memo[string, *PolicySet]
	simulations memo[string, *SimDecision]
	settings    memo[string, string]
	prefs       memo[string, *SessionPreferences]
	docTypes    memo[string, string]
	connStatus  memo[string, string]
	routeTables memo[string, *vpcRoutes]
	endpoints   memo[string, *vpcEndpoints]
	sgs         memo[string, *vpcGroups]
	nacls       memo[string, *vpcACLs]
	subnets     memo[string, *vpcSubnets]
	vpcAttrs    memo[string, bool]
	// keyPairs and fleetKeyPairs: keypairs.go; fleetKeyNames are the key
	// pairs the fleet's instances were launched with (PrefetchFleet).
	keyPairs      memo[string, *KeyPair]
	fleetKeyPairs memo[string, bool]
	fleetKeyNames []string
	// commands and instStatus: commands.go, instance_status.go.
	commands       memo[string, *CommandRun]
	instStatus     memo[string, *ec2types.InstanceStatus]
	regionStatuses memo[string, bool]
	// regionStatusesRead: every status of the region is in instStatus
	// (an instance absent from it has none).
	regionStatusesRead atomic.Bool
}

// Fleet reports whether PrefetchFleet filled the caches: per-instance
// questions without a batch form are then better answered from the
// batched data.
func (e *AWSEnv) Fleet() bool { return e.fleet }

// NewAWSEnv wraps the real clients.
func NewAWSEnv(c *awsapi.Clients) *AWSEnv {
	return New(c.Region, APIs{EC2: c.EC2, IAM: c.IAM, SSM: c.SSM, STS: c.STS,
		Regional: func(region string) EC2API { return c.ForRegion(region).EC2 }})
}

// APIs are the clients a view reads through.
type APIs struct {
	EC2 EC2API
	IAM IAMAPI
	SSM SSMAPI
	STS STSAPI
	// Regional builds an EC2 client for another region, for the
	// cross-region search; nil disables the search.
	Regional func(region string) EC2API
}

// New is a view of region over apis, with nothing remembered yet.
func New(region string, apis APIs) *AWSEnv {
	return &AWSEnv{Region: region, ec2: apis.EC2, iam: apis.IAM, ssm: apis.SSM, sts: apis.STS, regional: apis.Regional}
}

// memo runs a fetch once per key and keeps its value and error. A fetch
// cut short by its context is forgotten, so a later caller with time left
// tries again instead of inheriting "context canceled".
type memo[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*memoEntry[V]
}

type memoEntry[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func (m *memo[K, V]) get(ctx context.Context, k K, fetch func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[K]*memoEntry[V]{}
	}
	if e, ok := m.m[k]; ok {
		m.mu.Unlock()
		select {
		case <-e.done:
			return e.v, e.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	m.m[k] = &memoEntry[V]{done: make(chan struct{})}
	m.mu.Unlock()

	v, err := fetch()
	m.resolve(k, v, err)
	return v, err
}

// answered returns the values of ks when every one of them is already
// answered without error (what get would return for each, without
// waiting); ok is false otherwise, and get must be asked.
func (m *memo[K, V]) answered(ks []K) (vs []V, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs = make([]V, len(ks))
	for i, k := range ks {
		e := m.m[k]
		if e == nil || e.err != nil {
			return nil, false
		}
		select {
		case <-e.done:
		default:
			return nil, false
		}
		vs[i] = e.v
	}
	return vs, true
}

// put stores an answer obtained in bulk; an answer already present wins.
func (m *memo[K, V]) put(k K, v V, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[K]*memoEntry[V]{}
	}
	if _, ok := m.m[k]; ok {
		return
	}
	e := &memoEntry[V]{done: make(chan struct{}), v: v, err: err}
	close(e.done)
	m.m[k] = e
}

// putAll stores the answers of a bulk fetch that succeeded; after a failure
// it stores nothing, and each key is asked for on its own when needed.
func (m *memo[K, V]) putAll(got map[K]V, err error) {
	if err != nil {
		return
	}
	for k, v := range got {
		m.put(k, v, nil)
	}
}

// has reports whether k is answered or being answered.
func (m *memo[K, V]) has(k K) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.m[k]
	return ok
}

// claim marks the keys nobody answers yet as answered by the caller, who
// must then resolve each one it got back: a batch call can answer many
// keys at once and still be made only once when targets run concurrently.
// Keys already answered or being answered are left to get.
func (m *memo[K, V]) claim(ks []K) []K {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[K]*memoEntry[V]{}
	}
	var out []K
	for _, k := range ks {
		if _, ok := m.m[k]; ok {
			continue
		}
		m.m[k] = &memoEntry[V]{done: make(chan struct{})}
		out = append(out, k)
	}
	return out
}

// resolve answers a claimed (or, from get, fetched) key, waking its
// waiters. An answer cut short by a context is forgotten so a later caller
// tries again.
func (m *memo[K, V]) resolve(k K, v V, err error) {
	m.mu.Lock()
	e := m.m[k]
	if e == nil {
		m.mu.Unlock()
		return
	}
	e.v, e.err = v, err
	if IsCancellation(err) {
		delete(m.m, k)
	}
	m.mu.Unlock()
	close(e.done)
}

// IsCancellation: the context ended the call (cancelled or out of time);
// such an answer is not remembered.
func IsCancellation(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
