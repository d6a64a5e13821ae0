package checks

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The errors ResolveTargets and ResolveTarget return; each command maps
// them to its exit codes.

// MalformedTargetError: the input cannot be a target at all.
type MalformedTargetError struct{ Input, Reason string }

func (e *MalformedTargetError) Error() string {
	return fmt.Sprintf("malformed target %q: %s", e.Input, e.Reason)
}

// TargetNotFoundError: nothing in the region matches. FoundIn lists other
// regions of the account where it does exist.
type TargetNotFoundError struct {
	Input, Region string
	FoundIn       []string
}

func (e *TargetNotFoundError) Error() string {
	msg := fmt.Sprintf("no instance matches %q in %s", e.Input, e.Region)
	if len(e.FoundIn) > 0 {
		msg += fmt.Sprintf("; it exists in %s: run again with --region %s", strings.Join(e.FoundIn, ", "), e.FoundIn[0])
	}
	return msg
}

// AmbiguousTargetError: a name or address matches several instances.
type AmbiguousTargetError struct {
	Input      string
	Candidates []string // "i-… (name, state)"
}

func (e *AmbiguousTargetError) Error() string {
	return fmt.Sprintf("%q matches %d instances, name one by id: %s", e.Input, len(e.Candidates), strings.Join(e.Candidates, "; "))
}

// MalformedAnswerError: the API answered with a value that cannot be what
// it claims (an instance id with shell metacharacters, say): a broken or
// hostile endpoint, never passed on.
type MalformedAnswerError struct{ Input, Call, Value string }

func (e *MalformedAnswerError) Error() string {
	return fmt.Sprintf("resolve %s: %s returned %q, which is not an instance id", e.Input, e.Call, e.Value)
}

var (
	ec2IDRE    = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)
	hybridIDRE = regexp.MustCompile(`^mi-[0-9a-f]{17}$`)
	// Anything a shell would interpret is refused: targets end up in ssh
	// command lines and ProxyCommands.
	targetCharsRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$`)
	// ip-10-0-0-1.ec2.internal, ip-10-0-0-1.us-west-2.compute.internal, or
	// the resource-name form i-0123456789abcdef0.us-west-2.compute.internal.
	privateDNSRE = regexp.MustCompile(`^(ip-[0-9-]+|i-[0-9a-f]{8,17})\.([a-z0-9-]+\.)?(ec2|compute)\.internal$`)
	// ec2-3-80-1-2.compute-1.amazonaws.com (us-east-1),
	// ec2-3-80-1-2.us-west-2.compute.amazonaws.com, and .com.cn in China.
	publicDNSRE = regexp.MustCompile(`^ec2-[0-9-]+\.(compute-1|[a-z0-9-]+\.compute)\.amazonaws\.com(\.cn)?$`)
)

// liveStates are what --all, filters and names select: terminated
// instances cannot be connected to and are not worth a report.
var liveStates = []string{"pending", "running", "stopping", "stopped"}

// ResolveTargets turns the command line into instances: explicit inputs,
// or every live instance and hybrid node (all), or those matching tag
// filters ("tag:KEY=VALUE"). Fleet selections are one paged
// DescribeInstances plus one paged DescribeInstanceInformation (see
// listFleet).
func ResolveTargets(ctx context.Context, env *Env, inputs, filters []string, all bool) ([]*Target, error) {
	for _, in := range inputs {
		if !targetCharsRE.MatchString(in) {
			return nil, &MalformedTargetError{Input: in, Reason: "only letters, digits and . _ : - are accepted, starting with a letter or digit"}
		}
	}
	var tags []tagFilter
	for _, f := range filters {
		kv, ok := strings.CutPrefix(f, "tag:")
		k, v, ok2 := strings.Cut(kv, "=")
		if !ok || !ok2 || k == "" {
			return nil, &MalformedTargetError{Input: f, Reason: "a filter is tag:KEY=VALUE"}
		}
		tags = append(tags, tagFilter{key: k, value: v})
	}
	if env == nil || env.AWS == nil {
		return nil, errors.New("resolve targets: AWS configuration could not be loaded")
	}
	a := env.AWS
	if all || len(tags) > 0 {
		return a.listFleet(ctx, tags)
	}
	var out []*Target
	for _, in := range inputs {
		t, err := resolveOne(ctx, a, in)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// ResolveTarget resolves one TARGET exactly as check does, for the
// commands that connect (ssh, scp, proxy): the same forms, the same
// preference for live instances and the same errors.
func ResolveTarget(ctx context.Context, a *AWSEnv, in string) (*Target, error) {
	if !targetCharsRE.MatchString(in) {
		return nil, &MalformedTargetError{Input: in, Reason: "only letters, digits and . _ : - are accepted, starting with a letter or digit"}
	}
	if a == nil {
		return nil, errors.New("resolve target: AWS configuration could not be loaded")
	}
	return resolveOne(ctx, a, in)
}

func resolveOne(ctx context.Context, a *AWSEnv, in string) (*Target, error) {
	if hybridIDRE.MatchString(in) {
		info, err := a.InstanceInformation(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", in, err)
		}
		if info == nil {
			return nil, &TargetNotFoundError{Input: in, Region: a.Region}
		}
		return &Target{Input: in, InstanceID: in, Region: a.Region, Name: hybridName(info), Hybrid: true}, nil
	}
	if ec2IDRE.MatchString(in) {
		inst, err := a.Instance(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", in, err)
		}
		if inst == nil {
			return nil, &TargetNotFoundError{Input: in, Region: a.Region,
				FoundIn: a.otherRegions(ctx, ec2types.Filter{Name: aws.String("instance-id"), Values: []string{in}})}
		}
		return &Target{Input: in, InstanceID: in, Region: a.Region, Name: tagValue(inst.Tags, "Name")}, nil
	}
	lookups := targetFilters(in)
	var insts []ec2types.Instance
	for _, f := range lookups {
		var err error
		if insts, err = a.describeInstances(ctx, a.ec2, []ec2types.Filter{f}); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", in, err)
		}
		if len(insts) > 0 {
			break
		}
	}
	insts = preferLive(insts)
	switch len(insts) {
	case 0:
		return nil, &TargetNotFoundError{Input: in, Region: a.Region, FoundIn: a.otherRegions(ctx, lookups...)}
	case 1:
		id := aws.ToString(insts[0].InstanceId)
		// The id becomes ssh's host name and a ProxyCommand argument run by
		// a shell: an endpoint that answers with anything else is refused.
		if !ec2IDRE.MatchString(id) {
			return nil, &MalformedAnswerError{Input: in, Call: "ec2:DescribeInstances", Value: id}
		}
		return &Target{Input: in, InstanceID: id, Region: a.Region, Name: tagValue(insts[0].Tags, "Name")}, nil
	}
	amb := &AmbiguousTargetError{Input: in}
	for _, i := range insts {
		amb.Candidates = append(amb.Candidates, fmt.Sprintf("%s (%s, %s)", aws.ToString(i.InstanceId), tagValue(i.Tags, "Name"), stateName(i)))
	}
	sort.Strings(amb.Candidates)
	return nil, amb
}

// targetFilters are the EC2 filters an input names, tried in order until
// one matches: an IPv4 address is a private one first, else a public one;
// an IPv6 address, a private or a public DNS name each have their filter;
// anything else is a Name tag.
func targetFilters(in string) []ec2types.Filter {
	f := func(name, value string) ec2types.Filter {
		return ec2types.Filter{Name: aws.String(name), Values: []string{value}}
	}
	if ip, err := netip.ParseAddr(in); err == nil {
		if ip.Is4() || ip.Is4In6() {
			v4 := ip.Unmap().String()
			return []ec2types.Filter{f("private-ip-address", v4), f("ip-address", v4)}
		}
		// EC2 compares strings and reports the RFC 5952 form.
		return []ec2types.Filter{f("ipv6-address", ip.String())}
	}
	switch {
	case privateDNSRE.MatchString(in):
		return []ec2types.Filter{f("private-dns-name", in)}
	case publicDNSRE.MatchString(in):
		return []ec2types.Filter{f("dns-name", in)}
	}
	return []ec2types.Filter{f("tag:Name", in)}
}

// preferLive drops terminated instances when a live one shares the name:
// a replaced instance keeps its Name tag for an hour after termination.
func preferLive(insts []ec2types.Instance) []ec2types.Instance {
	var live []ec2types.Instance
	for _, i := range insts {
		if s := stateName(i); s != "terminated" && s != "shutting-down" {
			live = append(live, i)
		}
	}
	if len(live) > 0 {
		return live
	}
	return insts
}

// otherRegions returns the account's other regions where one of the
// lookups (each a single filter, tried in order) matches. Errors only
// shorten the list: the region search is a hint, not a check.
func (a *AWSEnv) otherRegions(ctx context.Context, lookups ...ec2types.Filter) []string {
	if a.regional == nil {
		return nil
	}
	out, err := a.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil
	}
	var (
		mu    sync.Mutex
		found []string
		wg    sync.WaitGroup
		sem   = make(chan struct{}, 4)
	)
	for _, r := range out.Regions {
		name := aws.ToString(r.RegionName)
		if name == a.Region || name == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			api := a.regional(name)
			for _, f := range lookups {
				res, err := api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{f}})
				if err != nil {
					return
				}
				for _, rv := range res.Reservations {
					if len(rv.Instances) > 0 {
						mu.Lock()
						found = append(found, name)
						mu.Unlock()
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	sort.Strings(found)
	return found
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func stateName(i ec2types.Instance) string {
	if i.State == nil {
		return ""
	}
	return string(i.State.Name)
}
