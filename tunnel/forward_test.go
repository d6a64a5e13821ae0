package tunnel

import (
	"context"
	"errors"
	"testing"
)

// TestForwardEnded: how the end of a forwarding session's Run becomes
// Forward's result.
func TestForwardEnded(t *testing.T) {
	s := &Session{id: "s-1"}
	live, stopped := context.Background(), canceledCtx()
	boom := errors.New("boom")
	for _, tc := range []struct {
		mode ForwardMode
		ctx  context.Context
		run  error
		want error
	}{
		{ForwardMux, live, nil, ErrSessionEnded},
		{ForwardBasic, live, nil, ErrSessionEnded},
		{ForwardSingle, live, nil, nil},
		{ForwardMux, live, boom, boom},
		{ForwardMux, stopped, boom, nil},
		{ForwardMux, stopped, nil, nil},
	} {
		fw := &forwarder{s: s, mode: tc.mode}
		got := fw.ended(tc.ctx, tc.run)
		if tc.want == nil && got != nil || tc.want != nil && !errors.Is(got, tc.want) {
			t.Errorf("%v, ctx err %v, run %v: got %v, want %v", tc.mode, tc.ctx.Err(), tc.run, got, tc.want)
		}
	}
	if got := (&forwarder{s: s, mode: ForwardMux}).ended(live, nil).Error(); got != "session s-1: "+ErrSessionEnded.Error() {
		t.Errorf("message %q", got)
	}
}

func canceledCtx() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestModeFor(t *testing.T) {
	for _, tc := range []struct {
		typ, agent string
		want       ForwardMode
	}{
		{LocalPortForwarding, "3.0.196.1", ForwardMux},
		{LocalPortForwarding, "3.0.196.0", ForwardBasic},
		{LocalPortForwarding, "", ForwardBasic},
		{"", "3.3.1142.0", ForwardSingle},
		{"SomethingElse", "3.3.1142.0", ForwardSingle},
	} {
		if got := ModeFor(PortProperties{Type: tc.typ}, tc.agent); got != tc.want {
			t.Errorf("ModeFor(%q, %q) = %v, want %v", tc.typ, tc.agent, got, tc.want)
		}
	}
}
