package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// sshPreflight is the few-call go/no-go that runs before ssh takes the
// terminal, so a dead target fails in a second with a reason instead of
// hanging in ProxyCommand. The full check engine can replace it: keep the
// platform result (the platform name feeds the default user). env is the
// one target resolution used: the instance's state and registration it
// already fetched are not asked for again.
func sshPreflight(ctx context.Context, cl *awsapi.Clients, env *checks.AWSEnv, profile, id string, stderr io.Writer) (platform string, err error) {
	cacheFile := preflightCachePath(profile, cl.Region, id)
	if p, ok := readPreflightCache(cacheFile); ok {
		return p, nil
	}
	type line struct {
		ok   bool
		text string
	}
	var lines []line
	failed := false
	add := func(ok bool, format string, a ...any) {
		lines = append(lines, line{ok, fmt.Sprintf(format, a...)})
		failed = failed || !ok
	}
	if strings.HasPrefix(id, "i-") {
		inst, err := env.Instance(ctx, id)
		switch {
		case err != nil:
			add(false, "instance %s: describe instances: %s", id, apiText(err))
		case inst == nil || inst.State == nil:
			add(false, "instance %s: not found in %s", id, cl.Region)
		case inst.State.Name != ec2types.InstanceStateNameRunning:
			add(false, "instance %s is %s, not running", id, inst.State.Name)
		default:
			add(true, "instance %s is running", id)
		}
	}
	if !failed {
		info, err := env.InstanceInformation(ctx, id)
		switch {
		case err != nil:
			add(false, "SSM registration: describe instance information: %v", apiText(err))
		case info == nil:
			add(false, "%s is not registered with Systems Manager (no SSM agent connection)", id)
		case info.PingStatus != ssmtypes.PingStatusOnline:
			add(false, "SSM agent on %s is %s, not Online", id, info.PingStatus)
		default:
			platform = aws.ToString(info.PlatformName)
			add(true, "SSM agent is Online (%s)", platform)
		}
	}
	if !failed {
		if denied, who := startSessionDenied(ctx, cl, id); denied {
			add(false, "%s may not call ssm:StartSession on %s", who, id)
		}
	}
	if !failed {
		writePreflightCache(cacheFile, platform)
		return platform, nil
	}
	fmt.Fprintf(stderr, "ssmdoctor: preflight for %s failed:\n", id)
	for _, l := range lines {
		mark := "✓"
		if !l.ok {
			mark = "✗"
		}
		// The lines quote AWS (statuses, error messages): escaped.
		fmt.Fprintf(stderr, "  %s %s\n", mark, report.Visible(l.text))
	}
	return "", &exitError{code: exitProblems, err: fmt.Errorf("cannot open a session to %s", id), hint: "run: ssmdoctor check " + id}
}

// preflightCached reports whether a preflight for id passed moments ago.
func preflightCached(profile, region, id string) bool {
	_, ok := readPreflightCache(preflightCachePath(profile, region, id))
	return ok
}

// startSessionDenied asks IAM's policy simulator whether the caller may
// start a session. Anything that keeps it from answering (no iam
// permissions, an SSO role) counts as "not denied": the preflight must
// not block a user the real call would let through.
func startSessionDenied(ctx context.Context, cl *awsapi.Clients, id string) (bool, string) {
	who, err := cl.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return false, ""
	}
	arn := principalARN(aws.ToString(who.Arn))
	acct := aws.ToString(who.Account)
	resource := fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", cl.Region, acct, id)
	if strings.HasPrefix(id, "mi-") {
		resource = fmt.Sprintf("arn:aws:ssm:%s:%s:managed-instance/%s", cl.Region, acct, id)
	}
	out, err := cl.IAM.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: &arn,
		ActionNames:     []string{"ssm:StartSession"},
		ResourceArns:    []string{resource},
	})
	if err != nil || len(out.EvaluationResults) == 0 {
		return false, arn
	}
	return out.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed, arn
}

// principalARN maps an assumed-role session to its role, which is what
// the simulator accepts.
func principalARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/") {
		role := strings.SplitN(strings.TrimPrefix(parts[5], "assumed-role/"), "/", 2)[0]
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", parts[1], parts[4], role)
	}
	return arn
}

func apiText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// A passed preflight is remembered briefly so that a burst of ssh/scp
// calls (scripts, rsync -e) costs the API calls once.
const preflightTTL = 60 * time.Second

type preflightCache struct {
	Passed   time.Time `json:"passed"`
	Platform string    `json:"platform"`
}

// The entry is keyed by who is asking (profile, or the access key id from
// the environment), where (endpoint, region) and which instance: another
// identity must not inherit a pass.
func preflightCachePath(profile, region, id string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	key := sha256.Sum256([]byte(strings.Join([]string{profile, os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_ENDPOINT_URL"), region, id}, "|")))
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
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		os.Rename(tmp, path)
	}
}
