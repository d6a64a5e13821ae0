package checks

import "context"

func callerIdentityCheck() Check {
	return New("caller-identity", "AWS identity of the caller", LayerCaller, nil, callerTimeout, runCallerIdentity)
}

func runCallerIdentity(ctx context.Context, env *Env) Result {
	c, r, ok := callerFor(ctx, env)
	if !ok {
		return r
	}
	switch c.Kind {
	case "assumed-role":
		return Pass("role %s (session %s) in account %s", c.Name, c.SessionName, c.Account).
			WithDetails("identity: "+c.Arn, "permissions are evaluated for "+c.PrincipalArn)
	case "user":
		return Pass("IAM user %s in account %s", c.Name, c.Account).WithDetails("identity: " + c.Arn)
	case "root":
		return Warn("the account root user of %s", c.Account).
			WithDetails("root may do everything, so the permission checks pass, but nobody should use root credentials day to day")
	}
	return Pass("%s in account %s", c.Arn, c.Account).
		WithDetails("this kind of identity cannot be simulated: permission checks will say so")
}
