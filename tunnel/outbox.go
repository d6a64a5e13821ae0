package tunnel

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// outbox numbers outgoing stream messages and keeps each until it is
// acknowledged. Its window (a span of sequence numbers and a byte budget)
// is the flow control the real plugin lacks: a sender blocks instead of
// buffering without bound.
type outbox struct {
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	nextSeq  int64
	list     []*pending // by sequence; acked entries linger until the front passes them
	bySeq    map[int64]*pending
	bytes    int
	maxMsgs  int
	maxBytes int
	paused   bool
	rtt      rttEstimator
}

type pending struct {
	seq         int64
	frame       []byte
	size        int
	first, last time.Time
	acked       bool
}

func newOutbox(maxMsgs, maxBytes int) *outbox {
	return &outbox{
		changed:  make(chan struct{}),
		bySeq:    make(map[int64]*pending),
		maxMsgs:  maxMsgs,
		maxBytes: maxBytes,
		rtt:      newRTTEstimator(),
	}
}

func (o *outbox) signalLocked() {
	close(o.changed)
	o.changed = make(chan struct{})
}

// wait blocks until ok() holds (checked under the lock) or ctx ends.
func (o *outbox) wait(ctx context.Context, ok func() bool) error {
	for {
		o.mu.Lock()
		if ok() {
			o.mu.Unlock()
			return nil
		}
		ch := o.changed
		o.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (o *outbox) hasRoomLocked() bool {
	return !o.paused && len(o.list) < o.maxMsgs && o.bytes < o.maxBytes
}

// add assigns the next sequence number, encodes the message and keeps it.
// With flow set it first waits for room in the window and for the
// service not to have paused us; handshake replies skip the wait because
// the agent gives them only 15 s.
func (o *outbox) add(ctx context.Context, flow bool, pt PayloadType, payload []byte) ([]byte, error) {
	if flow {
		if err := o.wait(ctx, o.hasRoomLocked); err != nil {
			return nil, err
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	m := NewMessage(TypeInputStreamData, o.nextSeq, FlagsNone, pt, payload)
	frame, err := m.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode input_stream_data: %w", err)
	}
	now := time.Now()
	p := &pending{seq: o.nextSeq, frame: frame, size: len(payload), first: now, last: now}
	o.nextSeq++
	o.list = append(o.list, p)
	o.bySeq[p.seq] = p
	o.bytes += p.size
	return frame, nil
}

// ack removes the message with that sequence number (acks match by
// sequence number only, §6) and feeds the RTT estimator.
func (o *outbox) ack(seq int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	p, ok := o.bySeq[seq]
	if !ok {
		return false
	}
	delete(o.bySeq, seq)
	p.acked = true
	p.frame = nil
	o.bytes -= p.size
	o.rtt.sample(time.Since(p.first))
	for len(o.list) > 0 && o.list[0].acked {
		o.list[0] = nil
		o.list = o.list[1:]
	}
	if len(o.list) == 0 {
		o.list = nil // let the backing array go
	}
	o.signalLocked()
	return true
}

func (o *outbox) setPaused(p bool) {
	o.mu.Lock()
	o.paused = p
	o.signalLocked()
	o.mu.Unlock()
}

// due returns every unacknowledged frame older than the RTO (all of them
// when force is set, after a reconnect) and marks them sent now. It also
// reports how long the oldest one has waited for its ack.
func (o *outbox) due(force bool) (frames [][]byte, oldest time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.paused && !force {
		return nil, 0
	}
	now := time.Now()
	rto := o.rtt.rto
	for _, p := range o.list {
		if p.acked {
			continue
		}
		if age := now.Sub(p.first); age > oldest {
			oldest = age
		}
		if force || now.Sub(p.last) >= rto {
			frames = append(frames, p.frame)
			p.last = now
		}
	}
	return frames, oldest
}

func (o *outbox) unacked() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.bySeq)
}

func (o *outbox) rto() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.rtt.rto
}
