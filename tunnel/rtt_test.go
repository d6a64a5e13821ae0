package tunnel

import (
	"testing"
	"time"
)

func TestRTTVector(t *testing.T) {
	r := newRTTEstimator()
	if r.rtt != 100*time.Millisecond || r.rttvar != 0 || r.rto != 200*time.Millisecond {
		t.Fatalf("start = %+v", r)
	}
	r.sample(140 * time.Millisecond)
	if r.rtt != 105*time.Millisecond || r.rttvar != 10*time.Millisecond || r.rto != 145*time.Millisecond {
		t.Fatalf("after 140 ms: rtt %v rttvar %v rto %v, want 105ms 10ms 145ms", r.rtt, r.rttvar, r.rto)
	}
}

func TestRTTCapAndFloor(t *testing.T) {
	r := newRTTEstimator()
	for i := 0; i < 50; i++ {
		r.sample(5 * time.Second)
	}
	if r.rto != time.Second {
		t.Fatalf("rto %v not capped at 1s", r.rto)
	}
	r = newRTTEstimator()
	for i := 0; i < 200; i++ {
		r.sample(100 * time.Millisecond)
	}
	if r.rto != r.rtt+10*time.Millisecond {
		t.Fatalf("steady rto %v, want rtt %v + 10ms floor", r.rto, r.rtt)
	}
}
