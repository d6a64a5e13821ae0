package checks

import (
	"context"
	"time"
)

// Clock skew thresholds: AWS refuses signed requests more than 5 minutes
// off, so the agent stops working there; a minute is already drift that
// time synchronisation should have caught.
const (
	clockSkewFail = 5 * time.Minute
	clockSkewWarn = time.Minute
)

func instanceClockCheck() Check {
	return New("instance-clock", "the instance's clock is close to AWS's (--on-instance)", LayerInstance,
		onInstanceDeps, onInstanceTimeout, runInstanceClock)
}

func runInstanceClock(ctx context.Context, env *Env) Result {
	rep, run, r, ok := onInstance(ctx, env)
	if !ok {
		return r
	}
	if rep.Epoch == 0 {
		return Undetermined("Run Command", "the script reported no time")
	}
	start, end := run.Start, run.End
	if start.IsZero() || end.IsZero() {
		return Undetermined("ssm:GetCommandInvocation", "Run Command reported no execution times to compare with")
	}
	// The script read the clock somewhere between start and end (service
	// time, second resolution).
	inst := time.Unix(rep.Epoch, 0)
	var skew time.Duration
	switch {
	case inst.Before(start.Add(-time.Second)):
		skew = inst.Sub(start.Add(-time.Second))
	case inst.After(end.Add(time.Second)):
		skew = inst.Sub(end.Add(time.Second))
	}
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	switch {
	case abs >= clockSkewFail:
		return Fail("the instance's clock is %s %s AWS's: signed requests more than 5 minutes off are refused", abs.Round(time.Second), dir).
			WithFix("sudo chronyc makestep   # or: sudo timedatectl set-ntp true", "")
	case abs >= clockSkewWarn:
		return Warn("the instance's clock is %s %s AWS's", abs.Round(time.Second), dir).
			WithFix("sudo chronyc makestep   # or: sudo timedatectl set-ntp true", "")
	}
	return Pass("the instance's clock agrees with AWS's (within the command's run)")
}
