package tunnel

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeAgent plays the service and an echoing agent for one test: every
// byte the client sends comes back as output. Its knobs inject the
// faults of the acceptance matrix.
type fakeAgent struct {
	t   *testing.T
	srv *httptest.Server

	chunk        int
	dropAfter    int           // close the socket after this many output frames (once)
	duplicate    bool          // send every output frame twice
	reorder      bool          // swap consecutive output frames
	corruptEvery int           // every Nth output frame first goes out with a bad digest
	pauseFirst   bool          // pause_publication before HandshakeComplete, start_publication 300 ms later
	ackDelay     time.Duration // hold every ack this long
	withholdAcks bool          // never acknowledge the client's data
	closeAfter   int           // channel_closed once this many bytes were echoed
	closeOutput  string
	sessionType  string
	extraAction  bool   // also request an action nobody knows
	hsPayload    []byte // non-nil: the HandshakeRequest to send, verbatim
	dataKey      []byte // non-nil: require KMS with this 64-byte data key
	resumeGone   bool   // ResumeSession answers without a token
	startErr     error

	mu        sync.Mutex
	sess      map[string]*fakeSess
	opens     []OpenDataChannel
	hsResp    *HandshakeResponse
	hsSeen    chan struct{} // closed when hsResp is set
	pings     int
	pingsSeen chan struct{} // closed at the second websocket ping
	pausedIn  int           // input messages that arrived well inside a pause
	resumes   int
	terminate int
	kmsCalls  []map[string]string
}

type fakeSess struct {
	procMu    sync.Mutex // one connection at a time processes input, as on the real service
	id        string
	tokens    map[string]bool
	conn      *websocket.Conn
	outSeq    int64
	unacked   map[int64][]byte
	sentAt    map[int64]time.Time
	expected  int64
	held      map[int64]*Message
	sentOut   int
	dropped   bool
	heldOut   []byte
	inCount   int
	echoed    int
	resumedAt time.Time
	closed    bool
	hsDone    bool
}

func newFakeAgent(t *testing.T) *fakeAgent { return startFakeAgent(t, httptest.NewServer) }

// newFakeAgentTLS serves the data channel over wss://, as AWS does; the
// client must trust a.srv.Client()'s certificate.
func newFakeAgentTLS(t *testing.T) *fakeAgent { return startFakeAgent(t, httptest.NewTLSServer) }

func startFakeAgent(t *testing.T, serve func(http.Handler) *httptest.Server) *fakeAgent {
	a := &fakeAgent{t: t, chunk: 1024, sessionType: "Port", sess: map[string]*fakeSess{}, hsSeen: make(chan struct{}), pingsSeen: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/data-channel/", a.serveWS)
	a.srv = serve(mux)
	t.Cleanup(a.srv.Close)
	return a
}

// wsURL is ws:// or wss:// as the server is http or https.
func (a *fakeAgent) wsURL(id string) string {
	return "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/v1/data-channel/" + id + "?role=publish_subscribe"
}

// SessionAPI

func (a *fakeAgent) StartSession(ctx context.Context, target, doc string, params map[string][]string) (SessionInfo, error) {
	if a.startErr != nil {
		return SessionInfo{}, a.startErr
	}
	if doc != "AWS-StartSSHSession" || len(params["portNumber"]) != 1 {
		return SessionInfo{}, fmt.Errorf("bad StartSession request %s %v", doc, params)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	id := "s-" + NewUUID().String()[:17]
	tok := "tok-" + NewUUID().String()
	a.sess[id] = &fakeSess{id: id, tokens: map[string]bool{tok: true}, unacked: map[int64][]byte{},
		sentAt: map[int64]time.Time{}, held: map[int64]*Message{}}
	return SessionInfo{ID: id, Token: tok, StreamURL: a.wsURL(id)}, nil
}

func (a *fakeAgent) ResumeSession(ctx context.Context, id string) (SessionInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.resumes++
	s, ok := a.sess[id]
	if !ok {
		return SessionInfo{}, errors.New("InvalidSessionId")
	}
	if a.resumeGone || s.closed {
		return SessionInfo{ID: id}, nil
	}
	tok := "tok-" + NewUUID().String()
	s.tokens[tok] = true
	return SessionInfo{ID: id, Token: tok, StreamURL: a.wsURL(id)}, nil
}

func (a *fakeAgent) TerminateSession(ctx context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.terminate++
	if s, ok := a.sess[id]; ok {
		s.closed = true
	}
	return nil
}

// DataKeyGenerator
func (a *fakeAgent) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	a.mu.Lock()
	a.kmsCalls = append(a.kmsCalls, encCtx)
	a.mu.Unlock()
	return append([]byte(nil), a.dataKey...), []byte("ciphertext-blob"), nil
}

// agent side of the key split: it encrypts with what the client decrypts.
func (a *fakeAgent) agentCipher() *kmsCipher {
	k, err := newKMSCipher(append(append([]byte(nil), a.dataKey[32:]...), a.dataKey[:32]...))
	if err != nil {
		panic(err)
	}
	return k
}

func (a *fakeAgent) serveWS(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/v1/data-channel/")
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OnPingReceived: func(context.Context, []byte) bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.pings++; a.pings == 2 {
			close(a.pingsSeen)
		}
		return true
	}})
	if err != nil {
		return
	}
	c.SetReadLimit(4 << 20)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer c.CloseNow()
	typ, data, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageText {
		a.t.Errorf("fake agent: first frame must be text (typ %v, err %v)", typ, err)
		return
	}
	var open OpenDataChannel
	if err := json.Unmarshal(data, &open); err != nil {
		a.t.Errorf("fake agent: open message: %v", err)
		return
	}
	a.mu.Lock()
	s := a.sess[id]
	if s == nil || !s.tokens[open.TokenValue] {
		a.mu.Unlock()
		c.Close(websocket.StatusPolicyViolation, "bad token")
		return
	}
	delete(s.tokens, open.TokenValue)
	a.opens = append(a.opens, open)
	if s.conn != nil {
		s.conn.CloseNow()
	}
	s.conn = c
	fresh := s.outSeq == 0
	var resend [][]byte
	for seq := int64(0); seq < s.outSeq; seq++ {
		if f, ok := s.unacked[seq]; ok {
			resend = append(resend, f)
		}
	}
	a.mu.Unlock()
	if fresh {
		a.sendHandshake(ctx, s)
	}
	for _, f := range resend {
		c.Write(ctx, websocket.MessageBinary, f)
	}
	go a.resendLoop(ctx, s, c)
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageBinary {
			continue
		}
		m, err := UnmarshalMessage(data)
		if err != nil || m.Validate() != nil {
			a.t.Errorf("fake agent: client sent a bad frame: %v", err)
			continue
		}
		if m.HeaderLength != HeaderLengthValue {
			a.t.Errorf("fake agent: HeaderLength %d", m.HeaderLength)
		}
		a.handle(ctx, s, c, m)
	}
}

func (a *fakeAgent) resendLoop(ctx context.Context, s *fakeSess, c *websocket.Conn) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		var frames [][]byte
		now := time.Now()
		for seq := int64(0); seq < s.outSeq; seq++ {
			if f, ok := s.unacked[seq]; ok && now.Sub(s.sentAt[seq]) > 200*time.Millisecond {
				frames = append(frames, f)
				s.sentAt[seq] = now
			}
		}
		a.mu.Unlock()
		for _, f := range frames {
			c.Write(ctx, websocket.MessageBinary, f)
		}
	}
}

func (a *fakeAgent) sendHandshake(ctx context.Context, s *fakeSess) {
	if a.hsPayload != nil {
		a.sendOut(ctx, s, PayloadHandshakeRequest, a.hsPayload, FlagsSYN)
		return
	}
	props, _ := json.Marshal(SessionTypeRequest{SessionType: a.sessionType, Properties: json.RawMessage(`{"portNumber":"22"}`)})
	hr := HandshakeRequest{AgentVersion: "3.3.0.0", RequestedClientActions: []RequestedClientAction{{ActionType: ActionSessionType, ActionParameters: props}}}
	if a.dataKey != nil {
		kp, _ := json.Marshal(KMSEncryptionRequest{KMSKeyID: "alias/ssm"})
		hr.RequestedClientActions = append(hr.RequestedClientActions, RequestedClientAction{ActionType: ActionKMSEncryption, ActionParameters: kp})
	}
	if a.extraAction {
		hr.RequestedClientActions = append(hr.RequestedClientActions, RequestedClientAction{ActionType: "FutureThing", ActionParameters: json.RawMessage(`{}`)})
	}
	body, _ := json.Marshal(hr)
	a.sendOut(ctx, s, PayloadHandshakeRequest, body, FlagsSYN)
}

// sendOut numbers, keeps and transmits one output message, applying the
// fault knobs to data messages only.
func (a *fakeAgent) sendOut(ctx context.Context, s *fakeSess, pt PayloadType, payload []byte, flags uint64) {
	a.mu.Lock()
	m := NewMessage(TypeOutputStreamData, s.outSeq, flags, pt, payload)
	frame, _ := m.MarshalBinary()
	s.unacked[s.outSeq] = frame
	s.sentAt[s.outSeq] = time.Now()
	s.outSeq++
	c := s.conn
	var writes [][]byte
	drop := false
	if pt != PayloadOutput {
		writes = [][]byte{frame}
	} else {
		s.sentOut++
		switch {
		case a.corruptEvery > 0 && s.sentOut%a.corruptEvery == 0:
			bad := append([]byte(nil), frame...)
			bad[len(bad)-1] ^= 0xff
			writes = [][]byte{bad}
		case a.reorder && s.heldOut == nil:
			s.heldOut = frame
		case a.reorder:
			writes = [][]byte{frame, s.heldOut}
			s.heldOut = nil
		case a.duplicate:
			writes = [][]byte{frame, frame}
		default:
			writes = [][]byte{frame}
		}
		if a.dropAfter > 0 && !s.dropped && s.sentOut >= a.dropAfter {
			s.dropped = true
			drop = true
		}
	}
	a.mu.Unlock()
	for _, w := range writes {
		c.Write(ctx, websocket.MessageBinary, w)
	}
	if drop {
		c.CloseNow()
	}
}

func (a *fakeAgent) sendControl(ctx context.Context, c *websocket.Conn, typ string, payload []byte) {
	m := NewMessage(typ, 0, FlagsAck, PayloadNone, payload)
	frame, _ := m.MarshalBinary()
	c.Write(ctx, websocket.MessageBinary, frame)
}

func (a *fakeAgent) handle(ctx context.Context, s *fakeSess, c *websocket.Conn, m *Message) {
	switch m.MessageType {
	case TypeAcknowledge:
		ack, err := ParseAck(m)
		if err != nil {
			a.t.Errorf("fake agent: ack: %v", err)
			return
		}
		apply := func() {
			a.mu.Lock()
			delete(s.unacked, ack.AcknowledgedMessageSequenceNumber)
			a.mu.Unlock()
		}
		if a.ackDelay > 0 {
			time.AfterFunc(a.ackDelay, apply)
		} else {
			apply()
		}
	case TypeInputStreamData:
		s.procMu.Lock()
		defer s.procMu.Unlock()
		ackFrame, _ := NewAck(m).MarshalBinary()
		if a.withholdAcks && m.PayloadType == PayloadOutput {
			ackFrame = nil
		}
		a.mu.Lock()
		// The pause came before HandshakeComplete, so every data message
		// made before start_publication broke it.
		if m.PayloadType == PayloadOutput && (s.resumedAt.IsZero() || m.CreatedDate.Before(s.resumedAt.Truncate(time.Millisecond))) && a.pauseFirst {
			a.pausedIn++
		}
		switch {
		case m.SequenceNumber < s.expected:
			a.mu.Unlock()
			writeIf(ctx, c, ackFrame)
			return
		case m.SequenceNumber > s.expected:
			s.held[m.SequenceNumber] = m
			a.mu.Unlock()
			writeIf(ctx, c, ackFrame)
			return
		}
		a.mu.Unlock()
		writeIf(ctx, c, ackFrame)
		for next := m; next != nil; {
			a.process(ctx, s, c, next)
			a.mu.Lock()
			s.expected++
			next = s.held[s.expected]
			delete(s.held, s.expected)
			a.mu.Unlock()
		}
	}
}

func (a *fakeAgent) process(ctx context.Context, s *fakeSess, c *websocket.Conn, m *Message) {
	switch m.PayloadType {
	case PayloadHandshakeResponse:
		var hr HandshakeResponse
		if err := json.Unmarshal(m.Payload, &hr); err != nil {
			a.t.Errorf("fake agent: handshake response: %v", err)
		}
		a.mu.Lock()
		if a.hsResp == nil {
			close(a.hsSeen)
		}
		a.hsResp = &hr
		a.mu.Unlock()
		if a.dataKey != nil {
			body, _ := json.Marshal(EncChallenge{Challenge: a.agentCipher().seal([]byte(strings.Repeat("c", 64)))})
			a.sendOut(ctx, s, PayloadEncChallengeRequest, body, FlagsNone)
			return
		}
		a.complete(ctx, s)
	case PayloadEncChallengeResponse:
		var ch EncChallenge
		json.Unmarshal(m.Payload, &ch)
		p, err := a.agentCipher().open(ch.Challenge)
		if err != nil || string(p) != strings.Repeat("c", 64) {
			a.t.Errorf("fake agent: challenge answer wrong: %v", err)
			return
		}
		a.complete(ctx, s)
	case PayloadOutput:
		p := m.Payload
		if a.dataKey != nil {
			var err error
			if p, err = a.agentCipher().open(p); err != nil {
				a.t.Errorf("fake agent: decrypt input: %v", err)
				return
			}
		}
		a.mu.Lock()
		s.inCount++
		if !s.hsDone {
			a.t.Errorf("fake agent: data before HandshakeComplete")
		}
		a.mu.Unlock()
		for len(p) > 0 {
			n := min(len(p), a.chunk)
			out := p[:n]
			if a.dataKey != nil {
				out = a.agentCipher().seal(out)
			}
			a.sendOut(ctx, s, PayloadOutput, out, FlagsNone)
			p = p[n:]
			a.mu.Lock()
			s.echoed += n
			closeNow := a.closeAfter > 0 && s.echoed >= a.closeAfter && !s.closed
			if closeNow {
				s.closed = true
			}
			a.mu.Unlock()
			if closeNow {
				cc, _ := json.Marshal(ChannelClosed{MessageType: TypeChannelClosed, SessionID: s.id, SchemaVersion: 1, Output: a.closeOutput})
				a.sendControl(ctx, c, TypeChannelClosed, cc)
			}
		}
	}
}

func (a *fakeAgent) complete(ctx context.Context, s *fakeSess) {
	a.mu.Lock()
	s.hsDone = true
	c := s.conn
	a.mu.Unlock()
	if a.pauseFirst {
		a.sendControl(ctx, c, TypePausePublication, []byte{0})
		time.AfterFunc(300*time.Millisecond, func() {
			a.mu.Lock()
			s.resumedAt = time.Now()
			a.mu.Unlock()
			a.sendControl(ctx, c, TypeStartPublication, []byte{0})
		})
	}
	msg := ""
	if a.dataKey != nil {
		msg = "This session is encrypted using AWS KMS."
	}
	body, _ := json.Marshal(HandshakeComplete{HandshakeTimeToComplete: 1000000, CustomerMessage: msg})
	a.sendOut(ctx, s, PayloadHandshakeComplete, body, FlagsNone)
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeIf(ctx context.Context, c *websocket.Conn, frame []byte) {
	if frame != nil {
		c.Write(ctx, websocket.MessageBinary, frame)
	}
}
