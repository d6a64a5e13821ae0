package awsfacts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// RegionCacheTTL is how long a target found in another region is
// remembered: long enough that ssh, its ProxyCommand and a second
// connection minutes later ask no region but the right one, short enough
// that a moved or replaced instance is found again within the hour.
const RegionCacheTTL = 10 * time.Minute

// RegionCache remembers in which region a target outside the default
// region was found, in one small file of the user's cache directory.
// Entries are keyed by who asks and where (Scope: profile, access key id,
// endpoint, default region) and by the target as typed. A cache that
// cannot be read or written only costs the search again.
type RegionCache struct {
	Path  string           // "" disables the cache
	Scope string           // who asks, where; hashed into each key
	Now   func() time.Time // tests
	mu    sync.Mutex
}

type regionCacheEntry struct {
	Region   string    `json:"region"`
	ID       string    `json:"instanceId"`
	Resolved time.Time `json:"resolved"`
}

// DefaultRegionCache is the cache in the user's cache directory
// ($XDG_CACHE_HOME/ssmdoctor/regions.json on Linux), scoped to profile,
// the environment's access key and endpoint, and the default region.
func DefaultRegionCache(profile, defaultRegion string, getenv func(string) string) *RegionCache {
	dir, err := os.UserCacheDir()
	if err != nil {
		return &RegionCache{}
	}
	if profile == "" {
		profile = getenv("AWS_PROFILE")
	}
	scope := strings.Join([]string{profile, getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_ENDPOINT_URL"), defaultRegion}, "|")
	return &RegionCache{Path: filepath.Join(dir, "ssmdoctor", "regions.json"), Scope: scope}
}

func (c *RegionCache) key(input string) string {
	h := sha256.Sum256([]byte(c.Scope + "|" + input))
	return hex.EncodeToString(h[:12])
}

func (c *RegionCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *RegionCache) load() map[string]regionCacheEntry {
	m := map[string]regionCacheEntry{}
	if c == nil || c.Path == "" {
		return m
	}
	b, err := os.ReadFile(c.Path)
	if err != nil || len(b) > 1<<20 {
		return m
	}
	_ = json.Unmarshal(b, &m)
	return m
}

// Get returns the region and id remembered for input, if fresh.
func (c *RegionCache) Get(input string) (region, id string, ok bool) {
	if c == nil || c.Path == "" {
		return "", "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.load()[c.key(input)]
	age := c.now().Sub(e.Resolved)
	if !ok || age < 0 || age > RegionCacheTTL || !IsInstanceID(e.ID) || sshconfig.CheckRegion(e.Region) != nil {
		return "", "", false
	}
	return e.Region, e.ID, true
}

// Put remembers where input was found; stale entries are dropped. The
// file is replaced atomically.
func (c *RegionCache) Put(input, region, id string) {
	if c == nil || c.Path == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.load()
	now := c.now()
	for k, e := range m {
		if now.Sub(e.Resolved) > RegionCacheTTL {
			delete(m, k)
		}
	}
	m[c.key(input)] = regionCacheEntry{Region: region, ID: id, Resolved: now}
	b, err := json.Marshal(m)
	if err != nil || os.MkdirAll(filepath.Dir(c.Path), 0o700) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(c.Path), ".regions-*.json")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), c.Path) != nil {
		os.Remove(f.Name())
	}
}

// SearchOtherRegions turns the cross-region lookup on: a target the
// region does not hold is looked for, concurrently, in every region
// ec2:DescribeRegions lists for the account (its enabled regions), and
// the answer is remembered in cache. Commands turn it on unless the user
// gave --region, which means "this region only".
func (a *AWSEnv) SearchOtherRegions(cache *RegionCache) {
	a.search = true
	a.regionCache = cache
}

// regionSearchConcurrency bounds the concurrent per-region lookups: an
// account has up to about 30 enabled regions.
const regionSearchConcurrency = 8

// regionMatch is one instance a lookup found in some region.
type regionMatch struct {
	region string
	inst   ec2types.Instance
}

// findElsewhere resolves an input the default region does not hold: from
// the cache when it names a region that still holds the instance, else
// by searching every other region. One live match resolves, several are
// ambiguous (listing each with its region), none is not found.
func (a *AWSEnv) findElsewhere(ctx context.Context, in string, lookups []ec2types.Filter) (*Target, error) {
	if r, _, ok := a.regionCache.Get(in); ok && r != a.Region && a.regional != nil {
		if ms := a.lookupIn(ctx, r, lookups); len(ms) == 1 {
			return a.foundIn(in, ms[0])
		}
	}
	matches, searched, err := a.searchRegions(ctx, lookups)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: look in the account's other regions: %w", in, err)
	}
	insts := make([]ec2types.Instance, len(matches))
	for i, m := range matches {
		insts[i] = m.inst
	}
	live := preferLive(insts)
	var kept []regionMatch
	for _, m := range matches {
		for _, l := range live {
			if aws.ToString(l.InstanceId) == aws.ToString(m.inst.InstanceId) {
				kept = append(kept, m)
				break
			}
		}
	}
	switch len(kept) {
	case 0:
		return nil, &TargetNotFoundError{Input: in, Region: a.Region, Searched: searched}
	case 1:
		t, err := a.foundIn(in, kept[0])
		if err == nil {
			a.regionCache.Put(in, t.Region, t.InstanceID)
		}
		return t, err
	}
	amb := &AmbiguousTargetError{Input: in}
	for _, m := range kept {
		amb.Candidates = append(amb.Candidates, fmt.Sprintf("%s (%s, %s, %s)",
			aws.ToString(m.inst.InstanceId), TagValue(m.inst.Tags, "Name"), StateName(m.inst), m.region))
	}
	sort.Strings(amb.Candidates)
	return nil, amb
}

func (a *AWSEnv) foundIn(in string, m regionMatch) (*Target, error) {
	id := aws.ToString(m.inst.InstanceId)
	if !ec2IDRE.MatchString(id) {
		return nil, &MalformedAnswerError{Input: in, Call: "ec2:DescribeInstances", Value: id}
	}
	return &Target{Input: in, InstanceID: id, Region: m.region, Name: TagValue(m.inst.Tags, "Name")}, nil
}

// lookupIn runs the lookups (each one filter, in order, until one
// matches) in one region; errors count as no match.
func (a *AWSEnv) lookupIn(ctx context.Context, region string, lookups []ec2types.Filter) []regionMatch {
	api := a.regional(region)
	for _, f := range lookups {
		var out []regionMatch
		p := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{f}})
		for p.HasMorePages() {
			res, err := p.NextPage(ctx)
			if err != nil {
				return nil
			}
			for _, rv := range res.Reservations {
				for _, i := range rv.Instances {
					out = append(out, regionMatch{region: region, inst: i})
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// searchRegions asks every enabled region but the default one, at most
// regionSearchConcurrency at a time. It returns the matches and the
// regions searched. A region that fails to answer is skipped: the search
// finds what it can.
func (a *AWSEnv) searchRegions(ctx context.Context, lookups []ec2types.Filter) ([]regionMatch, []string, error) {
	if a.regional == nil {
		return nil, nil, nil
	}
	out, err := a.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, nil, fmt.Errorf("ec2:DescribeRegions: %w", err)
	}
	var searched []string
	for _, r := range out.Regions {
		name := aws.ToString(r.RegionName)
		if name != a.Region && sshconfig.CheckRegion(name) == nil {
			searched = append(searched, name)
		}
	}
	var (
		mu    sync.Mutex
		found []regionMatch
	)
	bounded(len(searched), regionSearchConcurrency, func(i int) {
		ms := a.lookupIn(ctx, searched[i], lookups)
		mu.Lock()
		found = append(found, ms...)
		mu.Unlock()
	})
	sort.Strings(searched)
	sort.Slice(found, func(i, j int) bool { return found[i].region < found[j].region })
	return found, searched, nil
}
