package awssim

import (
	"container/list"
	"context"
	"crypto/cipher"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/coder/websocket"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// dcClient is a minimal, independent client of the data channel for the
// simulator's tests: open message, handshake (with KMS), acks, in-order
// reassembly with a buffer, re-acks of duplicates, resend of its own
// unacked data, and reconnection through the real ssm client's
// ResumeSession. Output payloads go to sink in order.
type dcClient struct {
	t         testing.TB
	api       *ssm.Client
	kms       *kms.Client
	sessionID string
	streamURL string
	target    string
	clientID  string
	chunk     int
	window    int
	sink      io.Writer
	ctx       context.Context
	cancel    context.CancelFunc

	mu         sync.Mutex
	ws         *websocket.Conn
	outSeq     int64
	out        *list.List // of *dcClientOut
	outBySeq   map[int64]*list.Element
	inExpected int64
	inBuf      map[int64]*tunnel.Message
	enc, dec   cipher.AEAD
	done       bool
	space      chan struct{}

	handshakeDone chan struct{}
	closed        chan tunnel.ChannelClosed
	finished      chan struct{} // closed when the channel or the client ends
	finishOnce    sync.Once
	customerMsg   string

	// What the client observed, for the fault tests.
	received, reconnects, badFrames, duplicates, outOfOrder int
	resends, pauses, starts                                 int
	sessionGone                                             bool
}

type dcClientOut struct {
	seq      int64
	frame    []byte
	lastSent time.Time
}

func newDCClient(t testing.TB, api *ssm.Client, out *ssm.StartSessionOutput, target string, sink io.Writer) *dcClient {
	ctx, cancel := context.WithCancel(context.Background())
	c := &dcClient{
		t: t, api: api, sessionID: aws.ToString(out.SessionId), streamURL: aws.ToString(out.StreamUrl),
		target: target, clientID: tunnel.NewUUID().String(), chunk: 1024, window: 1024, sink: sink,
		ctx: ctx, cancel: cancel,
		out: list.New(), outBySeq: map[int64]*list.Element{}, inBuf: map[int64]*tunnel.Message{},
		space: make(chan struct{}, 1), handshakeDone: make(chan struct{}), closed: make(chan tunnel.ChannelClosed, 1),
		finished: make(chan struct{}),
	}
	t.Cleanup(c.close)
	return c
}

func (c *dcClient) close() {
	c.mu.Lock()
	c.markDone()
	ws := c.ws
	c.mu.Unlock()
	c.cancel()
	if ws != nil {
		ws.CloseNow()
	}
}

// markDone stops sending for good. c.mu held.
func (c *dcClient) markDone() {
	c.done = true
	c.finishOnce.Do(func() { close(c.finished) })
}

// dial opens a websocket and sends the text open message with token.
func (c *dcClient) dial(token string) (*websocket.Conn, error) {
	ws, _, err := websocket.Dial(c.ctx, c.streamURL, nil)
	if err != nil {
		return nil, fmt.Errorf("dial data channel: %w", err)
	}
	ws.SetReadLimit(dcMaxFrame)
	open, _ := json.Marshal(tunnel.OpenDataChannel{
		MessageSchemaVersion: "1.0", RequestID: tunnel.NewUUID().String(),
		TokenValue: token, ClientID: c.clientID, ClientVersion: "1.2.707.0",
	})
	if err := ws.Write(c.ctx, websocket.MessageText, open); err != nil {
		ws.CloseNow()
		return nil, fmt.Errorf("send open message: %w", err)
	}
	return ws, nil
}

func (c *dcClient) start(token string) error {
	ws, err := c.dial(token)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.ws = ws
	c.mu.Unlock()
	go c.readLoop(ws)
	go c.resendLoop()
	return nil
}

func (c *dcClient) readLoop(ws *websocket.Conn) {
	for {
		typ, data, err := ws.Read(c.ctx)
		if err != nil {
			c.mu.Lock()
			done := c.done
			c.mu.Unlock()
			if !done {
				c.reconnect()
			}
			return
		}
		if typ == websocket.MessageBinary {
			c.handle(ws, data)
		}
	}
}

// reconnect is the plugin's path after a websocket error: ResumeSession,
// the original StreamUrl, a new open message with the same ClientId.
func (c *dcClient) reconnect() {
	for attempt := 0; attempt < 20; attempt++ {
		if c.ctx.Err() != nil {
			return
		}
		out, err := c.api.ResumeSession(c.ctx, &ssm.ResumeSessionInput{SessionId: aws.String(c.sessionID)})
		if err != nil {
			c.t.Logf("client: resume session: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if aws.ToString(out.TokenValue) == "" {
			c.mu.Lock()
			c.sessionGone = true
			c.markDone()
			c.mu.Unlock()
			return
		}
		ws, err := c.dial(aws.ToString(out.TokenValue))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		c.mu.Lock()
		c.ws = ws
		c.reconnects++
		for e := c.out.Front(); e != nil; e = e.Next() {
			o := e.Value.(*dcClientOut)
			o.lastSent = time.Now()
			ws.Write(c.ctx, websocket.MessageBinary, o.frame)
		}
		c.mu.Unlock()
		go c.readLoop(ws)
		return
	}
	c.t.Errorf("client: could not reconnect session %s", c.sessionID)
}

func (c *dcClient) handle(ws *websocket.Conn, data []byte) {
	m, err := tunnel.UnmarshalMessage(data)
	if err == nil {
		err = m.Validate()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.badFrames++ // dropped without an ack: the sender must resend
		return
	}
	switch m.MessageType {
	case tunnel.TypeAcknowledge:
		a, err := tunnel.ParseAck(m)
		if err != nil {
			c.t.Errorf("client: %v", err)
			return
		}
		if e, ok := c.outBySeq[a.AcknowledgedMessageSequenceNumber]; ok {
			c.out.Remove(e)
			delete(c.outBySeq, a.AcknowledgedMessageSequenceNumber)
			select {
			case c.space <- struct{}{}:
			default:
			}
		}
	case tunnel.TypeOutputStreamData:
		c.onOutput(ws, m)
	case tunnel.TypeChannelClosed:
		var cc tunnel.ChannelClosed
		if err := json.Unmarshal(m.Payload, &cc); err != nil {
			c.t.Errorf("client: channel_closed payload: %v", err)
		}
		c.markDone()
		select {
		case c.closed <- cc:
		default:
		}
	case tunnel.TypePausePublication:
		c.pauses++
	case tunnel.TypeStartPublication:
		c.starts++
	default:
		c.t.Errorf("client: unexpected message type %q", m.MessageType)
	}
}

func (c *dcClient) ack(ws *websocket.Conn, m *tunnel.Message) {
	b, _ := tunnel.NewAck(m).MarshalBinary()
	ws.Write(c.ctx, websocket.MessageBinary, b)
}

// onOutput: the receiver rules (docs/session-protocol.md#receiving),
// re-acking duplicates. c.mu held.
func (c *dcClient) onOutput(ws *websocket.Conn, m *tunnel.Message) {
	switch {
	case m.SequenceNumber < c.inExpected:
		c.duplicates++
		c.ack(ws, m)
	case m.SequenceNumber > c.inExpected:
		c.outOfOrder++
		if _, ok := c.inBuf[m.SequenceNumber]; ok {
			c.duplicates++
		} else {
			c.inBuf[m.SequenceNumber] = m
		}
		c.ack(ws, m)
	default:
		c.ack(ws, m)
		c.process(m)
		c.inExpected++
		for {
			b, ok := c.inBuf[c.inExpected]
			if !ok {
				break
			}
			delete(c.inBuf, c.inExpected)
			c.process(b)
			c.inExpected++
		}
	}
}

// process acts on an in-order agent message. c.mu held.
func (c *dcClient) process(m *tunnel.Message) {
	switch m.PayloadType {
	case tunnel.PayloadHandshakeRequest:
		c.onHandshakeRequest(m)
	case tunnel.PayloadEncChallengeRequest:
		var r tunnel.EncChallenge
		json.Unmarshal(m.Payload, &r)
		plain, err := dcOpen(c.dec, r.Challenge)
		if err != nil {
			c.t.Errorf("client: decrypt challenge: %v", err)
			return
		}
		p, _ := json.Marshal(tunnel.EncChallenge{Challenge: dcSeal(c.enc, plain)})
		c.sendLocked(tunnel.PayloadEncChallengeResponse, p)
	case tunnel.PayloadHandshakeComplete:
		var hc tunnel.HandshakeComplete
		json.Unmarshal(m.Payload, &hc)
		c.customerMsg = hc.CustomerMessage
		close(c.handshakeDone)
	case tunnel.PayloadOutput:
		p := m.Payload
		if c.dec != nil {
			var err error
			if p, err = dcOpen(c.dec, p); err != nil {
				c.t.Errorf("client: decrypt output seq %d: %v", m.SequenceNumber, err)
				return
			}
		}
		c.received += len(p)
		if c.sink != nil {
			c.sink.Write(p)
		}
	default:
		c.t.Errorf("client: unexpected payload type %d", m.PayloadType)
	}
}

func (c *dcClient) onHandshakeRequest(m *tunnel.Message) {
	var req tunnel.HandshakeRequest
	if err := json.Unmarshal(m.Payload, &req); err != nil {
		c.t.Errorf("client: handshake request: %v", err)
		return
	}
	resp := tunnel.HandshakeResponse{ClientVersion: "1.2.707.0"}
	for _, a := range req.RequestedClientActions {
		pa := tunnel.ProcessedClientAction{ActionType: a.ActionType, ActionStatus: tunnel.ActionSuccess}
		switch a.ActionType {
		case tunnel.ActionSessionType:
			var st tunnel.SessionTypeRequest
			json.Unmarshal(a.ActionParameters, &st)
			if st.SessionType != "Port" {
				c.t.Errorf("client: SessionType %q, want Port", st.SessionType)
			}
		case tunnel.ActionKMSEncryption:
			var kr tunnel.KMSEncryptionRequest
			json.Unmarshal(a.ActionParameters, &kr)
			out, err := c.kms.GenerateDataKey(c.ctx, &kms.GenerateDataKeyInput{
				KeyId: aws.String(kr.KMSKeyID), NumberOfBytes: aws.Int32(64),
				EncryptionContext: map[string]string{"aws:ssm:SessionId": c.sessionID, "aws:ssm:TargetId": c.target},
			})
			if err != nil {
				c.t.Errorf("client: generate data key: %v", err)
				pa.ActionStatus, pa.Error = tunnel.ActionFailed, err.Error()
				break
			}
			c.dec, _ = dcAEAD(out.Plaintext[:32])
			c.enc, _ = dcAEAD(out.Plaintext[32:])
			pa.ActionResult = tunnel.KMSEncryptionResponse{KMSCipherTextKey: out.CiphertextBlob}
		}
		resp.ProcessedClientActions = append(resp.ProcessedClientActions, pa)
	}
	p, _ := json.Marshal(resp)
	c.sendLocked(tunnel.PayloadHandshakeResponse, p)
}

// sendLocked numbers, keeps and sends one input_stream_data. c.mu held.
func (c *dcClient) sendLocked(pt tunnel.PayloadType, payload []byte) {
	frame, _ := tunnel.NewMessage(tunnel.TypeInputStreamData, c.outSeq, tunnel.FlagsNone, pt, payload).MarshalBinary()
	o := &dcClientOut{seq: c.outSeq, frame: frame, lastSent: time.Now()}
	c.outBySeq[c.outSeq] = c.out.PushBack(o)
	c.outSeq++
	if c.ws != nil {
		c.ws.Write(c.ctx, websocket.MessageBinary, frame)
	}
}

// send waits for room in the client's window, then sends.
func (c *dcClient) send(pt tunnel.PayloadType, payload []byte) error {
	for {
		c.mu.Lock()
		if c.done {
			c.mu.Unlock()
			return io.ErrClosedPipe
		}
		if c.out.Len() < c.window {
			if pt == tunnel.PayloadOutput && c.enc != nil {
				payload = dcSeal(c.enc, payload)
			}
			c.sendLocked(pt, payload)
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		select {
		case <-c.space:
		case <-c.finished:
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}

// upload sends r as Output messages of c.chunk bytes.
func (c *dcClient) upload(r io.Reader) error {
	buf := make([]byte, c.chunk)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if serr := c.send(tunnel.PayloadOutput, append([]byte(nil), buf[:n]...)); serr != nil {
				return serr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// resendLoop resends the oldest unacked message once it is 300 ms old, as
// the plugin does: later losses surface one by one as the oldest, and a
// resend storm of the whole window is avoided.
func (c *dcClient) resendLoop() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		if e := c.out.Front(); e != nil && c.ws != nil {
			o := e.Value.(*dcClientOut)
			if now := time.Now(); now.Sub(o.lastSent) > 300*time.Millisecond {
				o.lastSent = now
				c.resends++
				c.ws.Write(c.ctx, websocket.MessageBinary, o.frame)
			}
		}
		c.mu.Unlock()
	}
}

// waitHandshake waits for HandshakeComplete or channel_closed.
func (c *dcClient) waitHandshake() (tunnel.ChannelClosed, bool) {
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case <-c.handshakeDone:
		return tunnel.ChannelClosed{}, true
	case cc := <-c.closed:
		return cc, false
	case <-t.C:
		c.t.Fatalf("client: no HandshakeComplete or channel_closed within 30s")
	}
	return tunnel.ChannelClosed{}, false
}

// waitClosed waits for channel_closed; the bound only keeps a broken
// simulator from hanging the test run.
func (c *dcClient) waitClosed(within time.Duration) tunnel.ChannelClosed {
	t := time.NewTimer(within)
	defer t.Stop()
	select {
	case cc := <-c.closed:
		return cc
	case <-t.C:
		c.mu.Lock()
		defer c.mu.Unlock()
		c.t.Fatalf("client: no channel_closed within %v (received %d bytes, %d unacked)", within, c.received, c.out.Len())
	}
	return tunnel.ChannelClosed{}
}

func (c *dcClient) stats() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("received=%d reconnects=%d badFrames=%d duplicates=%d outOfOrder=%d resends=%d pauses=%d starts=%d",
		c.received, c.reconnects, c.badFrames, c.duplicates, c.outOfOrder, c.resends, c.pauses, c.starts)
}
