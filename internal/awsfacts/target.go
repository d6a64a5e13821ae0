package awsfacts

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The errors ResolveTargets and ResolveTarget return; each command maps
// them to its exit codes.

// MalformedTargetError: the input cannot be a target at all.
type MalformedTargetError struct{ Input, Reason string }

func (e *MalformedTargetError) Error() string {
	return fmt.Sprintf("malformed target %s: %s", QuoteInput(e.Input), e.Reason)
}

// QuoteInput quotes user input for an error line, cut to what a terminal
// line holds: a 100 KB argument is not echoed back whole.
func QuoteInput(s string) string {
	const max = 80
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}

// MaxTargetLen bounds a target: a DNS name is at most 253 characters, a
// Name tag the user can type here no longer.
const MaxTargetLen = 255

// ValidateTarget is the one test of what may be a target, for every
// command: an instance id, a Name tag, an IPv4 or IPv6 address, or a DNS
// name. Targets reach ssh command lines and ProxyCommands run by a shell,
// so nothing a shell or ssh's %-expansion would read is accepted.
func ValidateTarget(in string) error {
	switch {
	case in == "":
		return &MalformedTargetError{Input: in, Reason: "it is empty"}
	case len(in) > MaxTargetLen:
		return &MalformedTargetError{Input: in, Reason: fmt.Sprintf("it is %d bytes long; a target is at most %d", len(in), MaxTargetLen)}
	}
	if ip, err := netip.ParseAddr(in); err == nil && ip.Zone() == "" {
		return nil // IPv6 addresses may start with ':' (::1, ::ffff:10.0.0.1)
	}
	if !targetCharsRE.MatchString(in) {
		reason := "only letters, digits and . _ : - are accepted, starting with a letter or digit"
		if i := strings.IndexFunc(in, func(r rune) bool { return !isTargetRune(r) }); i >= 0 {
			reason = fmt.Sprintf("%q is not accepted (only letters, digits and . _ : -, starting with a letter or digit)", []rune(in[i:])[0])
		}
		return &MalformedTargetError{Input: in, Reason: reason}
	}
	return nil
}

func isTargetRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-'
}

// ValidateFilter is the one test of a fleet filter: tag:KEY=VALUE with a
// key (the value may be empty).
func ValidateFilter(f string) error {
	kv, ok := strings.CutPrefix(f, "tag:")
	k, _, ok2 := strings.Cut(kv, "=")
	if !ok || !ok2 || k == "" {
		return &MalformedTargetError{Input: f, Reason: "a filter is tag:KEY=VALUE"}
	}
	return nil
}

// IsInstanceID reports whether s is an EC2 instance id (i-, 8 or 17 hex
// digits) or a managed node id (mi-, 17 hex digits): the one pattern.
func IsInstanceID(s string) bool { return ec2IDRE.MatchString(s) || hybridIDRE.MatchString(s) }

// TargetNotFoundError: nothing in the region matches, nor in Searched,
// the other regions looked in (none when the user gave --region).
type TargetNotFoundError struct {
	Input, Region string
	Searched      []string
}

func (e *TargetNotFoundError) Error() string {
	msg := fmt.Sprintf("no instance matches %s in %s", QuoteInput(e.Input), e.Region)
	if len(e.Searched) > 0 {
		msg += fmt.Sprintf(" nor in the account's %d other regions", len(e.Searched))
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
	targetCharsRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
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
func ResolveTargets(ctx context.Context, a *AWSEnv, inputs, filters []string, all bool) ([]*Target, error) {
	for _, in := range inputs {
		if err := ValidateTarget(in); err != nil {
			return nil, err
		}
	}
	var tags []tagFilter
	for _, f := range filters {
		if err := ValidateFilter(f); err != nil {
			return nil, err
		}
		kv, _ := strings.CutPrefix(f, "tag:")
		k, v, _ := strings.Cut(kv, "=")
		tags = append(tags, tagFilter{key: k, value: v})
	}
	if a == nil {
		return nil, errors.New("resolve targets: AWS configuration could not be loaded")
	}
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
	if err := ValidateTarget(in); err != nil {
		return nil, err
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
			if a.search {
				return a.findElsewhere(ctx, in, []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{in}}})
			}
			return nil, &TargetNotFoundError{Input: in, Region: a.Region}
		}
		return &Target{Input: in, InstanceID: in, Region: a.Region, Name: TagValue(inst.Tags, "Name")}, nil
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
		if a.search {
			return a.findElsewhere(ctx, in, lookups)
		}
		return nil, &TargetNotFoundError{Input: in, Region: a.Region}
	case 1:
		id := aws.ToString(insts[0].InstanceId)
		// The id becomes ssh's host name and a ProxyCommand argument run by
		// a shell: an endpoint that answers with anything else is refused.
		if !ec2IDRE.MatchString(id) {
			return nil, &MalformedAnswerError{Input: in, Call: "ec2:DescribeInstances", Value: id}
		}
		return &Target{Input: in, InstanceID: id, Region: a.Region, Name: TagValue(insts[0].Tags, "Name")}, nil
	}
	amb := &AmbiguousTargetError{Input: in}
	for _, i := range insts {
		amb.Candidates = append(amb.Candidates, fmt.Sprintf("%s (%s, %s)", aws.ToString(i.InstanceId), TagValue(i.Tags, "Name"), StateName(i)))
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
		if s := StateName(i); s != "terminated" && s != "shutting-down" {
			live = append(live, i)
		}
	}
	if len(live) > 0 {
		return live
	}
	return insts
}

// TagValue is the value of the tag key, "" when absent.
func TagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// StateName is the instance's state ("running", "stopped", ...), "" when
// the answer has none.
func StateName(i ec2types.Instance) string {
	if i.State == nil {
		return ""
	}
	return string(i.State.Name)
}

// Target is a resolved instance.
type Target struct {
	Input      string // what the user typed
	InstanceID string
	Region     string
	Name       string // Name tag, when present
	Hybrid     bool   // mi- managed node
}
