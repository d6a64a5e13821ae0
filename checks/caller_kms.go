package checks

import (
	"context"
	"fmt"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

func callerKMSCheck() Check {
	return New("caller-kms", "you may create session data keys (kms:GenerateDataKey) when sessions are encrypted", LayerCaller,
		[]string{"caller-identity"}, callerTimeout, runCallerKMS)
}

func runCallerKMS(ctx context.Context, env *Env) Result {
	c, r, ok := callerFor(ctx, env)
	if !ok {
		return r
	}
	keyID, r, ok := sessionKMSKeyID(ctx, env)
	if !ok {
		return r
	}
	if c.Kind == "root" {
		return Pass("the root user may use the key (if the key policy allows the account)")
	}
	region := regionOf(env)
	key := kmsKeyArn(c, region, keyID)
	reqs := []awsfacts.AccessReq{{Action: "kms:GenerateDataKey", Resource: key, Context: principalCtx(c)}}
	decs, method, err := env.AWS.Evaluate(ctx, env.AWS.CallerPrincipal(c), reqs)
	if err != nil {
		return accessError(err)
	}
	res := judge(env, reqs, decs, method, "kms:GenerateDataKey allowed on "+key,
		fmt.Sprintf(`{"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "%s"}`, key))
	return res.WithDetails("the key policy must also allow you; IAM simulation does not read key policies")
}

// sessionKMSKeyID is the KMS key the session preferences name, which the
// KMS checks need; without one (ok false) r is their answer: a pass, as
// nothing is required, or the preferences' read error.
func sessionKMSKeyID(ctx context.Context, env *Env) (id string, r Result, ok bool) {
	prefs, err := env.AWS.SessionPreferences(ctx)
	if err != nil {
		return "", undetermined(err), false
	}
	if prefs.KMSKeyID == "" {
		return "", Pass("not required: the session preferences name no KMS key"), false
	}
	return prefs.KMSKeyID, Result{}, true
}

func kmsKeyArn(c *awsfacts.Caller, region, id string) string {
	return awsfacts.KMSKeyArn(c.Partition, region, c.Account, id)
}
