package awssim

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// dcTCPQueue bounds the client data waiting to be written to the target.
// Beyond it, in-order data is refused without an ack (the client resends),
// so a slow target slows the client instead of growing memory, and the
// websocket reader never blocks on TCP (which could deadlock against a
// target that echoes while our own output window is full).
const dcTCPQueue = 4096

// dcTCP is the agent's connection to the target port. A DisconnectToPort
// flag closes it; the next data dials a new one.
type dcTCP struct {
	ch   *dcChannel
	addr string

	mu     sync.Mutex
	conn   net.Conn // nil until dialed
	queue  [][]byte
	notify chan struct{}
	closed atomic.Bool // closed on purpose: not the target's EOF
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

// enqueue hands client data to the writer; false when the queue is full
// and force is not set. ch.mu held.
func (t *dcTCP) enqueue(p []byte, force bool) bool {
	t.mu.Lock()
	if !force && len(t.queue) >= dcTCPQueue {
		t.mu.Unlock()
		return false
	}
	t.queue = append(t.queue, p)
	t.mu.Unlock()
	select {
	case t.notify <- struct{}{}:
	default:
	}
	return true
}

func (t *dcTCP) writeLoop() {
	for {
		t.mu.Lock()
		var p []byte
		ok := len(t.queue) > 0
		if ok {
			p = t.queue[0]
			t.queue[0] = nil
			t.queue = t.queue[1:]
		}
		c := t.conn
		t.mu.Unlock()
		if ok && p == nil {
			c.Close()
			return
		}
		if !ok {
			if t.closed.Load() {
				return
			}
			select {
			case <-t.notify:
				continue
			case <-t.ch.ctx.Done():
				return
			}
		}
		if _, err := c.Write(p); err != nil {
			// The pump sees the same failure as EOF and ends the session.
			c.Close()
			return
		}
	}
}

// disconnect closes the connection after the data already queued, as
// the agent, which writes inline, would have written it before it handles
// the DisconnectToPort flag that follows. ch.mu held.
func (t *dcTCP) disconnect() {
	t.closed.Store(true)
	t.mu.Lock()
	t.queue = append(t.queue, nil) // nil: close here
	t.mu.Unlock()
	select {
	case t.notify <- struct{}{}:
	default:
	}
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
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

// writeTCP passes in-order client data to the target, redialing after a
// DisconnectToPort. ch.mu held.
func (ch *dcChannel) writeTCP(p []byte, force bool) bool {
	if len(p) == 0 {
		return true // nothing to write; nil is the queue's close marker
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
func (ch *dcChannel) pump(t *dcTCP) {
	buf := make([]byte, ch.opts.ChunkSize)
	var pace *time.Timer
	if ch.opts.PerMessageDelay > 0 {
		pace = time.NewTimer(0)
		<-pace.C
		defer pace.Stop()
	}
	for {
		if !ch.waitRoom() {
			return
		}
		n, err := t.conn.Read(buf)
		if n > 0 {
			ch.mu.Lock()
			if ch.ended {
				ch.mu.Unlock()
				return
			}
			payload := append([]byte(nil), buf[:n]...)
			if ch.enc != nil {
				payload = dcSeal(ch.enc, payload)
			}
			ch.sendStream(tunnel.PayloadOutput, payload)
			ch.mu.Unlock()
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
			// The target closed: like the agent, end the session once the
			// client has acked all output.
			if ch.waitDrained() {
				ch.finish("")
			}
			return
		}
	}
}
