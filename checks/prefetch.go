package checks

import (
	"context"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// PrefetchFleet fills env's AWS view in bulk before the checks run on each
// target (see awsfacts.PrefetchFleet for the calls it makes). It asks the
// checks' own questions, those of instance-role-permissions and
// caller-start-session, so that their answers come from the cache.
func PrefetchFleet(ctx context.Context, env *Env, targets []*Target) error {
	return awsfacts.PrefetchFleet(ctx, env.AWS, targets, awsfacts.FleetQuestions{
		Role:         coreReqs(),
		StartSession: startInstanceReq,
	})
}
