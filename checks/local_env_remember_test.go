package checks

import (
	"context"
	"errors"
	"testing"
)

// A local probe cut short by its check's context is asked again by the
// next caller; a real answer (even an error) is kept.
func TestLocalRememberForgetsCancelledAnswers(t *testing.T) {
	l := &LocalEnv{}
	calls := 0
	probe := func() (any, error) { calls++; return calls, nil }
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.remember(cancelled, "k", func() (any, error) { calls++; return nil, context.Canceled }); !errors.Is(err, context.Canceled) {
		t.Fatalf("first call: %v", err)
	}
	v, err := l.remember(context.Background(), "k", probe)
	if err != nil || v != 2 {
		t.Fatalf("after a cancelled answer: v=%v err=%v, want a fresh probe", v, err)
	}
	boom := errors.New("ssh refused the config")
	l.remember(context.Background(), "e", func() (any, error) { calls++; return nil, boom })
	if _, err := l.remember(context.Background(), "e", probe); !errors.Is(err, boom) || calls != 3 {
		t.Fatalf("a real error should be kept: err=%v calls=%d", err, calls)
	}
}
