package checks

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestFleetGCRaisesAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	restore := FleetGC()
	if got := gcPercent(); got != fleetGCPercent {
		t.Errorf("during a fleet check GC percent %d, want %d", got, fleetGCPercent)
	}
	restore()
	if got := gcPercent(); got != 100 {
		t.Errorf("after a fleet check GC percent %d, want 100 back", got)
	}
}

func TestFleetGCKeepsTheUsersGOGC(t *testing.T) {
	t.Setenv("GOGC", "150")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	restore := FleetGC()
	if got := gcPercent(); got != 150 {
		t.Errorf("with GOGC=150 set, GC percent %d during a fleet check, want 150", got)
	}
	restore()
	if got := gcPercent(); got != 150 {
		t.Errorf("with GOGC=150 set, GC percent %d after a fleet check, want 150", got)
	}
}

// A live heap past fleetGCLiveMax gives the default back before the check
// ends: the extra memory stays bounded on large fleets.
func TestFleetGCGivesBackPastTheLiveHeapBound(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer func(v uint64) { fleetGCLiveMax = v }(fleetGCLiveMax)
	fleetGCLiveMax = 1 // any live heap is past it
	restore := FleetGC()
	defer restore()
	runtime.GC() // the live-heap metric is what the last collection kept
	deadline := time.Now().Add(5 * time.Second)
	for gcPercent() != 100 {
		if time.Now().After(deadline) {
			t.Fatalf("GC percent still %d with the live heap past the bound", gcPercent())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
