package awssim

import "strings"

// ec2FilterMatch reports whether any of the filter's values matches one of
// the resource's values. EC2 filter values accept * and ? wildcards.
func ec2FilterMatch(values []string, have ...string) bool {
	for _, want := range values {
		for _, h := range have {
			if ec2Glob(want, h) {
				return true
			}
		}
	}
	return false
}

// ec2Glob matches EC2's wildcards: * (any run, including '/') and ?
// (one character); everything else is literal.
func ec2Glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// ec2TagFilter handles tag:KEY, tag-key and tag-value; ok is false when name
// is not a tag filter.
func ec2TagFilter(f EC2Filter, tags []Tag) (match, ok bool) {
	switch {
	case strings.HasPrefix(f.Name, "tag:"):
		key := strings.TrimPrefix(f.Name, "tag:")
		for _, t := range tags {
			if t.Key == key && ec2FilterMatch(f.Values, t.Value) {
				return true, true
			}
		}
		return false, true
	case f.Name == "tag-key":
		for _, t := range tags {
			if ec2FilterMatch(f.Values, t.Key) {
				return true, true
			}
		}
		return false, true
	case f.Name == "tag-value":
		for _, t := range tags {
			if ec2FilterMatch(f.Values, t.Value) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

func ec2InvalidFilter(name string) error {
	return Errf("InvalidParameterValue", "The filter '%s' is invalid", name)
}

// ec2ApplyFilters checks every filter against fields (name -> the resource's
// values for it) and the resource's tags; an unknown filter name is an
// error as in EC2.
func ec2ApplyFilters(filters []EC2Filter, fields map[string][]string, tags []Tag) (bool, error) {
	return ec2ApplyFilterFunc(filters, func(name string) ([]string, bool) { v, ok := fields[name]; return v, ok }, tags)
}

// ec2ApplyFilterFunc is ec2ApplyFilters with the fields computed on demand:
// field returns the resource's values for a filter name, false for a name
// the resource does not have.
func ec2ApplyFilterFunc(filters []EC2Filter, field func(name string) ([]string, bool), tags []Tag) (bool, error) {
	for _, f := range filters {
		if m, ok := ec2TagFilter(f, tags); ok {
			if !m {
				return false, nil
			}
			continue
		}
		have, ok := field(f.Name)
		if !ok {
			return false, ec2InvalidFilter(f.Name)
		}
		if !ec2FilterMatch(f.Values, have...) {
			return false, nil
		}
	}
	return true, nil
}

// ec2PublicAddress is the public IPv4 address EC2 reports for the
// instance: a stopped instance has given its address back, so it neither
// shows one nor matches the ip-address filter.
func ec2PublicAddress(inst *Instance) string {
	if inst.State == "running" || inst.State == "pending" {
		return inst.PublicIP
	}
	return ""
}

// ec2PublicDNSName is the public DNS name EC2 derives from the public
// IPv4 address: compute-1 in us-east-1, REGION.compute elsewhere, and the
// .com.cn domain in the China partition. No public address, no name.
func ec2PublicDNSName(inst *Instance) string {
	ip := ec2PublicAddress(inst)
	if ip == "" {
		return ""
	}
	host := "ec2-" + strings.ReplaceAll(ip, ".", "-")
	switch {
	case inst.Region == "us-east-1":
		return host + ".compute-1.amazonaws.com"
	case strings.HasPrefix(inst.Region, "cn-"):
		return host + "." + inst.Region + ".compute.amazonaws.com.cn"
	}
	return host + "." + inst.Region + ".compute.amazonaws.com"
}
