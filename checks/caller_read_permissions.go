package checks

import (
	"context"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// doctorReads are the read permissions ssmdoctor's own checks call.
var doctorReads = []string{
	"ec2:DescribeInstances", "ec2:DescribeRegions", "ec2:DescribeRouteTables", "ec2:DescribeVpcEndpoints",
	"ec2:DescribeSecurityGroups", "ec2:DescribeVpcAttribute", "ec2:DescribeNetworkAcls", "ec2:DescribeSubnets",
	"ssm:DescribeInstanceInformation", "ssm:GetConnectionStatus", "ssm:DescribeSessions", "ssm:GetDocument", "ssm:GetServiceSetting",
	"iam:GetInstanceProfile", "iam:ListAttachedRolePolicies", "iam:SimulatePrincipalPolicy",
}

func callerReadPermissionsCheck() Check {
	return New("caller-read-permissions", "you may read what ssmdoctor inspects", LayerCaller,
		[]string{"caller-identity"}, callerTimeout, runCallerReadPermissions)
}

func runCallerReadPermissions(ctx context.Context, env *Env) Result {
	c, r, ok := callerFor(ctx, env)
	if !ok {
		return r
	}
	if c.Kind == "root" {
		return Pass("the root user may read everything")
	}
	reqs := make([]awsfacts.AccessReq, len(doctorReads))
	pc := principalCtx(c) // one context for all: read, never changed
	for i, a := range doctorReads {
		reqs[i] = awsfacts.AccessReq{Action: a, Resource: "*", Context: pc}
	}
	decs, method, err := env.AWS.Evaluate(ctx, env.AWS.CallerPrincipal(c), reqs)
	if err != nil {
		return accessError(err)
	}
	var missing []string
	for i, d := range decs {
		if d.Decision != iampolicy.Allowed {
			missing = append(missing, reqs[i].Action)
		}
	}
	if len(missing) == 0 {
		return Pass("all %d read permissions are allowed", len(reqs)).WithDetails(method)
	}
	// The doctor's reads are not needed to connect: their absence makes
	// checks undetermined, not the connection broken.
	return Warn("not allowed: %s", strings.Join(missing, ", ")).
		WithDetails(method, "checks that need these report 'could not determine'",
			`statement to add: {"Effect": "Allow", "Action": ["`+strings.Join(missing, `", "`)+`"], "Resource": "*"}`).
		WithFix(userPolicyFix(env), FixUserPolicy)
}
