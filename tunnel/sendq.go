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
	mu      sync.Mutex
	acks    []byte // encoded ack frames, back to back
	ackEnds []int
	data    [][]byte
	notify  chan struct{}
}

// Beyond these, new acks and resends are dropped: the peer resends what
// we did not ack, and we resend what it does not ack, so a socket that
// stopped draining cannot make the queue grow without bound.
const (
	maxQueuedAcks   = 4096
	maxQueuedFrames = 4096
)

func newSendQueue() *sendQueue { return &sendQueue{notify: make(chan struct{}, 1)} }

// pushAck queues the acknowledge of m.
func (q *sendQueue) pushAck(m *Message) {
	q.mu.Lock()
	if len(q.ackEnds) < maxQueuedAcks {
		q.acks = AppendAck(q.acks, m)
		q.ackEnds = append(q.ackEnds, len(q.acks))
	}
	q.mu.Unlock()
	signal(q.notify)
}

// push queues a stream frame; a resend is dropped when the queue is full,
// a first send never is (the outbox window bounds those).
func (q *sendQueue) push(frame []byte, resend bool) {
	q.mu.Lock()
	if !resend || len(q.data) < maxQueuedFrames {
		q.data = append(q.data, frame)
	}
	q.mu.Unlock()
	signal(q.notify)
}

// batch is what the writer took from the queue; its buffers go back for
// reuse on the next take.
type batch struct {
	acks    []byte
	ackEnds []int
	data    [][]byte
}

func (q *sendQueue) take(b *batch) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.ackEnds) == 0 && len(q.data) == 0 {
		return false
	}
	clear(b.data)
	b.acks, q.acks = q.acks, b.acks[:0]
	b.ackEnds, q.ackEnds = q.ackEnds, b.ackEnds[:0]
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
	err := s.writeBatch(c, b)
	if cork != nil {
		if rerr := cork.Release(); err == nil {
			err = rerr
		}
	}
	return err
}

func (s *Session) writeBatch(c *websocket.Conn, b *batch) error {
	bg := context.Background()
	start := 0
	for _, end := range b.ackEnds {
		if err := c.Write(bg, websocket.MessageBinary, b.acks[start:end]); err != nil {
			return err
		}
		start = end
	}
	for _, f := range b.data {
		if err := c.Write(bg, websocket.MessageBinary, f); err != nil {
			return err
		}
	}
	return nil
}
