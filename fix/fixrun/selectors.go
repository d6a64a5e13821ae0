package fixrun

import (
	"context"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/fix"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// TargetUse says what a fix selector does with a TARGET.
type TargetUse int

const (
	TargetNone     TargetUse = iota // serves every instance: a TARGET is a usage error
	TargetOptional                  // acts on the account; a TARGET names what to verify
	TargetRequired                  // acts on the instance its flag names
)

// Selector is one way to run `ssmdoctor fix`: the flag that chooses it
// (its FixID), what it does with a TARGET, the checks it answers (re-run
// afterwards to verify) and how it plans.
type Selector struct {
	ID      checks.FixID
	Target  TargetUse
	Answers []string
	Plan    func(ctx context.Context, o *Options, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error)
}

// Selectors is the one table of fixes, in the order they are offered.
// Every checks.FixID has a row (TestFixSelectorsTable).
var Selectors = []Selector{
	{checks.FixSSHConfig, TargetNone, []string{"ssh-config"}, nil}, // planned without AWS: planSSHConfig
	{checks.FixInstanceRole, TargetRequired, []string{"instance-profile", "instance-role-permissions"},
		func(ctx context.Context, o *Options, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanInstanceRole(ctx, a, t.InstanceID, o.Role)
		}},
	{checks.FixUserPolicy, TargetOptional, []string{"caller-start-session", "caller-session-lifecycle", "caller-read-permissions"},
		func(ctx context.Context, o *Options, a *fix.AWS, _ *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanUserPolicy(ctx, a, o.UserPolicy)
		}},
	{checks.FixDHMC, TargetOptional, []string{"instance-profile"},
		func(ctx context.Context, _ *Options, a *fix.AWS, _ *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanDHMC(ctx, a)
		}},
	{checks.FixHybridTier, TargetOptional, []string{"instance-hybrid-tier"},
		func(ctx context.Context, _ *Options, a *fix.AWS, _ *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanHybridTier(ctx, a)
		}},
	{checks.FixVPCEndpoints, TargetRequired, []string{"instance-network"},
		func(ctx context.Context, _ *Options, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanVPCEndpoints(ctx, a, t.InstanceID)
		}},
	{checks.FixStart, TargetRequired, []string{"instance-exists", "instance-registered"},
		func(ctx context.Context, _ *Options, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanStart(ctx, a, t.InstanceID)
		}},
	{checks.FixCloseSSHPort, TargetRequired, []string{"exposure-ssh-port"},
		func(ctx context.Context, _ *Options, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error) {
			return fix.PlanCloseSSHPort(ctx, a, t.InstanceID)
		}},
}

// SelectorFor returns the row of id; ok is false for an id no row has.
func SelectorFor(id checks.FixID) (Selector, bool) {
	for _, s := range Selectors {
		if s.ID == id {
			return s, true
		}
	}
	return Selector{}, false
}
