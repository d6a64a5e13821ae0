package checks

import (
	"context"
	"time"
)

func regionCheck() Check {
	return New("region", "AWS region is set", LayerLocal, nil, 30*time.Second, runRegion)
}

func runRegion(ctx context.Context, env *Env) Result {
	if r := env.Options.Region; r != "" {
		// --region also reads AWS_REGION and AWS_DEFAULT_REGION; name the source.
		for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
			if env.Local.Getenv(k) == r {
				return Pass("%s (from %s)", r, k)
			}
		}
		return Pass("%s (from --region)", r)
	}
	// The probe fills Region even when credentials fail: the region comes
	// from the profile or environment before any credential is fetched.
	info, _ := env.Local.Creds(ctx)
	if info.Region != "" {
		return Pass("%s (from the AWS configuration)", info.Region)
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := env.Local.Getenv(k); v != "" {
			return Pass("%s (from %s)", v, k)
		}
	}
	fix := "export AWS_REGION=us-east-1   # or pass --region, or set region in the profile"
	if p := profileOr(info, env, ""); p != "" {
		fix = "aws configure set region us-east-1 --profile " + p
	}
	return Fail("no AWS region is configured: every API call would fail").WithFix(fix, "")
}
