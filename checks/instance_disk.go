package checks

import (
	"context"
	"fmt"
	"strings"
)

// A filesystem with less than diskFailKiB free (or 100 % used) stops the
// agent and sshd from writing their state and logs; diskWarnPct used is
// the warning.
const (
	diskFailKiB = 50 * 1024
	diskWarnPct = 90
)

func instanceDiskCheck() Check {
	return New("instance-disk", "/ and /var have room (--on-instance)", LayerInstance,
		onInstanceDeps, onInstanceTimeout, runInstanceDisk)
}

func runInstanceDisk(ctx context.Context, env *Env) Result {
	rep, _, r, ok := onInstance(ctx, env)
	if !ok {
		return r
	}
	if len(rep.Disks) == 0 {
		return Undetermined("Run Command", "the script reported no filesystem (df failed)")
	}
	var full, high, all []string
	for _, d := range rep.Disks {
		line := fmt.Sprintf("%s %d%% used, %d MiB free", d.Mount, d.UsePct, d.AvailKiB/1024)
		all = append(all, line)
		switch {
		case d.UsePct >= 100 || d.AvailKiB < diskFailKiB:
			full = append(full, line)
		case d.UsePct >= diskWarnPct:
			high = append(high, line)
		}
	}
	switch {
	case len(full) > 0:
		return Fail("full: %s (the agent and sshd cannot write their state and logs)", strings.Join(full, "; "))
	case len(high) > 0:
		return Warn("nearly full: %s", strings.Join(high, "; "))
	}
	return Pass("%s", strings.Join(all, "; "))
}
