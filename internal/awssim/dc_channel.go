package awssim

import (
	"context"
	"crypto/cipher"
	"encoding/json"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// Handshake stages of the agent side.
const (
	hsFailed     = -1 // late handshake replies are ignored
	hsNotStarted = iota - 1
	hsAwaitResponse
	hsAwaitChallenge
	hsDialing
	hsDone
)

// dcChannel is a session's data channel as the service and agent keep it:
// it outlives websockets (ResumeSession reconnects keep sequence numbers
// and the unacked output) and ends with the session.
type dcChannel struct {
	s    *Sim
	sess *simSession
	// shellType is sess.shellType(), read once: "" for a port session.
	// The receive path asks it for every data message.
	shellType string
	id        string
	clientID  string
	opts      DCOptions
	faults    DCFaults
	ctx       context.Context
	cancel    context.CancelFunc

	mu    sync.Mutex
	conn  *dcConn // current websocket, nil while disconnected
	grace *time.Timer
	ended bool
	// failed: the channel ends without having carried a stream (History
	// then says Failed).
	failed bool

	stage     int
	hsStarted time.Time
	hsTimer   *time.Timer
	enc, dec  cipher.AEAD // KMS: agent->client and client->agent keys
	challenge []byte

	outSeq  int64
	out     dcOutList
	rtt     dcRTT
	space   chan struct{} // signalled when the pump may have room to send
	sent    int           // stream messages sent for the first time (fault counts)
	held    *dcOut        // ReorderEvery: the message sent after the next one
	dropped bool          // DropAfterMessages fired
	paused  bool
	// batching: sendStream queues without waking the socket's writer;
	// whoever set it kicks the writer when the batch is complete.
	batching bool
	resent   int // stream messages sent again (resend timer, reconnect)
	refused  int // in-order client data refused while the TCP queue was full

	inExpected int64
	inBuf      map[int64]*tunnel.Message

	tcp   *dcTCP
	shell *dcShell // shell sessions (dc_shell.go)

	// Port forwarding (dc_portforward.go): the versions the handshake
	// exchanged and the mode they chose.
	agentVersion, clientVersion string
	mode                        tunnel.ForwardMode
}

func newDCChannel(s *Sim, sess *simSession, clientID string, opts DCOptions, faults DCFaults) *dcChannel {
	ctx, cancel := context.WithCancel(s.closeCtx)
	ch := &dcChannel{
		s: s, sess: sess, shellType: sess.shellType(), id: sess.ID, clientID: clientID,
		opts: opts, faults: faults, ctx: ctx, cancel: cancel,
		rtt:   newDCRTT(opts.InitialRTO),
		space: make(chan struct{}, 1),
		inBuf: map[int64]*tunnel.Message{},
	}
	go ch.resendLoop()
	go ch.watchTerminate()
	// Sim.Close cancels every channel: drop the target connection too, so
	// that no pump stays blocked reading it.
	context.AfterFunc(ctx, func() {
		ch.mu.Lock()
		if ch.tcp != nil {
			ch.tcp.close(true)
		}
		ch.mu.Unlock()
	})
	return ch
}

// serve runs one websocket of the channel until it fails or closes.
func (ch *dcChannel) serve(ws *websocket.Conn, cork *tunnel.CorkedConn) {
	conn := newDCConn(ch.ctx, ws, cork, ch.faults.DelayMessages)
	ch.mu.Lock()
	if ch.ended {
		ch.mu.Unlock()
		ws.Close(websocket.StatusNormalClosure, "session ended")
		return
	}
	old := ch.conn
	ch.conn = conn
	if ch.grace != nil {
		ch.grace.Stop()
		ch.grace = nil
	}
	if ch.stage == hsNotStarted {
		ch.startHandshake()
	} else {
		// A resumed connection: no second handshake, and everything the
		// client has not acked goes again, in order.
		for _, o := range ch.out.list {
			if o == nil {
				continue
			}
			o.attempts = 0
			conn.pushOut(o)
		}
		ch.held = nil
	}
	ch.mu.Unlock()
	if old != nil {
		old.ws.CloseNow()
	}
	if cork != nil {
		cork.SetBeforeRead(conn.readerDry)
	}
	go conn.writeLoop()
	ch.readLoop(conn)
	conn.cancel()

	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.conn != conn {
		return
	}
	ch.conn = nil
	if !ch.ended && ch.ctx.Err() == nil {
		ch.grace = time.AfterFunc(ch.opts.GracePeriod, func() {
			ch.s.logf("data channel %s: no reconnect within %v; ending the session", ch.id, ch.opts.GracePeriod)
			ch.finish("")
		})
	}
}

func (ch *dcChannel) readLoop(conn *dcConn) {
	// One buffer for every frame: what is kept (early messages, data for
	// the target) is copied.
	buf := make([]byte, 0, 4096)
	for {
		typ, data, err := tunnel.ReadMessage(conn.ws, buf)
		if err != nil {
			conn.readerDry() // what was acked must still reach the target
			return
		}
		buf = data[:0]
		if typ != websocket.MessageBinary {
			ch.s.dcWarn(ch.id, "text frame after the open message; every later frame must be binary")
			continue
		}
		ch.handleFrame(conn, data)
		if conn.cork == nil {
			conn.readerDry() // no hook tells us when the reader runs dry
		}
	}
}

func (ch *dcChannel) watchTerminate() {
	select {
	case <-ch.sess.Done():
		ch.finish("Session " + ch.id + " was terminated.")
	case <-ch.ctx.Done():
	}
}

// fail ends the channel as a failed session (see finish).
func (ch *dcChannel) fail(output string) {
	ch.mu.Lock()
	ch.failed = true
	ch.mu.Unlock()
	ch.finish(output)
}

// finish ends the channel once: channel_closed with output to a connected
// client, the websocket closed, TCP dropped, the session moved to history.
func (ch *dcChannel) finish(output string) {
	ch.mu.Lock()
	if ch.ended {
		ch.mu.Unlock()
		return
	}
	ch.ended = true
	ch.s.logf("data channel %s: ending (output %q): sent %d, resent %d, refused %d client messages; rtt %v rto %v",
		ch.id, output, ch.sent, ch.resent, ch.refused, ch.rtt.rtt, ch.rtt.rto)
	if ch.hsTimer != nil {
		ch.hsTimer.Stop()
	}
	if ch.grace != nil {
		ch.grace.Stop()
	}
	// The session is history before the client can read channel_closed,
	// so a ResumeSession it sends next already gets no token. (Lock order:
	// ch.mu, then Sim.mu; nothing holding Sim.mu takes a channel's lock.)
	ch.s.endSession(ch.id, ch.failed)
	conn := ch.conn
	if conn != nil {
		conn.push(dcItem{frame: ch.channelClosedFrame(output), closeAfter: true})
	}
	ch.mu.Unlock()
	if conn != nil {
		t := time.NewTimer(5 * time.Second)
		select {
		case <-conn.done:
		case <-t.C:
		}
		t.Stop()
	}
	ch.cancel()
	ch.mu.Lock()
	if ch.tcp != nil {
		ch.tcp.close(true)
	}
	ch.mu.Unlock()
	ch.s.dcForget(ch.id)
}

func (ch *dcChannel) channelClosedFrame(output string) []byte {
	m := tunnel.NewMessage(tunnel.TypeChannelClosed, 0, tunnel.FlagsAck, tunnel.PayloadNone, nil)
	p, _ := json.Marshal(tunnel.ChannelClosed{
		MessageID:     m.MessageID.String(),
		CreatedDate:   m.CreatedDate.UTC().Format("2006-01-02T15:04:05.000Z"),
		DestinationID: ch.clientID,
		SessionID:     ch.id,
		MessageType:   tunnel.TypeChannelClosed,
		SchemaVersion: 1,
		Output:        output,
	})
	m.Payload = p
	b, _ := m.MarshalBinary()
	return b
}

// controlFrame is a service message (pause/start_publication) that is not
// part of the stream: sequence 0, not kept for resending.
func controlFrame(msgType string) []byte {
	b, _ := tunnel.NewMessage(msgType, 0, tunnel.FlagsAck, tunnel.PayloadNone, nil).MarshalBinary()
	return b
}

// setPaused sends the publication message and stops or restarts stream
// data. ch.mu held.
func (ch *dcChannel) setPaused(p bool) {
	if ch.paused == p {
		return
	}
	ch.paused = p
	msgType := tunnel.TypeStartPublication
	if p {
		msgType = tunnel.TypePausePublication
	}
	if ch.conn != nil {
		ch.conn.push(dcItem{frame: controlFrame(msgType)})
	}
	if !p {
		wake(ch.space)
	}
}
