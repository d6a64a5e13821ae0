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
	keyID, note, r, ok := sessionKMSKeyID(ctx, env)
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
	return withNote(res.WithDetails("the key policy must also allow you; IAM simulation does not read key policies"), note)
}

// sessionKMSKeyID is the KMS key that encrypts the sessions of the
// document in use, which the KMS checks need. Without one (ok false) r is
// their answer: a pass, as nothing is required (the preferences name no
// key, or the document starts a Port session, which the agent does not
// encrypt: SSH and port forwarding), or the preferences' read error. When
// the document's session type cannot be read, the key is taken to apply
// and note says why.
func sessionKMSKeyID(ctx context.Context, env *Env) (id, note string, r Result, ok bool) {
	doc := env.Options.SessionDocument()
	k, err := env.AWS.SessionKMSFor(ctx, doc)
	switch {
	case err != nil:
		return "", "", undetermined(err), false
	case k.KeyID == "":
		return "", "", Pass("not required: the session preferences name no KMS key"), false
	case !k.Applies:
		return "", "", Pass("not required: %s starts a Port session (SSH, port forwarding), which the agent does not encrypt with the preferences' KMS key %s", doc, k.KeyID).
			WithDetails("the key encrypts shell sessions (ssmdoctor shell, --document SSM-SessionManagerRunShell or AWS-StartInteractiveCommand)"), false
	case k.TypeErr != nil:
		note = fmt.Sprintf("the session type of %s could not be read (%s): taken to be one the key encrypts", doc, awsfacts.ConciseAPIError(k.TypeErr))
	}
	return k.KeyID, note, Result{}, true
}

// withNote adds note to r's details when there is one.
func withNote(r Result, note string) Result {
	if note == "" {
		return r
	}
	return r.WithDetails(note)
}

func kmsKeyArn(c *awsfacts.Caller, region, id string) string {
	return awsfacts.KMSKeyArn(c.Partition, region, c.Account, id)
}
