package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/checks/checkrun"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// sshPreflight runs the preflight (checkrun.Preflight) for t with opts and
// returns the instance's platform name. A pass is remembered in cacheFile
// (preflightCacheFile; the caller has found no fresh entry there); a
// failure is shown in compact form on stderr and stops the connection.
func sshPreflight(ctx context.Context, env *awsfacts.AWSEnv, opts checks.Options, t *awsfacts.Target, cacheFile string, stderr io.Writer) (platform string, err error) {
	outs, failed, platform := checkrun.Preflight(ctx, env, opts, t)
	if !failed {
		checkrun.WritePreflightCache(cacheFile, platform)
		return platform, nil
	}
	report.Compact(stderr, "preflight for "+t.InstanceID+" failed:", outs)
	return "", &exitError{code: exitProblems, err: fmt.Errorf("cannot open a session to %s", t.InstanceID), hint: "run: ssmdoctor check " + t.InstanceID}
}

// preflightCacheFile and readPreflightCache are the preflight's cache
// (checkrun.PreflightCacheFile, checkrun.ReadPreflightCache).
func preflightCacheFile(ctx context.Context, env *awsfacts.AWSEnv, opts checks.Options, id string, getenv func(string) string) string {
	return checkrun.PreflightCacheFile(ctx, env, opts, id, getenv)
}

func readPreflightCache(path string) (string, bool) { return checkrun.ReadPreflightCache(path) }
