package checks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// defaultOSUser is assumed when neither --user nor the ssh config names one.
const defaultOSUser = "ec2-user"

func callerInstanceConnectCheck() Check {
	return New("caller-instance-connect", "you may push a one-time SSH key (ec2-instance-connect:SendSSHPublicKey)", LayerCaller,
		[]string{"caller-identity"}, callerTimeout, runCallerInstanceConnect)
}

// osUserOf is the OS user one-time keys are pushed for.
func osUserOf(env *Env) string {
	if env.Options.OSUser != "" {
		return env.Options.OSUser
	}
	return defaultOSUser
}

func runCallerInstanceConnect(ctx context.Context, env *Env) Result {
	if !env.Options.Ephemeral {
		return Skip("one-time keys are not used: your own key authenticates")
	}
	if env.Target == nil {
		return Skip("no target instance given")
	}
	if env.Target.Hybrid {
		return Skip("EC2 Instance Connect does not serve hybrid (mi-) nodes")
	}
	c, r, ok := callerFor(ctx, env)
	if !ok {
		return r
	}
	if c.Kind == "root" {
		return Pass("the root user may push keys")
	}
	user := osUserOf(env)
	region := regionOf(env)
	cv := append([]awsfacts.CtxValue{{Key: "ec2:osuser", Type: types.ContextKeyTypeEnumString, Values: []string{user}}}, principalCtx(c)...)
	reqs := []awsfacts.AccessReq{{Action: "ec2-instance-connect:SendSSHPublicKey", Resource: instanceArn(c, region, env.Target), Context: cv}}
	decs, method, err := env.AWS.Evaluate(ctx, env.AWS.CallerPrincipal(c), reqs)
	if err != nil {
		return accessError(err)
	}
	stmt := fmt.Sprintf(`{"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "arn:%s:ec2:%s:%s:instance/*", "Condition": {"StringEquals": {"ec2:osuser": "%s"}}}`, c.Partition, region, c.Account, user)
	return judge(env, reqs, decs, method, fmt.Sprintf("one-time keys for OS user %s may be pushed to %s", user, env.Target.InstanceID), stmt)
}
