package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// preflightChecks are what a session needs, run before ssh takes the
// terminal so that a dead target fails in a second with a reason instead
// of hanging in ProxyCommand. They are check's own checks, with their
// prerequisites, run by check's runner: ssh and check cannot disagree.
var preflightChecks = []string{"instance-exists", "instance-registered", "caller-start-session"}

// sshPreflight runs preflightChecks for t with opts (the document to be
// started among them) and returns the instance's platform name, which
// picks the default OS user. Only a failed check stops the connection: a
// check that could not be determined (no permission to simulate, say)
// must not block a user the real call would let through. A pass is
// remembered in cacheFile (preflightCacheFile; the caller has found no
// fresh entry there) for preflightTTL. env is the one target resolution
// used: what it already fetched is not asked for again.
func sshPreflight(ctx context.Context, env *awsfacts.AWSEnv, opts checks.Options, t *awsfacts.Target, cacheFile string, stderr io.Writer) (platform string, err error) {
	e := &checks.Env{Options: opts, AWS: env, Target: t}
	outs := checks.Run(ctx, e, checks.Select(checks.All(), preflightChecks...), checks.RunOptions{})
	failed := false
	for _, o := range outs {
		failed = failed || o.Result.Status == checks.StatusFail
	}
	if info, ierr := env.InstanceInformation(ctx, t.InstanceID); ierr == nil && info != nil {
		platform = aws.ToString(info.PlatformName)
	}
	if !failed {
		writePreflightCache(cacheFile, platform)
		return platform, nil
	}
	report.Compact(stderr, "preflight for "+t.InstanceID+" failed:", outs)
	return "", &exitError{code: exitProblems, err: fmt.Errorf("cannot open a session to %s", t.InstanceID), hint: "run: ssmdoctor check " + t.InstanceID}
}

// preflightCacheFile names the cache entry of the caller (by ARN), where
// (endpoint, region), the document and the instance: another identity or
// another document must not inherit a pass. "" (no caching) when the
// caller cannot be identified.
func preflightCacheFile(ctx context.Context, env *awsfacts.AWSEnv, opts checks.Options, id string, getenv func(string) string) string {
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

func readPreflightCache(path string) (string, bool) {
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

func writePreflightCache(path, platform string) {
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
