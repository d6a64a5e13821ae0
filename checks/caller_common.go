package checks

import (
	"context"
	"fmt"
	"strings"
	"time"

	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

const (
	callerTimeout = 60 * time.Second
	sshDocument   = "AWS-StartSSHSession"
)

// awsReady returns the "could not determine" result when there is no AWS
// configuration at all, so checks can bail out uniformly.
func awsReady(env *Env) (Result, bool) {
	if env.AWS == nil {
		return Undetermined("AWS configuration", "could not determine: AWS configuration could not be loaded"), false
	}
	return Result{}, true
}

// callerFor fetches the caller or says why it cannot.
func callerFor(ctx context.Context, env *Env) (*awsfacts.Caller, Result, bool) {
	if r, ok := awsReady(env); !ok {
		return nil, r, false
	}
	c, err := env.AWS.CallerIdentity(ctx)
	if err != nil {
		return nil, undetermined(err), false
	}
	return c, Result{}, true
}

func boolCtx(key string) awsfacts.CtxValue {
	return awsfacts.CtxValue{Key: key, Type: iamtypes.ContextKeyTypeEnumBoolean, Values: []string{"true"}}
}

func strCtx(key, v string) awsfacts.CtxValue {
	return awsfacts.CtxValue{Key: key, Type: iamtypes.ContextKeyTypeEnumString, Values: []string{v}}
}

// principalCtx carries the policy variables Session Manager policies use
// (${aws:username}, ${aws:userid}), which simulation does not fill itself.
func principalCtx(c *awsfacts.Caller) []awsfacts.CtxValue {
	var out []awsfacts.CtxValue
	if c.Kind == "user" {
		out = append(out, strCtx("aws:username", c.Name))
	}
	if c.UserID != "" {
		out = append(out, strCtx("aws:userid", c.UserID))
	}
	return out
}

// judge turns decisions into a result: explicit denies first (they need an
// administrator), then missing allows (a statement fixes them).
func judge(env *Env, reqs []awsfacts.AccessReq, decs []*awsfacts.SimDecision, method, okMsg, statement string) Result {
	var denied, missing []string
	var details []string
	for i, r := range reqs {
		d := decs[i]
		switch d.Decision {
		case iampolicy.ExplicitDeny:
			denied = append(denied, fmt.Sprintf("%s on %s", r.Action, r.Resource))
			details = append(details, fmt.Sprintf("%s on %s: explicitly denied by %s", r.Action, r.Resource, strings.Join(d.Statements, ", ")))
		case iampolicy.Allowed:
		default:
			missing = append(missing, fmt.Sprintf("%s on %s", r.Action, r.Resource))
			if len(d.Missing) > 0 {
				details = append(details, fmt.Sprintf("%s on %s: policies refer to context the request lacked: %s", r.Action, r.Resource, strings.Join(d.Missing, ", ")))
			}
		}
	}
	details = append(details, method)
	switch {
	case len(denied) > 0:
		return Fail("explicitly denied: %s", strings.Join(denied, "; ")).WithDetails(details...).
			WithDetails("an explicit Deny wins over every Allow: ask the owner of the denying policy (or boundary) to exempt this access")
	case len(missing) > 0:
		return Fail("no policy allows %s", strings.Join(missing, "; ")).WithDetails(details...).
			WithDetails("least-privilege statement to add:", statement).
			WithFix(userPolicyFix(env), FixUserPolicy)
	}
	return Pass("%s", okMsg).WithDetails(method)
}

// userPolicyFix prints the least-privilege policy for the account and
// region the check looked at; with one-time keys the policy must also let
// the caller push them for the OS user.
func userPolicyFix(env *Env) string {
	sel := "--user-policy"
	if env.Options.Ephemeral {
		sel += " --os-user " + osUserOf(env)
	}
	return fixCommand(env, sel)
}

func instanceArn(c *awsfacts.Caller, region string, t *Target) string {
	if t.Hybrid {
		return fmt.Sprintf("arn:%s:ssm:%s:%s:managed-instance/%s", c.Partition, region, c.Account, t.InstanceID)
	}
	return fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", c.Partition, region, c.Account, t.InstanceID)
}

// documentArn is an SSM document's ARN: AWS-owned documents (AWS-*,
// SSM-*) have no account, one's own documents carry it.
func documentArn(c *awsfacts.Caller, region, doc string) string {
	// SSM-SessionManagerRunShell, the preferences document, is created in
	// the account: policies name it with the account id.
	if strings.HasPrefix(doc, "AWS-") || strings.HasPrefix(doc, "AWSSupport-") {
		return fmt.Sprintf("arn:%s:ssm:%s::document/%s", c.Partition, region, doc)
	}
	return fmt.Sprintf("arn:%s:ssm:%s:%s:document/%s", c.Partition, region, c.Account, doc)
}

// awsManagedPolicy reports whether arn is the AWS managed policy name
// (such as "AmazonSSMManagedInstanceCore") in any partition.
func awsManagedPolicy(arn, name string) bool {
	p := strings.SplitN(arn, ":", 5)
	return len(p) == 5 && p[0] == "arn" && p[2] == "iam" && p[3] == "" && p[4] == "aws:policy/"+name
}

func regionOf(env *Env) string {
	if env.Target != nil && env.Target.Region != "" {
		return env.Target.Region
	}
	return env.AWS.Region
}
