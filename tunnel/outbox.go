package tunnel

import (
	"context"
	"sync"
	"time"
)

// outbox numbers outgoing stream messages and keeps each until it is
// acknowledged. Its window (a span of sequence numbers and a byte budget)
// is the flow control the real plugin lacks: a sender blocks instead of
// buffering without bound.
type outbox struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on a state change someone waits for
	waiting int
	nextSeq int64
	// list holds consecutive sequence numbers from the oldest
	// unacknowledged one, so an ack finds its entry by subtraction;
	// acked entries linger until the front passes them.
	list     []pending
	open     int // unacknowledged entries
	bytes    int
	maxMsgs  int
	maxBytes int
	paused   bool
	rtt      rttEstimator
	// beforeWait, when set, runs (without the lock) each time add is
	// about to wait for room.
	beforeWait func()
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
		maxMsgs:  maxMsgs,
		maxBytes: maxBytes,
		rtt:      newRTTEstimator(),
	}
}

// signalLocked wakes the waiters; with none (the common case while
// acks stream in) it costs nothing.
func (o *outbox) signalLocked() {
	if o.waiting == 0 {
		return
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

// wait blocks until ok() holds (checked under the lock) or ctx ends;
// before blocking it calls before, if set.
func (o *outbox) wait(ctx context.Context, ok func() bool, before func()) error {
	for {
		o.mu.Lock()
		if ok() {
			o.mu.Unlock()
			return nil
		}
		o.waiting++
		ch := o.changed
		o.mu.Unlock()
		if before != nil {
			before()
		}
		var err error
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		}
		o.mu.Lock()
		o.waiting--
		o.mu.Unlock()
		if err != nil {
			return err
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
		if err := o.wait(ctx, o.hasRoomLocked, o.beforeWait); err != nil {
			return nil, err
		}
	}
	// Encoded outside the lock: the digest is the costly part, and the
	// ack path needs the lock meanwhile. The sequence number is taken
	// first so frames stay in order.
	o.mu.Lock()
	seq := o.nextSeq
	o.nextSeq++
	now := time.Now()
	o.list = append(o.list, pending{seq: seq, size: len(payload), first: now, last: now})
	o.open++
	o.bytes += len(payload)
	o.mu.Unlock()
	frame := AppendFrame(make([]byte, 0, HeaderSize+len(payload)), TypeInputStreamData, seq, FlagsNone, pt, payload)
	o.mu.Lock()
	if p := o.find(seq); p != nil && !p.acked {
		p.frame = frame
	}
	o.mu.Unlock()
	return frame, nil
}

// find returns the entry of seq, or nil when it left the list. o.mu held.
func (o *outbox) find(seq int64) *pending {
	if len(o.list) == 0 {
		return nil
	}
	i := seq - o.list[0].seq
	if i < 0 || i >= int64(len(o.list)) {
		return nil
	}
	return &o.list[i]
}

// ack removes the message with that sequence number (acks match by
// sequence number only, docs/session-protocol.md#json-payloads) and feeds
// the RTT estimator.
func (o *outbox) ack(seq int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.find(seq)
	if p == nil || p.acked {
		return false
	}
	p.acked = true
	p.frame = nil
	o.open--
	o.bytes -= p.size
	o.rtt.sample(time.Since(p.first))
	n := 0
	for n < len(o.list) && o.list[n].acked {
		n++
	}
	if n > 0 {
		clear(o.list[:n])
		o.list = o.list[n:]
		if len(o.list) == 0 {
			o.list = nil // let the backing array go
		}
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
	for i := range o.list {
		p := &o.list[i]
		if p.acked || p.frame == nil {
			continue // acked, or still being encoded by add
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
	return o.open
}

func (o *outbox) rto() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.rtt.rto
}
