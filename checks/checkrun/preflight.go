package checkrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// PreflightChecks are what a session needs, run by ssh, scp and proxy
// before ssh takes the terminal so that a dead target fails in a second
// with a reason instead of hanging in ProxyCommand. They are check's own
// checks, with their prerequisites, run by check's runner: a session and
// check cannot disagree.
var PreflightChecks = []string{"instance-exists", "instance-registered", "caller-start-session"}

// Preflight runs PreflightChecks for t with opts (the document to be
// started among them) over env, the view the target was resolved in (what
// it already fetched is not asked for again). It returns the outcomes,
// whether one failed and the instance's platform name, which picks the
// default OS user. Only a failed check should stop a connection: a check
// that could not be determined (no permission to simulate, say) must not
// block a user the real call would let through.
func Preflight(ctx context.Context, env *awsfacts.AWSEnv, opts checks.Options, t *awsfacts.Target) (outs []checks.Outcome, failed bool, platform string) {
	e := &checks.Env{Options: opts, AWS: env, Target: t}
	outs = checks.Run(ctx, e, checks.Select(checks.All(), PreflightChecks...), checks.RunOptions{})
	for _, o := range outs {
		failed = failed || o.Result.Status == checks.StatusFail
	}
	if info, ierr := env.InstanceInformation(ctx, t.InstanceID); ierr == nil && info != nil {
		platform = aws.ToString(info.PlatformName)
	}
	return outs, failed, platform
}

// ForwardPreflightChecks are PreflightChecks plus the agent version, which
// for port forwarding says whether connections are multiplexed.
var ForwardPreflightChecks = append(slices.Clone(PreflightChecks), "instance-agent-version")

// ForwardPreflight runs ForwardPreflightChecks for t with opts (the port
// forwarding document among them) over env. It returns the outcomes,
// whether one failed (that stops forwarding) and the agent version's
// warning, "" for none: an agent too old to multiplex still forwards, one
// connection at a time, so the warning is shown and forwarding goes on.
func ForwardPreflight(ctx context.Context, env *awsfacts.AWSEnv, opts checks.Options, t *awsfacts.Target) (outs []checks.Outcome, failed bool, warning string) {
	e := &checks.Env{Options: opts, AWS: env, Target: t}
	outs = checks.Run(ctx, e, checks.Select(checks.All(), ForwardPreflightChecks...), checks.RunOptions{})
	for _, o := range outs {
		failed = failed || o.Result.Status == checks.StatusFail
		if o.ID == "instance-agent-version" && o.Result.Status == checks.StatusWarn {
			warning = o.Result.Message
		}
	}
	return outs, failed, warning
}

// PreflightCacheFile names the cache entry of the caller (by ARN), where
// (endpoint, region), the document and the instance: another identity or
// another document must not inherit a pass. "" (no caching) when the
// caller cannot be identified.
func PreflightCacheFile(ctx context.Context, env *awsfacts.AWSEnv, opts checks.Options, id string, getenv func(string) string) string {
	c, err := env.CallerIdentity(ctx)
	if err != nil {
		return ""
	}
	return preflightCachePath(c.Arn, getenv("AWS_ENDPOINT_URL"), env.Region, opts.SessionDocument(), id)
}

// A passed preflight is remembered briefly so that a burst of ssh/scp
// calls (scripts, rsync -e) costs the API calls once.
const preflightTTL = 60 * time.Second

type preflightCache struct {
	Passed   time.Time `json:"passed"`
	Platform string    `json:"platform"`
}

func preflightCachePath(callerARN, endpoint, region, document, id string) string {
	dir, err := os.UserCacheDir()
	if err != nil || callerARN == "" {
		return ""
	}
	key := sha256.Sum256([]byte(strings.Join([]string{callerARN, endpoint, region, document, id}, "|")))
	return filepath.Join(dir, "ssmdoctor", "preflight-"+hex.EncodeToString(key[:8])+".json")
}

// ReadPreflightCache returns the platform a pass remembered in path
// (PreflightCacheFile) within preflightTTL; ok is false for none.
func ReadPreflightCache(path string) (platform string, ok bool) {
	if path == "" {
		return "", false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	var c preflightCache
	if json.Unmarshal(b, &c) != nil || time.Since(c.Passed) > preflightTTL || time.Since(c.Passed) < 0 {
		return "", false
	}
	return c.Platform, true
}

// WritePreflightCache remembers a pass in path ("" remembers nothing),
// readable by the user alone; failures to write are ignored.
func WritePreflightCache(path, platform string) {
	if path == "" || os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	b, _ := json.Marshal(preflightCache{Passed: time.Now(), Platform: platform})
	f, err := os.CreateTemp(filepath.Dir(path), ".preflight-*.json")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		os.Remove(f.Name())
	}
}
