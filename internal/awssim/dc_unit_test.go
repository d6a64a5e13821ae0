package awssim

import (
	"testing"
	"time"
)

// The vector of docs/session-protocol.md#rtt-and-rto-estimation: from
// the start values, one 140 ms sample gives RTT 105 ms, RTTVAR 10 ms and
// RTO 145 ms.
func TestDCRTTVector(t *testing.T) {
	r := newDCRTT(200 * time.Millisecond)
	if r.rto != 200*time.Millisecond {
		t.Fatalf("initial RTO %v", r.rto)
	}
	r.sample(140 * time.Millisecond)
	if r.rtt != 105*time.Millisecond || r.rttvar != 10*time.Millisecond || r.rto != 145*time.Millisecond {
		t.Fatalf("after 140ms: rtt %v rttvar %v rto %v; want 105ms 10ms 145ms", r.rtt, r.rttvar, r.rto)
	}
	for i := 0; i < 50; i++ {
		r.sample(5 * time.Second)
	}
	if r.rto != time.Second {
		t.Fatalf("RTO %v, want the 1 s cap", r.rto)
	}
	for i := 0; i < 200; i++ {
		r.sample(0)
	}
	if r.rto != 10*time.Millisecond {
		t.Fatalf("RTO %v after zero samples, want the 10 ms floor", r.rto)
	}
}

func TestDCBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{0, 100 * time.Millisecond}, {1, 200 * time.Millisecond}, {3, 800 * time.Millisecond}, {7, 6400 * time.Millisecond}, {40, 6400 * time.Millisecond}} {
		if got := backoff(100*time.Millisecond, tc.attempts); got != tc.want {
			t.Errorf("backoff(100ms, %d) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
	if got := backoff(time.Second, 6); got != 8*time.Second {
		t.Errorf("backoff(1s, 6) = %v, want the 8 s cap", got)
	}
}

func TestDCSealOpen(t *testing.T) {
	k := make([]byte, 32)
	a, err := dcAEAD(k)
	if err != nil {
		t.Fatal(err)
	}
	sealed := dcSeal(a, []byte("payload"))
	if len(sealed) != 12+7+16 {
		t.Fatalf("sealed length %d, want nonce 12 + 7 + tag 16", len(sealed))
	}
	got, err := dcOpen(a, sealed)
	if err != nil || string(got) != "payload" {
		t.Fatalf("open = %q, %v", got, err)
	}
	sealed[20] ^= 1
	if _, err := dcOpen(a, sealed); err == nil {
		t.Fatal("tampered payload opened")
	}
	if _, err := dcOpen(a, sealed[:10]); err == nil {
		t.Fatal("short payload opened")
	}
}
