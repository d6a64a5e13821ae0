package awssim

import (
	"fmt"
	"time"
)

// DCOptions tune the agent side of the data channel. The zero value of a
// field picks its default; PerMessageDelay is the exception (see below).
type DCOptions struct {
	// ChunkSize is the largest TCP read sent as one Output message. The
	// agent reads 1024 bytes at a time (StreamDataPayloadSize).
	ChunkSize int
	// PerMessageDelay is the pause after each Output message: 1 ms copies
	// the agent's pacing, 0 sends as fast as the client acks. Until
	// SetDataChannelOptions is called the agent-like 1 ms applies.
	PerMessageDelay time.Duration
	// MaxUnacked bounds the outgoing list: the TCP side stops reading while
	// this many messages wait for an ack (default 1024). The real agent
	// keeps up to 100000; a window keeps the simulator's memory bounded,
	// and a smaller one keeps the queueing delay (hence the RTO) low: on
	// loopback, 4096 measured an RTT of 250 ms and five times the
	// spurious resends of 1024, for no gain in throughput.
	MaxUnacked int
	// ResendInterval is the resend timer's tick (default 50 ms; see
	// docs/session-protocol.md#sending-and-retransmission).
	ResendInterval time.Duration
	// InitialRTO is the retransmission timeout before any RTT sample
	// (default 200 ms, as both real peers start).
	InitialRTO time.Duration
	// HandshakeTimeout is how long the agent waits for each handshake reply
	// (default 15 s, as the agent).
	HandshakeTimeout time.Duration
	// GracePeriod is how long a session outlives a dropped websocket,
	// waiting for ResumeSession and a reconnect (default 10 s).
	GracePeriod time.Duration
	// DrainTimeout bounds the wait for the client's acks of the last output
	// after the target closed TCP (default 30 s).
	DrainTimeout time.Duration
	// MaxInboundBuffer bounds the client messages held out of order
	// (default 10000, the real receivers' capacity).
	MaxInboundBuffer int
	// AgentVersion, when set, is reported in the HandshakeRequest instead
	// of the instance's own (its scenario's Agent.AgentVersion).
	AgentVersion string
	// EncryptPortSessions has Port sessions (SSH, port forwarding)
	// encrypted with the preferences' KMS key as shells are. The agent
	// does not do that; tests set it to exercise the client's encryption
	// on port traffic, which an agent that did would ask for.
	EncryptPortSessions bool
}

func defaultDCOptions() DCOptions {
	return DCOptions{PerMessageDelay: time.Millisecond}.withDefaults()
}

func (o DCOptions) withDefaults() DCOptions {
	if o.ChunkSize <= 0 {
		o.ChunkSize = 1024
	}
	if o.MaxUnacked <= 0 {
		o.MaxUnacked = 1024
	}
	if o.ResendInterval <= 0 {
		o.ResendInterval = 50 * time.Millisecond
	}
	if o.InitialRTO <= 0 {
		o.InitialRTO = 200 * time.Millisecond
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 15 * time.Second
	}
	if o.GracePeriod <= 0 {
		o.GracePeriod = 10 * time.Second
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	if o.MaxInboundBuffer <= 0 {
		o.MaxInboundBuffer = 10000
	}
	return o
}

// DCFaults make the data channel misbehave on purpose. They are copied into
// each session when its data channel first opens, so a test sets them
// before StartSession's websocket connects. Counts are of outbound stream
// messages (HandshakeRequest included); 0 disables a fault.
type DCFaults struct {
	// DropAfterMessages closes the websocket abruptly (no close frame) once,
	// right after the Nth stream message: the client must ResumeSession and
	// reconnect, and gets the unacked output again.
	DropAfterMessages int
	// DuplicateEvery sends every Nth stream message twice.
	DuplicateEvery int
	// ReorderEvery holds back every Nth stream message and sends it after
	// the next one.
	ReorderEvery int
	// DelayMessages delays each outbound stream message by a random
	// duration in [0, DelayMessages).
	DelayMessages time.Duration
	// DelayAcks sends each ack this much later.
	DelayAcks time.Duration
	// CorruptDigestEvery sends every Nth stream message first with a wrong
	// payload digest; the client must drop it, and the resend timer sends
	// it again intact.
	CorruptDigestEvery int
	// PauseAfter sends pause_publication after the Nth stream message,
	// sends no stream data for PauseFor (default 300 ms), then sends
	// start_publication.
	PauseAfter int
	PauseFor   time.Duration
	// RefuseHandshake makes the agent fail the session after the client's
	// HandshakeResponse: HandshakeComplete is never sent; the service
	// closes the channel with an Output naming the failure.
	RefuseHandshake bool
	// ChannelClosedAfter sends channel_closed with ChannelClosedOutput
	// after the Nth stream message and ends the session.
	ChannelClosedAfter  int
	ChannelClosedOutput string
}

// SetDataChannelOptions replaces the agent's tuning for sessions whose
// data channel opens afterwards.
func (s *Sim) SetDataChannelOptions(o DCOptions) {
	s.ext.dc.mu.Lock()
	s.ext.dc.opts = o.withDefaults()
	s.ext.dc.optsSet = true
	s.ext.dc.mu.Unlock()
}

// DataChannelOptions returns the agent's tuning for sessions whose data
// channel opens now (the defaults until SetDataChannelOptions).
func (s *Sim) DataChannelOptions() DCOptions {
	o, _ := s.dcSnapshot()
	return o
}

// SetDataChannelFaults replaces the fault hooks for sessions whose data
// channel opens afterwards.
func (s *Sim) SetDataChannelFaults(f DCFaults) {
	if f.PauseAfter > 0 && f.PauseFor <= 0 {
		f.PauseFor = 300 * time.Millisecond
	}
	if f.ChannelClosedAfter > 0 && f.ChannelClosedOutput == "" {
		f.ChannelClosedOutput = "Session terminated by the service (simulated fault)"
	}
	s.ext.dc.mu.Lock()
	s.ext.dc.faults = f
	s.ext.dc.mu.Unlock()
}

// DataChannelWarnings returns the conformance warnings raised by client
// frames so far (docs/session-protocol.md#conformance-warnings); a
// conformant client leaves it empty.
func (s *Sim) DataChannelWarnings() []string {
	s.ext.dc.mu.Lock()
	defer s.ext.dc.mu.Unlock()
	return append([]string(nil), s.ext.dc.warnings...)
}

// dcWarn records a conformance warning about a client frame.
func (s *Sim) dcWarn(sessionID, format string, args ...any) {
	msg := fmt.Sprintf("data channel %s: ", sessionID) + fmt.Sprintf(format, args...)
	s.ext.dc.mu.Lock()
	// Bounded: a broken client must not grow the simulator without limit.
	if len(s.ext.dc.warnings) < 1000 {
		s.ext.dc.warnings = append(s.ext.dc.warnings, msg)
	}
	s.ext.dc.mu.Unlock()
	s.logf("conformance warning: %s", msg)
}

func (s *Sim) dcSnapshot() (DCOptions, DCFaults) {
	s.ext.dc.mu.Lock()
	defer s.ext.dc.mu.Unlock()
	o := s.ext.dc.opts
	if !s.ext.dc.optsSet {
		o = defaultDCOptions()
	}
	return o, s.ext.dc.faults
}
