package awssim

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// dcConn is one websocket of a channel. All writes go through its queue
// and a single writer goroutine, so that frames leave in the order the
// channel decided under its lock, and so that the channel's lock is never
// held while a slow client blocks a write.
type dcConn struct {
	ws     *websocket.Conn
	cork   *tunnel.CorkedConn // nil when the socket could not be wrapped
	ctx    context.Context
	cancel context.CancelFunc

	mu sync.Mutex
	// Acks and service messages overtake queued stream data, as they
	// would on the real service: an ack stuck behind a window of output
	// would expire the client's RTO and make it resend everything.
	control []dcItem
	queue   []dcItem
	// Acks, the most frequent frame, are noted by the reader and encoded
	// by the writer (no allocation per ack, no digest on the reader's
	// path); they go out before everything else.
	acks   []tunnel.AckRef
	notify chan struct{}
	done   chan struct{} // closed when the writer stops
	// quiet is set when items were queued without waking the writer: the
	// reader (acks) and the pump (output) wake it once for a run of
	// frames, which makes one write of many frames instead of a write
	// and a wake-up per frame.
	quiet bool
	// tcp is the target connection the reader last queued client data
	// for, woken with the writer (reader goroutine).
	tcp atomic.Pointer[dcTCP]

	delayMessages time.Duration

	// Receive-side bookkeeping for the contiguity check: a conformant
	// client sends new sequence numbers without gaps on one socket.
	seenInput bool
	maxInSeq  int64
	rmsg      tunnel.Message // the frame being handled (reader goroutine)
}

type dcItem struct {
	frame      []byte
	out        *dcOut // set for stream messages: cleared from "queued" after writing
	stream     bool   // a stream frame sent outside the list (duplicate, corrupt copy)
	closeAfter bool   // end the socket with a normal close after this frame
}

func newDCConn(parent context.Context, ws *websocket.Conn, cork *tunnel.CorkedConn, delayMessages time.Duration) *dcConn {
	ctx, cancel := context.WithCancel(parent)
	// Reads and writes use no cancellable context (coder/websocket arms a
	// timer for each such call); closing the socket is what stops them.
	context.AfterFunc(ctx, func() { ws.CloseNow() })
	return &dcConn{
		ws: ws, cork: cork, ctx: ctx, cancel: cancel,
		notify:        make(chan struct{}, 1),
		done:          make(chan struct{}),
		delayMessages: delayMessages,
	}
}

// push queues an item and wakes the writer.
func (c *dcConn) push(it dcItem) { c.put(it, false) }

// put queues an item; quiet leaves waking the writer to a later kick.
func (c *dcConn) put(it dcItem, quiet bool) {
	c.mu.Lock()
	if it.out == nil && !it.stream {
		c.control = append(c.control, it)
	} else {
		c.queue = append(c.queue, it)
	}
	c.quiet = c.quiet || quiet
	c.mu.Unlock()
	if !quiet {
		wake(c.notify)
	}
}

// putAck queues the acknowledge of m without waking the writer (the
// reader does, once it has handled what it read).
func (c *dcConn) putAck(m *tunnel.Message) {
	c.mu.Lock()
	c.acks = append(c.acks, tunnel.AckRefOf(m))
	c.quiet = true
	c.mu.Unlock()
}

// kick wakes the writer if items were queued quietly since the last
// kick.
func (c *dcConn) kick() {
	c.mu.Lock()
	quiet := c.quiet
	c.quiet = false
	c.mu.Unlock()
	if quiet {
		wake(c.notify)
	}
}

// readerDry runs when the reader has handled every frame it read and is
// about to read the socket again: the writers get the run's acks and
// data at once.
func (c *dcConn) readerDry() {
	c.kick()
	if t := c.tcp.Load(); t != nil {
		t.kick()
	}
}

// pushOut queues a stream message and marks it as queued on this socket
// so that the resend timer does not queue it again meanwhile.
func (c *dcConn) pushOut(o *dcOut) { c.putOut(o, false) }

func (c *dcConn) putOut(o *dcOut, quiet bool) {
	o.queuedOn.Store(c)
	c.put(dcItem{frame: o.frame, out: o}, quiet)
}

// writeLoop sends whatever is queued as one batch: control frames first,
// then stream data, all in one system call when the socket is corked.
func (c *dcConn) writeLoop() {
	defer close(c.done)
	var control, queue []dcItem
	var acks []tunnel.AckRef
	var scratch []byte
	for {
		c.mu.Lock()
		acks, c.acks = c.acks, acks[:0]
		control, c.control = c.control, control[:0]
		queue, c.queue = c.queue, queue[:0]
		c.mu.Unlock()
		if len(acks) == 0 && len(control) == 0 && len(queue) == 0 {
			select {
			case <-c.notify:
				continue
			case <-c.ctx.Done():
				return
			}
		}
		c.hold()
		var ok bool
		scratch, ok = c.writeAcks(acks, scratch)
		ok = ok && c.writeItems(control) && c.writeItems(queue)
		if c.cork != nil && c.cork.Release() != nil {
			ok = false
		}
		clear(control)
		clear(queue)
		if !ok {
			c.ws.CloseNow()
			return
		}
	}
}

func (c *dcConn) hold() {
	if c.cork != nil {
		c.cork.Hold()
	}
}

// writeAcks encodes and writes the acks, each through scratch, which it
// returns for reuse.
func (c *dcConn) writeAcks(acks []tunnel.AckRef, scratch []byte) ([]byte, bool) {
	for _, a := range acks {
		scratch = tunnel.AppendAckRef(scratch[:0], a)
		if c.writeFrame(scratch) != nil {
			return scratch, false
		}
	}
	return scratch, true
}

// writeItems writes a batch's items in order; false when the socket is
// done (failed, or closed after a closeAfter item).
func (c *dcConn) writeItems(items []dcItem) bool {
	for _, it := range items {
		if (it.out != nil || it.stream) && c.delayMessages > 0 {
			// A delayed frame must not hold back those already written.
			if c.cork != nil && c.cork.Release() != nil {
				return false
			}
			t := time.NewTimer(rand.N(c.delayMessages))
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return false
			}
			c.hold()
		}
		err := c.writeFrame(it.frame)
		if it.out != nil {
			it.out.lastSent.Store(time.Now().UnixNano())
			it.out.queuedOn.CompareAndSwap(c, nil)
		}
		if err != nil {
			return false
		}
		if it.closeAfter {
			if c.cork != nil {
				c.cork.Release()
			}
			c.ws.Close(websocket.StatusNormalClosure, "")
			return false
		}
	}
	return true
}

// dcOut is one outgoing stream message kept until the client acks it.
type dcOut struct {
	seq       int64
	frame     []byte
	firstSent time.Time
	// lastSent is when the writer last put the frame on the wire (unix
	// nanoseconds): time spent queued behind other output must not count
	// toward the RTO, or every deep queue would trigger resends.
	lastSent atomic.Int64
	queuedOn atomic.Pointer[dcConn]
	attempts int // timer resends since the last (re)connect; ch.mu
}

// writeFrame sends one binary message, past coder/websocket's writer
// when the socket is corked (see tunnel.CorkedConn.WriteBinary).
func (c *dcConn) writeFrame(f []byte) error {
	if c.cork != nil {
		return c.cork.WriteBinary(f)
	}
	return c.ws.Write(context.Background(), websocket.MessageBinary, f)
}
