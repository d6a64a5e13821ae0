package awssim

import (
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// dcTCPQueue bounds the client data (bytes) waiting to be written to the
// target. Beyond it, in-order data is refused without an ack (the client
// resends), so a slow target slows the client instead of growing memory,
// and the websocket reader never blocks on TCP (which could deadlock
// against a target that echoes while our own output window is full).
const dcTCPQueue = 4 << 20

// dcTCP is the agent's connection to the target port. A DisconnectToPort
// flag closes it; the next data dials a new one.
type dcTCP struct {
	ch   *dcChannel
	addr string

	mu     sync.Mutex
	conn   net.Conn // nil until dialed
	queue  []byte   // appended to; the writer swaps it out whole
	ending bool     // close once queue is written (DisconnectToPort)
	notify chan struct{}
	closed atomic.Bool // closed on purpose: not the target's EOF
	quiet  atomic.Bool // data queued without waking the writer (kick does)
}

// startTCP runs the target side over c, or dials addr first when c is nil
// (a redial after DisconnectToPort). ch.mu held.
func (ch *dcChannel) startTCP(c net.Conn, addr string) *dcTCP {
	t := &dcTCP{ch: ch, addr: addr, conn: c, notify: make(chan struct{}, 1)}
	go t.run()
	return t
}

func (t *dcTCP) run() {
	if t.conn == nil {
		c, err := net.DialTimeout("tcp", t.addr, 10*time.Second)
		if err != nil {
			t.ch.s.logf("data channel %s: redial target %s: %v", t.ch.id, t.addr, err)
			t.close(true)
			return
		}
		t.mu.Lock()
		t.conn = c
		t.mu.Unlock()
		if t.closed.Load() {
			c.Close()
			return
		}
	}
	go t.ch.pump(t)
	t.writeLoop()
}

// enqueue copies client data for the writer; false when the queue is
// full and force is not set. It leaves waking the writer to kick, which
// the websocket reader calls once it has handled what it read. ch.mu
// held.
func (t *dcTCP) enqueue(p []byte, force bool) bool {
	t.mu.Lock()
	if !force && len(t.queue) >= dcTCPQueue {
		t.mu.Unlock()
		wake(t.notify)
		return false
	}
	t.queue = append(t.queue, p...)
	t.mu.Unlock()
	t.quiet.Store(true)
	return true
}

// kick wakes the writer if data was queued since the last kick.
func (t *dcTCP) kick() {
	if t.quiet.Swap(false) {
		wake(t.notify)
	}
}

// writeLoop writes everything queued in one write(2).
func (t *dcTCP) writeLoop() {
	var spare []byte
	for {
		t.mu.Lock()
		buf, ending, c := t.queue, t.ending, t.conn
		t.queue = spare[:0]
		t.mu.Unlock()
		if len(buf) > 0 {
			if _, err := c.Write(buf); err != nil {
				// The pump sees the same failure as EOF and ends the session.
				c.Close()
				return
			}
			spare = buf
			continue
		}
		spare = buf
		if ending {
			c.Close()
			return
		}
		if t.closed.Load() {
			return
		}
		select {
		case <-t.notify:
		case <-t.ch.ctx.Done():
			return
		}
	}
}

// disconnect closes the connection after the data already queued, as
// the agent, which writes inline, would have written it before it handles
// the DisconnectToPort flag that follows (data after the flag goes to a
// new connection). ch.mu held.
func (t *dcTCP) disconnect() {
	t.closed.Store(true)
	t.mu.Lock()
	t.ending = true
	t.mu.Unlock()
	wake(t.notify)
}

// close drops the connection; onPurpose marks it as not the target's EOF.
func (t *dcTCP) close(onPurpose bool) {
	if onPurpose {
		t.closed.Store(true)
	}
	t.mu.Lock()
	c := t.conn
	t.queue = nil
	t.mu.Unlock()
	if c != nil {
		c.Close()
	}
	wake(t.notify)
}

// writeTCP passes in-order client data to the target, redialing after a
// DisconnectToPort. ch.mu held.
func (ch *dcChannel) writeTCP(p []byte, force bool) bool {
	if len(p) == 0 {
		return true // nothing to write
	}
	if ch.tcp == nil {
		addr, err := ch.s.sessionTargetAddr(ch.sess)
		if err != nil {
			ch.s.logf("data channel %s: redial: %v", ch.id, err)
			return true
		}
		ch.tcp = ch.startTCP(nil, addr)
	}
	return ch.tcp.enqueue(p, force)
}

// pump is the agent's reader of the target: chunks become Output messages
// with the next sequence number, paced like the agent when configured.
// Unpaced, one read takes up to 64 KiB, cut into ChunkSize messages as the
// agent's 1 KiB reads would; paced, it reads one chunk at a time like the
// agent.
func (ch *dcChannel) pump(t *dcTCP) {
	size := ch.opts.ChunkSize
	var pace *time.Timer
	if ch.opts.PerMessageDelay > 0 {
		pace = time.NewTimer(0)
		<-pace.C
		defer pace.Stop()
	} else {
		size = max(size, 64<<10)
	}
	buf := make([]byte, size)
	perBatch := math.MaxInt
	if pace != nil {
		perBatch = 1
	}
	for {
		if !ch.waitRoom() {
			return
		}
		n, err := t.conn.Read(buf)
		for off := 0; off < n; {
			// Again before every send, the first included: publication
			// may have been paused while the read waited.
			if !ch.waitRoom() {
				return
			}
			k, ok := ch.sendOutputs(buf[off:n], perBatch)
			if !ok {
				return
			}
			off += k
			if pace != nil {
				pace.Reset(ch.opts.PerMessageDelay)
				select {
				case <-pace.C:
				case <-ch.ctx.Done():
					return
				}
			}
		}
		if err != nil {
			if t.closed.Load() || ch.ctx.Err() != nil {
				return
			}
			if ch.portReconnects(t) {
				return
			}
			// The target closed: like the agent, end the session once the
			// client has acked all output.
			if ch.waitDrained() {
				ch.finish("")
			}
			return
		}
	}
}

// sendOutputs cuts p into Output messages of at most ChunkSize bytes and
// sends up to max of them, as many as the window takes (at least one: the
// caller waited for room), under one lock and with one wake-up of the
// socket's writer. It returns the bytes sent; false when the channel has
// ended.
func (ch *dcChannel) sendOutputs(p []byte, max int) (int, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.ended {
		return 0, false
	}
	ch.batching = true
	off := 0
	for n := 0; off < len(p) && n < max; n++ {
		if n > 0 && (ch.paused || ch.out.open >= ch.opts.MaxUnacked) {
			break
		}
		k := min(len(p)-off, ch.opts.ChunkSize)
		// The frame is a copy; encryption makes another.
		q := p[off : off+k]
		if ch.enc != nil {
			q = dcSeal(ch.enc, q)
		}
		ch.sendStream(tunnel.PayloadOutput, q)
		off += k
	}
	ch.batching = false
	if ch.conn != nil {
		ch.conn.kick()
	}
	return off, true
}

// wake sends a notification on a 1-slot channel unless one is pending.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
