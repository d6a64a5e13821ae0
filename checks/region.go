package checks

import (
	"context"
	"time"
)

func regionCheck() Check {
	return New("region", "AWS region is set", LayerLocal, nil, 30*time.Second, runRegion)
}

func runRegion(ctx context.Context, env *Env) Result {
	// Options.Region holds --region only: the environment is not a flag
	// source. The environment comes next, before the profile, as for the
	// AWS CLI and the SDK.
	if r := env.Options.Region; r != "" {
		return Pass("%s (from --region)", r)
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := env.Local.Getenv(k); v != "" {
			return Pass("%s (from %s)", v, k)
		}
	}
	// The probe fills Region even when credentials fail: the region comes
	// from the profile before any credential is fetched.
	info, _ := env.Local.Creds(ctx)
	if info.Region != "" {
		return Pass("%s (from the AWS configuration)", info.Region)
	}
	fix := "export AWS_REGION=us-east-1   # or pass --region, or set region in the profile"
	if p := profileOr(info, env, ""); p != "" {
		fix = "aws configure set region us-east-1 --profile " + p
	}
	return Fail("no AWS region is configured: every API call would fail").WithFix(fix, "")
}
