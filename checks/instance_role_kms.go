package checks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

func instanceRoleKMSCheck() Check {
	return New("instance-role-kms", "the instance role may decrypt with the sessions' KMS key (kms:Decrypt)", LayerInstance,
		[]string{"instance-profile"}, instanceTimeout, runInstanceRoleKMS)
}

// runInstanceRoleKMS: with a KMS key in the Session Manager preferences,
// the agent decrypts each session's data key with it, as the instance
// role; without kms:Decrypt the session opens and then fails its KMS
// handshake.
func runInstanceRoleKMS(ctx context.Context, env *Env) Result {
	if r, ok := awsReady(env); !ok {
		return r
	}
	keyID, note, r, ok := sessionKMSKeyID(ctx, env)
	if !ok {
		return r
	}
	if env.Target == nil {
		return Skip("no target instance given")
	}
	if env.Target.Hybrid {
		return Skip("hybrid (mi-) nodes act as their activation's service role, which this check does not read")
	}
	inst, r, ok := targetInstance(ctx, env)
	if !ok {
		return r
	}
	if inst.IamInstanceProfile == nil {
		return Skip("no instance profile: the Default Host Management role acts for the agent (its kms:Decrypt is not evaluated here)")
	}
	p, err := env.AWS.InstanceProfileByArn(ctx, aws.ToString(inst.IamInstanceProfile.Arn))
	if err != nil {
		return undetermined(err)
	}
	c, err := env.AWS.CallerIdentity(ctx)
	if err != nil {
		return undetermined(err)
	}
	key := kmsKeyArn(c, regionOf(env), keyID)
	reqs := []awsfacts.AccessReq{{Action: "kms:Decrypt", Resource: key}}
	decs, method, err := env.AWS.Evaluate(ctx, env.AWS.RolePrincipal(p), reqs)
	if err != nil {
		return accessError(err)
	}
	statement := fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "%s"}]}`, key)
	res := judgeRoleKMS(p.RoleName, key, decs[0].Decision, method, statement)
	return withNote(res, note)
}

func judgeRoleKMS(role, key string, d iampolicy.Decision, method, statement string) Result {
	switch d {
	case iampolicy.Allowed:
		return Pass("role %s may use %s (kms:Decrypt)", role, key).
			WithDetails(method, "the key policy must also allow the role; IAM simulation does not read key policies")
	case iampolicy.ExplicitDeny:
		return Fail("role %s is explicitly denied kms:Decrypt on %s: encrypted sessions fail their KMS handshake", role, key).
			WithDetails(method)
	}
	return Fail("role %s lacks kms:Decrypt on %s: encrypted sessions open, then fail their KMS handshake", role, key).
		WithDetails(method, "policy to add to the role:", statement).
		WithFix(fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name ssm-session-kms --policy-document '%s'", role, statement), "")
}
