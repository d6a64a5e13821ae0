package tunnel

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// outputQueue carries delivered payloads to the stdout writer. Payloads
// are appended to one buffer which the writer swaps out whole, so a burst
// of 1 KiB messages costs one write(2) and no per-message hand-off; the
// buffer's bound is the flow control towards a slow reader of stdout.
// The end of the stream, with the session's result, comes after the data
// queued before it.
type outputQueue struct {
	mu     sync.Mutex
	buf    []byte
	msgs   int64
	ended  bool
	err    error
	notify chan struct{} // the writer has something to do
	space  chan struct{} // the writer emptied the buffer
	quiet  bool          // put added output without waking the writer
	// beforeWait, when set, runs each time put is about to wait for room:
	// the reader must not sit on acks it queued quietly while stdout is
	// slow, or the agent would resend what we already have.
	beforeWait func()
}

const maxQueuedOutput = 256 << 10

func newOutputQueue() *outputQueue {
	return &outputQueue{notify: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// signal wakes the reader of a one-slot channel unless a wake-up is
// already pending.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wakeIfQuiet is both queues' kick: under mu it clears *quiet, and if
// that was set (output was queued without waking the writer) wakes
// notify once.
func wakeIfQuiet(mu *sync.Mutex, quiet *bool, notify chan struct{}) {
	mu.Lock()
	was := *quiet
	*quiet = false
	mu.Unlock()
	if was {
		signal(notify)
	}
}

// put copies p into the queue, waiting while it is full; false when ctx
// ended first. It does not wake the writer (the reader does, with kick,
// once it has handled the frames it already read) unless it has to wait.
func (q *outputQueue) put(ctx context.Context, p []byte) bool {
	for {
		q.mu.Lock()
		if len(q.buf) < maxQueuedOutput {
			q.buf = append(q.buf, p...)
			q.msgs++
			q.quiet = true
			q.mu.Unlock()
			return true
		}
		q.quiet = false
		q.mu.Unlock()
		signal(q.notify)
		if q.beforeWait != nil {
			q.beforeWait()
		}
		select {
		case <-q.space:
		case <-ctx.Done():
			return false
		}
	}
}

// kick wakes the writer if put added output since the last kick.
func (q *outputQueue) kick() { wakeIfQuiet(&q.mu, &q.quiet, q.notify) }

// end closes the stream; the first result wins.
func (q *outputQueue) end(err error) {
	q.mu.Lock()
	if !q.ended {
		q.ended, q.err = true, err
	}
	q.mu.Unlock()
	signal(q.notify)
}

// writeLoop copies delivered payloads to stdout until the stream ends.
func (s *Session) writeLoop(ctx context.Context, stdout io.Writer, q *outputQueue) {
	var spare []byte
	for {
		q.mu.Lock()
		buf, n, ended, result := q.buf, q.msgs, q.ended, q.err
		q.buf, q.msgs = spare[:0], 0
		q.mu.Unlock()
		if len(buf) > 0 {
			signal(q.space)
			if _, err := stdout.Write(buf); err != nil {
				s.finish(fmt.Errorf("session %s: write output: %w", s.id, err))
				return
			}
			s.stats.received.Add(n)
			spare = buf
			continue
		}
		spare = buf
		if ended {
			s.finish(result)
			return
		}
		select {
		case <-q.notify:
		case <-ctx.Done():
			return
		}
	}
}
