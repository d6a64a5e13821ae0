package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

func callerStartSessionCheck() Check {
	return New("caller-start-session", "you may start an SSH session (ssm:StartSession)", LayerCaller,
		[]string{"caller-identity"}, callerTimeout, runCallerStartSession)
}

func runCallerStartSession(ctx context.Context, env *Env) Result {
	c, r, ok := callerFor(ctx, env)
	if !ok {
		return r
	}
	if c.Kind == "root" {
		return Pass("the root user may start sessions")
	}
	region := regionOf(env)
	doc := env.Options.SessionDocument()
	reqs := []awsfacts.AccessReq{startDocReq(c, region, doc)}
	if env.Target != nil {
		var inst *ec2types.Instance
		if !env.Target.Hybrid {
			i, err := env.AWS.Instance(ctx, env.Target.InstanceID)
			if err != nil {
				return undetermined(err)
			}
			inst = i
		}
		reqs = append([]awsfacts.AccessReq{startInstanceReq(c, region, env.Target, inst)}, reqs...)
	}
	decs, method, err := env.AWS.Evaluate(ctx, env.AWS.CallerPrincipal(c), reqs)
	if err != nil {
		return accessError(err)
	}
	msg := "ssm:StartSession allowed on document " + doc
	if env.Target != nil {
		msg = fmt.Sprintf("ssm:StartSession allowed on %s and document %s", env.Target.InstanceID, doc)
	}
	return judge(env, reqs, decs, method, msg, startSessionStatement(c, region, doc))
}

// startDocReq asks for the SSH document with the access check on, as the
// CLI and ssmdoctor send it, so a policy must name the document.
func startDocReq(c *awsfacts.Caller, region, doc string) awsfacts.AccessReq {
	return awsfacts.AccessReq{Action: "ssm:StartSession", Resource: documentArn(c, region, doc), Context: sessionCtx(c)}
}

// sessionCtx is the context every StartSession request carries.
func sessionCtx(c *awsfacts.Caller) []awsfacts.CtxValue {
	return append([]awsfacts.CtxValue{boolCtx("ssm:SessionDocumentAccessCheck")}, principalCtx(c)...)
}

// startInstanceReq carries the instance's tags: policies often scope
// sessions with aws:ResourceTag conditions.
func startInstanceReq(c *awsfacts.Caller, region string, t *Target, inst *ec2types.Instance) awsfacts.AccessReq {
	cv := sessionCtx(c)
	if inst != nil {
		cv = append(cv, tagCtx(inst.Tags)...)
	}
	return awsfacts.AccessReq{Action: "ssm:StartSession", Resource: instanceArn(c, region, t), Context: cv}
}

func tagCtx(tags []ec2types.Tag) []awsfacts.CtxValue {
	var out []awsfacts.CtxValue
	for _, tg := range tags {
		out = append(out, strCtx("aws:ResourceTag/"+aws.ToString(tg.Key), aws.ToString(tg.Value)))
	}
	return out
}

// startSessionStatement is the statement to add, in the caller's
// partition, for the document in use.
func startSessionStatement(c *awsfacts.Caller, region, doc string) string {
	return strings.Join([]string{
		`{"Effect": "Allow", "Action": "ssm:StartSession",`,
		fmt.Sprintf(` "Resource": ["arn:%s:ec2:%s:%s:instance/*", "%s"],`, c.Partition, region, c.Account, documentArn(c, region, doc)),
		` "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}}`,
	}, "\n")
}
