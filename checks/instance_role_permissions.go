package checks

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

func instanceRolePermissionsCheck() Check {
	return New("instance-role-permissions", "instance role grants the core Systems Manager permissions", LayerInstance,
		[]string{"instance-profile"}, instanceTimeout, runInstanceRolePermissions)
}

func runInstanceRolePermissions(ctx context.Context, env *Env) Result {
	inst, r, ok := targetInstance(ctx, env)
	if !ok {
		return r
	}
	if inst.IamInstanceProfile == nil {
		return Skip("no instance profile: the Default Host Management role applies")
	}
	p, err := env.AWS.InstanceProfileByArn(ctx, aws.ToString(inst.IamInstanceProfile.Arn))
	if err != nil {
		return undetermined(err)
	}
	attached, err := env.AWS.AttachedRolePolicies(ctx, p.RoleName)
	if err != nil {
		return undetermined(err)
	}
	reqs := coreReqs()
	decs, method, err := env.AWS.Evaluate(ctx, env.AWS.RolePrincipal(p), reqs)
	if err != nil {
		return accessError(err)
	}
	var missing, denied []string
	for i, d := range decs {
		switch d.Decision {
		case iampolicy.Allowed:
		case iampolicy.ExplicitDeny:
			denied = append(denied, reqs[i].Action+" (by "+strings.Join(d.Statements, ", ")+")")
		default:
			missing = append(missing, reqs[i].Action)
		}
	}
	fix := instanceRoleFix(env)
	switch {
	case len(denied) > 0:
		return Fail("role %s explicitly denies %s", p.RoleName, strings.Join(denied, "; ")).WithDetails(method).
			WithDetails("an explicit Deny wins over any policy ssmdoctor could attach: remove it from the role")
	case len(missing) > 0:
		return Fail("role %s lacks %s", p.RoleName, strings.Join(missing, ", ")).
			WithDetails(method, "the agent registers but sessions fail to open their data channel, or it never registers").
			WithFix(fix, FixInstanceRole)
	case slices.ContainsFunc(attached, func(a string) bool { return awsManagedPolicy(a, legacyRolePolicyName) }):
		return Warn("role %s grants the core permissions through the legacy AmazonEC2RoleforSSM policy", p.RoleName).
			WithDetails(method, "AmazonEC2RoleforSSM is deprecated and far broader than needed (it grants s3:* reads and more); use AmazonSSMManagedInstanceCore").
			WithFix(fix, FixInstanceRole)
	}
	return Pass("role %s grants the core permissions", p.RoleName).WithDetails(method)
}

// coreReqs asks for the agent's core actions on any resource.
func coreReqs() []awsfacts.AccessReq {
	reqs := make([]awsfacts.AccessReq, len(coreActions))
	for i, a := range coreActions {
		reqs[i] = awsfacts.AccessReq{Action: a, Resource: "*"}
	}
	return reqs
}
