package checks

import (
	"context"
	"strconv"
	"time"
)

func sessionTimeoutsCheck() Check {
	return New("session-timeouts", "sessions end when idle and after a maximum duration", LayerSession,
		nil, 60*time.Second, runSessionTimeouts)
}

// defaultIdleMinutes is Session Manager's idle timeout when none is set.
const defaultIdleMinutes = 20

// runSessionTimeouts reads idleSessionTimeout and maxSessionDuration from
// the session preferences (docs/check-catalogue.md#session-timeouts),
// split out of session-preferences.
func runSessionTimeouts(ctx context.Context, env *Env) Result {
	if r, ok := awsReady(env); !ok {
		return r
	}
	p, err := env.AWS.SessionPreferences(ctx)
	if err != nil {
		return undetermined(err)
	}
	idle := defaultIdleMinutes
	if n, err := strconv.Atoi(p.IdleSessionTimeout); err == nil && n > 0 {
		idle = n
	}
	keepalive := "SSH keepalives (ServerAliveInterval) are session data: they keep an SSH session from ever being idle"
	if p.MaxSessionDuration == "" {
		return Warn("no maximum session duration: a session that is never idle (an SSH tunnel with keepalives) lasts until it is closed").
			WithDetails("idle timeout: "+strconv.Itoa(idle)+" min", keepalive,
				`set maxSessionDuration (minutes, 1-1440) in the session preferences' "inputs"`).
			WithFix(prefsFix, NoFix)
	}
	return Pass("idle timeout %d min, maximum session duration %s min", idle, p.MaxSessionDuration).WithDetails(keepalive)
}
