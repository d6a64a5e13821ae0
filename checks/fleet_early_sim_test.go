package checks

import (
	"context"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestSimFleetRegistrationsReadWhileListing: asked for before the listing
// (as check --all does), the registrations are read while the instance
// pages still come: when ResolveTargets returns, the simulator has already
// received DescribeInstanceInformation calls for the first pages' ids
// (without the request, only the hybrid listing's one call). The calls are
// the same in number: ceil(N/50) by id plus the listing's, and
// PrefetchFleet asks none again.
func TestSimFleetRegistrationsReadWhileListing(t *testing.T) {
	const n = 2500 // three pages of DescribeInstances
	for _, early := range []bool{false, true} {
		a, s := simEnvAttempts(t, awssim.GenerateFleet(n, awssim.DefaultFleetMix, 1), awssim.DemoAccessKey, 3)
		s.SetLatency(50 * time.Millisecond)
		s.ResetCalls()
		ctx := context.Background()
		if early {
			a.ReadRegistrationsWhileListing()
		}
		targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		during := s.Calls("ssm.DescribeInstanceInformation")
		if err := PrefetchFleet(ctx, &Env{AWS: a}, targets); err != nil {
			t.Fatal(err)
		}
		total := s.Calls("ssm.DescribeInstanceInformation")
		t.Logf("early=%v: %d DescribeInstanceInformation calls while listing, %d in all", early, during, total)
		if want := n/50 + 1; total != want {
			t.Errorf("early=%v: %d DescribeInstanceInformation calls, want %d (ceil(N/50) by id and the hybrid listing)", early, total, want)
		}
		switch {
		case !early && during != 1:
			t.Errorf("without the request: %d calls during the listing, want the hybrid listing's 1", during)
		case early && during < 1+parallelChunksForTest:
			t.Errorf("with the request: %d calls during the listing, want at least %d (a first round of chunks while later pages came)", during, 1+parallelChunksForTest)
		}
	}
}

// parallelChunksForTest is awsfacts' calls-at-once limit per chain (8).
const parallelChunksForTest = 8
