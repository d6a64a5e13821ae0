package checkrun

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

func TestPreflightCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	const me = "arn:aws:iam::123456789012:user/alice"
	path := preflightCachePath(me, "", "us-east-1", "AWS-StartSSHSession", "i-0123456789abcdef0")
	if path == "" || !strings.HasPrefix(path, os.Getenv("XDG_CACHE_HOME")) {
		t.Fatalf("cache path %q not under the user cache dir", path)
	}
	if _, ok := ReadPreflightCache(path); ok {
		t.Fatal("hit before anything was written")
	}
	WritePreflightCache(path, "Ubuntu")
	if p, ok := ReadPreflightCache(path); !ok || p != "Ubuntu" {
		t.Fatalf("fresh entry: %q, %v", p, ok)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file mode: %v %v", fi.Mode(), err)
	}
	if other := preflightCachePath(me, "", "eu-west-1", "AWS-StartSSHSession", "i-0123456789abcdef0"); other == path {
		t.Fatal("regions share a cache entry")
	}
	if other := preflightCachePath("arn:aws:iam::123456789012:user/bob", "", "us-east-1", "AWS-StartSSHSession", "i-0123456789abcdef0"); other == path {
		t.Fatal("callers share a cache entry")
	}
	if other := preflightCachePath(me, "", "us-east-1", "AWS-StartPortForwardingSession", "i-0123456789abcdef0"); other == path {
		t.Fatal("documents share a cache entry")
	}
	if preflightCachePath("", "", "us-east-1", "AWS-StartSSHSession", "i-0123456789abcdef0") != "" {
		t.Fatal("an unidentified caller is cached")
	}
	// Older than the TTL: a miss, so a dead instance is noticed again.
	b, _ := json.Marshal(preflightCache{Passed: time.Now().Add(-2 * preflightTTL), Platform: "Ubuntu"})
	os.WriteFile(path, b, 0o600)
	if _, ok := ReadPreflightCache(path); ok {
		t.Fatal("stale entry used")
	}
}
