package tunnel

import (
	"context"
	"sync"

	"github.com/coder/websocket"
)

// sendQueue feeds the one goroutine that writes the websocket. Whatever
// has piled up while it wrote the last batch goes out as the next batch,
// in one system call when the socket can be corked, so the cost of a
// write is shared by every frame that was ready. Acks go first: one stuck
// behind a window of data would expire the agent's resend timer.
type sendQueue struct {
	mu     sync.Mutex
	acks   []AckRef // encoded by the writer
	data   [][]byte
	notify chan struct{}
	// quiet is set when frames were queued without waking the writer:
	// a producer with more to queue right away (the reader with frames
	// already read, stdin with bytes already buffered) wakes it once for
	// the run, which makes one write of many frames instead of a write
	// and a wake-up per frame.
	quiet bool
}

// Beyond these, new acks and resends are dropped: the peer resends what
// we did not ack, and we resend what it does not ack, so a socket that
// stopped draining cannot make the queue grow without bound.
const (
	maxQueuedAcks   = 4096
	maxQueuedFrames = 4096
)

func newSendQueue() *sendQueue { return &sendQueue{notify: make(chan struct{}, 1)} }

// pushAck queues the acknowledge of m and wakes the writer.
func (q *sendQueue) pushAck(m *Message) {
	q.queueAck(m)
	signal(q.notify)
}

// queueAck queues the acknowledge of m; the caller wakes the writer
// later with kick.
func (q *sendQueue) queueAck(m *Message) {
	q.mu.Lock()
	if len(q.acks) < maxQueuedAcks {
		q.acks = append(q.acks, AckRefOf(m))
		q.quiet = true
	}
	q.mu.Unlock()
}

// push queues a stream frame and wakes the writer; a resend is dropped
// when the queue is full, a first send never is (the outbox window
// bounds those).
func (q *sendQueue) push(frame []byte, resend bool) {
	q.mu.Lock()
	if !resend || len(q.data) < maxQueuedFrames {
		q.data = append(q.data, frame)
	}
	q.mu.Unlock()
	signal(q.notify)
}

// queue queues a first send; the caller wakes the writer later with
// kick.
func (q *sendQueue) queue(frame []byte) {
	q.mu.Lock()
	q.data = append(q.data, frame)
	q.quiet = true
	q.mu.Unlock()
}

// kick wakes the writer if frames were queued quietly since the last
// kick.
func (q *sendQueue) kick() { wakeIfQuiet(&q.mu, &q.quiet, q.notify) }

// batch is what the writer took from the queue; its buffers go back for
// reuse on the next take.
type batch struct {
	acks    []AckRef
	data    [][]byte
	scratch []byte // an encoded ack
}

func (q *sendQueue) take(b *batch) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.acks) == 0 && len(q.data) == 0 {
		return false
	}
	clear(b.data)
	b.acks, q.acks = q.acks, b.acks[:0]
	b.data, q.data = q.data, b.data[:0]
	return true
}

// sendLoop is the websocket's only writer of stream and ack frames.
// Writes use a context without cancellation (each cancellable write costs
// a timer registration in coder/websocket); Run closes the socket when
// it ends, which is what interrupts a blocked write.
func (s *Session) sendLoop(ctx context.Context) {
	var b batch
	for {
		if !s.sq.take(&b) {
			select {
			case <-s.sq.notify:
				continue
			case <-ctx.Done():
				return
			}
		}
		err := s.writeTaken(&b)
		// A failure is left to the reader (which notices the dead socket
		// and resumes) and to the resend timer (which repeats anything
		// unacknowledged).
		if err != nil && ctx.Err() == nil {
			s.opts.Logf("write to data channel: %v", err)
		}
	}
}

// writeTaken writes a batch to the current socket, in one system call
// when it is corked.
func (s *Session) writeTaken(b *batch) error {
	c, cork := s.currentSocket()
	if cork != nil {
		cork.Hold()
	}
	err := writeBatch(c, cork, b)
	if cork != nil {
		if rerr := cork.Release(); err == nil {
			err = rerr
		}
	}
	return err
}

func writeBatch(c *websocket.Conn, cork *CorkedConn, b *batch) error {
	for _, a := range b.acks {
		b.scratch = AppendAckRef(b.scratch[:0], a)
		if err := writeFrame(c, cork, b.scratch); err != nil {
			return err
		}
	}
	for _, f := range b.data {
		if err := writeFrame(c, cork, f); err != nil {
			return err
		}
	}
	return nil
}

// writeFrame sends one binary message, past coder/websocket's writer
// when the corked conn carries the websocket's bytes as they are.
func writeFrame(c *websocket.Conn, cork *CorkedConn, f []byte) error {
	if cork != nil && cork.Frames() {
		return cork.WriteBinary(f)
	}
	return c.Write(context.Background(), websocket.MessageBinary, f)
}
