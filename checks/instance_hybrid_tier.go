package checks

import (
	"context"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

func instanceHybridTierCheck() Check {
	return New("instance-hybrid-tier", "hybrid nodes are on the advanced-instances tier", LayerInstance,
		[]string{"instance-exists"}, instanceTimeout, runInstanceHybridTier)
}

func runInstanceHybridTier(ctx context.Context, env *Env) Result {
	if env.Target == nil || !env.Target.Hybrid {
		return Skip("only hybrid (mi-) nodes need the advanced tier")
	}
	tier, err := env.AWS.ServiceSetting(ctx, awsfacts.SettingActivationTier)
	if err != nil {
		return undetermined(err)
	}
	if tier == "advanced" {
		return Pass("advanced-instances tier")
	}
	if tier == "" {
		tier = "standard"
	}
	return Fail("the account is on the %s tier: Session Manager refuses on-premises nodes", tier).
		WithDetails("StartSession answers: Enable advanced-instances tier to use Session Manager with your on-premises instances",
			"the advanced tier is charged per node").
		WithFix(fixCommand(env, "--hybrid-tier"), FixHybridTier)
}
