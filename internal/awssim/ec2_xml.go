package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// items renders an EC2 list: <xSet><item>…</item></xSet>. It is a struct,
// not a slice, so an empty list still appears as <xSet></xSet>: AWS sends
// it, and the AWS CLI then prints [] instead of dropping the key.
type ec2List[T any] struct {
	Item []T `xml:"item"`
}

func ec2ListOf[T any](v []T) ec2List[T] { return ec2List[T]{Item: v} }

type ec2Tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func ec2TagSet(tags []Tag) ec2List[ec2Tag] {
	out := make([]ec2Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, ec2Tag{Key: t.Key, Value: t.Value})
	}
	return ec2ListOf(out)
}

type ec2GroupRef struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName,omitempty"`
}

// ec2MaxResults reads MaxResults as EC2 validates it: absent means "all",
// present must lie in [lo, 1000].
func ec2MaxResults(c *Call, lo int) (int, error) {
	raw := c.Form.Get("MaxResults")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > 1000 {
		return 0, Errf("InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid. Parameter must be between %d and 1000.", raw, lo)
	}
	return n, nil
}

// ec2Bool parses an EC2 boolean parameter; absent gives def.
func ec2Bool(c *Call, name string, def bool) bool {
	v := c.Form.Get(name)
	if v == "" {
		return def
	}
	return strings.EqualFold(v, "true")
}

func (s *Sim) ec2Arn(region, kind, id string) string {
	s.mu.Lock()
	acct := s.state.AccountID
	s.mu.Unlock()
	return "arn:aws:ec2:" + region + ":" + acct + ":" + kind + "/" + id
}

// ec2ResourceTagContext is the request context EC2 gives conditions on a
// tagged resource.
func ec2ResourceTagContext(tags []Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string][]string, 2*len(tags))
	for _, t := range tags {
		m["aws:ResourceTag/"+t.Key] = []string{t.Value}
		m["ec2:ResourceTag/"+t.Key] = []string{t.Value}
	}
	return m
}

func ec2NotFound(code, singular, plural string, ids []string) error {
	if len(ids) == 1 {
		return Errf(code, "The %s '%s' does not exist", singular, ids[0])
	}
	return Errf(code, "The %s '%s' do not exist", plural, strings.Join(ids, ", "))
}

// ec2Hex derives n lowercase hex digits from seed, so that ids the
// simulator invents are stable across runs (goldens, docs).
func ec2Hex(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	h := hex.EncodeToString(sum[:])
	for len(h) < n {
		h += h
	}
	return h[:n]
}
