package awssim

import (
	"time"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// sendStream numbers a new output_stream_data message, keeps it until it
// is acked and transmits it (through the fault hooks). ch.mu held.
func (ch *dcChannel) sendStream(pt tunnel.PayloadType, payload []byte) {
	seq := ch.outSeq
	ch.outSeq++
	flags := tunnel.FlagsNone
	if seq == 0 {
		flags = tunnel.FlagsSYN // the agent marks the first message of its stream
	}
	frame := tunnel.AppendFrame(make([]byte, 0, tunnel.HeaderSize+len(payload)), tunnel.TypeOutputStreamData, seq, flags, pt, payload)
	now := time.Now()
	o := &dcOut{seq: seq, frame: frame, firstSent: now}
	o.lastSent.Store(now.UnixNano())
	ch.out.push(o)
	ch.transmit(o)
	if !ch.batching && ch.conn != nil {
		ch.conn.kick()
	}
}

// dcOutList keeps the unacked stream messages. They have consecutive
// sequence numbers from the oldest, so an ack finds its entry by
// subtraction, as in the tunnel's outbox, with no index to keep beside
// the list; an acked entry stays nil until the front passes it.
type dcOutList struct {
	list []*dcOut
	open int // non-nil entries
}

// push appends the message with the next sequence number.
func (l *dcOutList) push(o *dcOut) {
	l.list = append(l.list, o)
	l.open++
}

// remove takes out the message with that sequence number; nil when it is
// not in the list.
func (l *dcOutList) remove(seq int64) *dcOut {
	if len(l.list) == 0 {
		return nil
	}
	i := seq - l.list[0].seq // the front is never nil
	if i < 0 || i >= int64(len(l.list)) || l.list[i] == nil {
		return nil
	}
	o := l.list[i]
	l.list[i] = nil
	l.open--
	n := 0
	for n < len(l.list) && l.list[n] == nil {
		n++
	}
	l.list = l.list[n:]
	if len(l.list) == 0 {
		l.list = nil // let the backing array go
	}
	return o
}

// transmit sends a new stream message, applying the fault hooks. The
// message is already in the outgoing list, so whatever a fault loses comes
// back through the resend timer or a reconnect. ch.mu held.
func (ch *dcChannel) transmit(o *dcOut) {
	ch.sent++
	n := ch.sent
	f := ch.faults
	conn := ch.conn
	if conn != nil {
		switch {
		// Queued quietly: sendStream, or the batch it is part of, wakes
		// the writer.
		case every(n, f.CorruptDigestEvery):
			bad := append([]byte(nil), o.frame...)
			bad[80] ^= 0xff // first byte of PayloadDigest (docs/session-protocol.md#frame-layout)
			conn.put(dcItem{frame: bad, stream: true}, true)
		case every(n, f.ReorderEvery) && ch.held == nil:
			ch.held = o
		default:
			conn.putOut(o, true)
			if every(n, f.DuplicateEvery) {
				conn.put(dcItem{frame: o.frame, stream: true}, true)
			}
		}
		if ch.held != nil && ch.held != o {
			conn.putOut(ch.held, true)
			ch.held = nil
		}
	}
	if n == f.DropAfterMessages && !ch.dropped && conn != nil {
		ch.dropped = true
		ch.s.logf("data channel %s: fault: dropping the websocket after %d messages", ch.id, n)
		go conn.ws.CloseNow()
	}
	if n == f.PauseAfter {
		ch.setPaused(true)
		time.AfterFunc(f.PauseFor, func() {
			ch.mu.Lock()
			ch.setPaused(false)
			ch.mu.Unlock()
		})
	}
	if n == f.ChannelClosedAfter {
		go ch.finish(f.ChannelClosedOutput)
	}
}

func every(n, k int) bool { return k > 0 && n%k == 0 }

// flushHeld sends a message the reorder fault held back when nothing
// follows it (end of stream, window full). ch.mu held.
func (ch *dcChannel) flushHeld() {
	if ch.held != nil && ch.conn != nil {
		ch.conn.pushOut(ch.held)
	}
	ch.held = nil
}

// onAck removes the acked message (matched by sequence number, as both
// real peers do) and feeds the RTT estimate.
func (ch *dcChannel) onAck(m *tunnel.Message) {
	seq, err := tunnel.AckedSequence(m)
	if err != nil {
		ch.s.dcWarn(ch.id, "acknowledge payload: %v", err)
		return
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	o := ch.out.remove(seq)
	if o == nil {
		return // a duplicate ack, or an ack of a resend already acked
	}
	if o == ch.held {
		ch.held = nil
	}
	ch.rtt.sample(time.Since(o.firstSent))
	wake(ch.space)
}

// resendLoop is the agent's resend timer: each tick, every unacked
// message older than the RTO goes again (the agent updates the send time,
// so each goes at most once per RTO).
func (ch *dcChannel) resendLoop() {
	t := time.NewTicker(ch.opts.ResendInterval)
	defer t.Stop()
	for {
		select {
		case <-ch.ctx.Done():
			return
		case <-t.C:
			ch.resendOverdue()
		}
	}
}

// dcResendBurst caps the resends of one tick. The agent resends only its
// oldest message per tick, which makes recovery from many scattered losses
// slow; resending every overdue message turns a scheduling hiccup (acks
// late by more than an RTO of ~10 ms on a busy machine) into a resend of
// the whole window. A burst is the middle ground.
const dcResendBurst = 64

func (ch *dcChannel) resendOverdue() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	conn := ch.conn
	if conn == nil || ch.paused {
		return
	}
	rto := ch.rtt.rto
	now := time.Now()
	burst := 0
	for _, o := range ch.out.list {
		if burst == dcResendBurst {
			break
		}
		if o == nil || o.queuedOn.Load() == conn || now.Sub(time.Unix(0, o.lastSent.Load())) < backoff(rto, o.attempts) {
			continue
		}
		o.attempts++
		if o == ch.held {
			ch.held = nil
		}
		o.lastSent.Store(now.UnixNano())
		ch.resent++
		burst++
		conn.pushOut(o)
	}
}

// waitRoom blocks the TCP pump until the outgoing list has room and
// publication is not paused; false when the channel ends.
func (ch *dcChannel) waitRoom() bool {
	for {
		ch.mu.Lock()
		ok := !ch.paused && ch.out.open < ch.opts.MaxUnacked
		if !ok {
			ch.flushHeld()
		}
		ch.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch.space:
		case <-ch.ctx.Done():
			return false
		}
	}
}

// waitDrained waits (bounded) until the client acked every output
// message; false when the channel ended meanwhile.
func (ch *dcChannel) waitDrained() bool {
	t := time.NewTimer(ch.opts.DrainTimeout)
	defer t.Stop()
	for {
		ch.mu.Lock()
		ch.flushHeld()
		n := ch.out.open
		ch.mu.Unlock()
		if n == 0 {
			return true
		}
		select {
		case <-ch.space:
		case <-t.C:
			ch.s.logf("data channel %s: %d output messages still unacked after %v; closing anyway", ch.id, n, ch.opts.DrainTimeout)
			return true
		case <-ch.ctx.Done():
			return false
		}
	}
}

// backoff doubles a message's timeout with each resend (up to 8 s): a
// client that is slow rather than lossy gets each message a few times, not
// once per RTO, so a slow reader does not drown in duplicates. The agent
// gets the same effect by resending only its oldest message.
func backoff(rto time.Duration, attempts int) time.Duration {
	d := rto << min(attempts, 6)
	return min(d, 8*time.Second)
}

// dcRTT is the Jacobson-style estimator both real peers use
// (docs/session-protocol.md#rtt-and-rto-estimation).
type dcRTT struct {
	rtt, rttvar, rto time.Duration
}

func newDCRTT(initialRTO time.Duration) dcRTT {
	return dcRTT{rtt: 100 * time.Millisecond, rto: initialRTO}
}

func (r *dcRTT) sample(d time.Duration) {
	diff := r.rtt - d
	if diff < 0 {
		diff = -diff
	}
	r.rttvar = r.rttvar*3/4 + diff/4
	r.rtt = r.rtt*7/8 + d/8
	r.rto = r.rtt + max(10*time.Millisecond, 4*r.rttvar)
	if r.rto > time.Second {
		r.rto = time.Second
	}
}
