package checks

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// PrefetchFleet fills env's AWS view in bulk before the checks run on each
// target (see awsfacts.PrefetchFleet for the calls it makes). It asks the
// checks' own questions, those of instance-role-permissions and
// caller-start-session, so that their answers come from the cache.
func PrefetchFleet(ctx context.Context, env *Env, targets []*Target) error {
	return awsfacts.PrefetchFleet(ctx, env.AWS, targets, fleetQuestions())
}

// PrefetchWhileListing is for a fleet check (--all, --filter) that will
// call PrefetchFleet after ResolveTargets: the listing starts the same
// questions as its pages arrive (see awsfacts.PrefetchWhileListing).
func PrefetchWhileListing(a *awsfacts.AWSEnv) {
	if a != nil {
		a.PrefetchWhileListing(fleetQuestions())
	}
}

func fleetQuestions() awsfacts.FleetQuestions {
	return awsfacts.FleetQuestions{Role: coreReqs(), StartSession: startInstanceReq}
}

// FleetGC has the garbage collector run less often during a fleet check
// and returns the function that restores the setting. At 10,000 instances
// the doctor allocates about a gigabyte in seconds (mostly the SDK's XML
// decoding) while keeping well under a tenth of it, so at the default
// GOGC of 100 the collector took about a fifth of the doctor's CPU. Here
// it runs when the heap has grown fleetGCPercent percent past what the
// last collection kept: at 10,000 instances the peak resident memory
// goes from about 170 to about 400 MiB (docs/benchmarks.md). Once the live
// heap passes fleetGCLiveMax the default returns, so the extra memory
// stays bounded on larger fleets. A GOGC the user set wins: then nothing
// changes. Calls must not overlap: one fleet check per process.
func FleetGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(fleetGCPercent)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(fleetGCWatch)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > fleetGCLiveMax {
				debug.SetGCPercent(old)
				return
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		debug.SetGCPercent(old)
	}
}

const (
	fleetGCPercent = 400
	fleetGCWatch   = 100 * time.Millisecond
)

// fleetGCLiveMax is the live heap past which FleetGC gives the default
// back (a variable for tests).
var fleetGCLiveMax uint64 = 256 << 20
