package awssim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/coder/websocket"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

const mib = 1 << 20

// dcEcho is a TCP echo server that closes a connection after echoing
// limit bytes, so that the session ends with the target's EOF.
type dcEcho struct {
	addr     string
	accepted atomic.Int32
}

func startDCEcho(t testing.TB, limit int64) *dcEcho {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &dcEcho{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.accepted.Add(1)
			go func() {
				defer c.Close()
				if limit > 0 {
					io.CopyN(c, c, limit)
				} else {
					io.Copy(c, c)
				}
			}()
		}
	}()
	return e
}

// dcPayload is size deterministic pseudo-random bytes.
func dcPayload(size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{7}), size)
}

func dcSum(size int64) [32]byte {
	h := sha256.New()
	io.Copy(h, dcPayload(size))
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// dcSession starts the SSM fixture with the healthy instance's port 22 on
// addr, applies opts and faults, and starts an SSH session as "ops".
func dcSession(t *testing.T, addr string, opts *DCOptions, faults DCFaults) (*Sim, *ssm.Client, *ssm.StartSessionOutput) {
	t.Helper()
	s := startDCSim(t)
	s.WithState(func(st *State) { st.Instances[idHealthy].Ports = map[string]string{"22": addr} })
	if opts != nil {
		s.SetDataChannelOptions(*opts)
	}
	s.SetDataChannelFaults(faults)
	api := ssmAs(s, "ops")
	out, err := api.StartSession(context.Background(), &ssm.StartSessionInput{
		Target: aws.String(idHealthy), DocumentName: aws.String("AWS-StartSSHSession"),
		Parameters: map[string][]string{"portNumber": {"22"}},
	})
	if err != nil {
		t.Fatalf("start session: %v", err)
	}
	return s, api, out
}

// startDCSim runs the SSM fixture (its healthy instance is online and
// "ops" may do everything), filling in what later scenario validation
// needs so that the data channel tests do not depend on it.
func startDCSim(t testing.TB) *Sim {
	t.Helper()
	st := ssmFixture()
	for id := range st.Instances {
		if id != idHealthy {
			delete(st.Instances, id)
		}
	}
	for id, cidr := range map[string]string{"subnet-pub": "10.0.0.0/24", "subnet-priv": "10.1.0.0/24", "subnet-ep": "10.2.0.0/24"} {
		if sn, ok := st.Subnets[id]; ok && sn.CidrBlock == "" {
			sn.CidrBlock = cidr
		}
	}
	clk := &ssmClock{t: ssmT0}
	return startSim(t, st, Options{Now: clk.Now})
}

type dcRun struct {
	s      *Sim
	api    *ssm.Client
	c      *dcClient
	closed tunnel.ChannelClosed
	sum    [32]byte
	n      int64
}

// dcEchoRun moves size bytes up to an echo server and back through the
// simulator and returns what the client saw.
func dcEchoRun(t *testing.T, size int64, opts *DCOptions, faults DCFaults, kmsOn bool) dcRun {
	t.Helper()
	echo := startDCEcho(t, size)
	s, api, out := dcSession(t, echo.addr, opts, faults)
	h := sha256.New()
	c := newDCClient(t, api, out, idHealthy, h)
	if kmsOn {
		c.kms = kmsAs(s, "ops")
	}
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	if cc, ok := c.waitHandshake(); !ok {
		t.Fatalf("session closed during the handshake: %q", cc.Output)
	}
	upErr := make(chan error, 1)
	go func() { upErr <- c.upload(dcPayload(size)) }()
	cc := c.waitClosed(5 * time.Minute)
	// The upload stops with ErrClosedPipe when the channel closes first;
	// the byte counts below tell whether that was too early.
	if err := <-upErr; err != nil && !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("upload: %v", err)
	}
	c.mu.Lock()
	r := dcRun{s: s, api: api, c: c, closed: cc, n: int64(c.received)}
	c.mu.Unlock()
	copy(r.sum[:], h.Sum(nil))
	t.Logf("client: %s", c.stats())
	return r
}

func (r dcRun) assertIdentical(t *testing.T, size int64) {
	t.Helper()
	if r.closed.Output != "" {
		t.Errorf("channel_closed Output = %q, want empty (normal end)", r.closed.Output)
	}
	if r.closed.SessionID != r.c.sessionID || r.closed.MessageType != tunnel.TypeChannelClosed {
		t.Errorf("channel_closed = %+v", r.closed)
	}
	if r.n != size {
		t.Fatalf("received %d bytes, want %d", r.n, size)
	}
	if r.sum != dcSum(size) {
		t.Fatalf("sha256 of the echoed stream differs from what was sent")
	}
	if w := r.s.DataChannelWarnings(); len(w) != 0 {
		t.Errorf("conformance warnings for a conformant client: %q", w)
	}
	// The target's EOF ended the session: it is history, and resuming it
	// gives no token.
	res, err := r.api.ResumeSession(context.Background(), &ssm.ResumeSessionInput{SessionId: aws.String(r.c.sessionID)})
	if err != nil || aws.ToString(res.TokenValue) != "" {
		t.Errorf("resume after the end = %+v, %v; want no token", res, err)
	}
}

func TestDCEchoUnpaced16MiB(t *testing.T) {
	r := dcEchoRun(t, 16*mib, &DCOptions{PerMessageDelay: 0}, DCFaults{}, false)
	r.assertIdentical(t, 16*mib)
	hist, err := r.api.DescribeSessions(context.Background(), &ssm.DescribeSessionsInput{State: types.SessionStateHistory})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range hist.Sessions {
		found = found || aws.ToString(s.SessionId) == r.c.sessionID
	}
	if !found {
		t.Errorf("ended session %s not in DescribeSessions History", r.c.sessionID)
	}
}

func TestDCEchoPacedAgentLike4MiB(t *testing.T) {
	// No options set: the agent's 1 KiB chunks and 1 ms per message.
	r := dcEchoRun(t, 4*mib, nil, DCFaults{}, false)
	r.assertIdentical(t, 4*mib)
}

func TestDCEchoKMS(t *testing.T) {
	size := int64(4 * mib)
	r := dcEchoRunKMS(t, size)
	r.assertIdentical(t, size)
	if r.c.customerMsg != "This session is encrypted using AWS KMS." {
		t.Errorf("HandshakeComplete CustomerMessage = %q", r.c.customerMsg)
	}
}

func dcEchoRunKMS(t *testing.T, size int64) dcRun {
	t.Helper()
	echo := startDCEcho(t, size)
	s := startDCSim(t)
	s.WithState(func(st *State) {
		st.Instances[idHealthy].Ports = map[string]string{"22": echo.addr}
		st.SessionPreferences.KMSKeyID = "1234abcd-12ab-34cd-56ef-1234567890ab"
	})
	// The agent does not encrypt SSH sessions; this exercises the
	// client's encryption, for an agent that would.
	s.SetDataChannelOptions(DCOptions{PerMessageDelay: 0, EncryptPortSessions: true})
	api := ssmAs(s, "ops")
	out, err := api.StartSession(context.Background(), &ssm.StartSessionInput{
		Target: aws.String(idHealthy), DocumentName: aws.String("AWS-StartSSHSession"),
	})
	if err != nil {
		t.Fatalf("start session: %v", err)
	}
	h := sha256.New()
	c := newDCClient(t, api, out, idHealthy, h)
	c.kms = kmsAs(s, "ops")
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	if cc, ok := c.waitHandshake(); !ok {
		t.Fatalf("session closed during the handshake: %q", cc.Output)
	}
	if c.enc == nil {
		t.Fatal("no KMSEncryption action in the handshake")
	}
	go c.upload(dcPayload(size))
	cc := c.waitClosed(5 * time.Minute)
	c.mu.Lock()
	r := dcRun{s: s, api: api, c: c, closed: cc, n: int64(c.received)}
	c.mu.Unlock()
	copy(r.sum[:], h.Sum(nil))
	return r
}

// TestDCFaults moves 16 MiB each way under each fault hook; the client
// must recover and each fault must visibly have happened.
func TestDCFaults(t *testing.T) {
	unpaced := &DCOptions{PerMessageDelay: 0}
	cases := []struct {
		name   string
		faults DCFaults
		check  func(t *testing.T, r dcRun)
	}{
		{"DropAfterMessages", DCFaults{DropAfterMessages: 2000}, func(t *testing.T, r dcRun) {
			if r.c.reconnects != 1 || r.s.Calls("ssm.ResumeSession") < 2 {
				t.Errorf("reconnects = %d, ResumeSession calls = %d; want 1 reconnect", r.c.reconnects, r.s.Calls("ssm.ResumeSession"))
			}
		}},
		{"DuplicateEvery", DCFaults{DuplicateEvery: 7}, func(t *testing.T, r dcRun) {
			if r.c.duplicates == 0 {
				t.Error("client saw no duplicates")
			}
		}},
		{"ReorderEvery", DCFaults{ReorderEvery: 5}, func(t *testing.T, r dcRun) {
			if r.c.outOfOrder == 0 {
				t.Error("client saw nothing out of order")
			}
		}},
		{"DelayMessages", DCFaults{DelayMessages: 200 * time.Microsecond}, nil},
		{"DelayAcks", DCFaults{DelayAcks: 400 * time.Millisecond}, func(t *testing.T, r dcRun) {
			if r.c.resends == 0 {
				t.Error("acks later than the client's RTO caused no resend")
			}
		}},
		{"CorruptDigestEvery", DCFaults{CorruptDigestEvery: 97}, func(t *testing.T, r dcRun) {
			if r.c.badFrames == 0 {
				t.Error("client dropped no corrupt frame")
			}
		}},
		{"PauseAfter", DCFaults{PauseAfter: 3000, PauseFor: 200 * time.Millisecond}, func(t *testing.T, r dcRun) {
			if r.c.pauses != 1 || r.c.starts != 1 {
				t.Errorf("pause_publication %d, start_publication %d; want 1 each", r.c.pauses, r.c.starts)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := dcEchoRun(t, 16*mib, unpaced, tc.faults, false)
			r.assertIdentical(t, 16*mib)
			if tc.check != nil {
				// The client's resend timer may still be running.
				r.c.mu.Lock()
				tc.check(t, r)
				r.c.mu.Unlock()
			}
		})
	}
}

func TestDCFaultChannelClosedAfter(t *testing.T) {
	size := int64(16 * mib)
	r := dcEchoRun(t, size, &DCOptions{PerMessageDelay: 0}, DCFaults{ChannelClosedAfter: 500, ChannelClosedOutput: "service went away"}, false)
	if r.closed.Output != "service went away" {
		t.Fatalf("channel_closed Output = %q", r.closed.Output)
	}
	if r.n >= size {
		t.Fatalf("received all %d bytes despite the channel closing mid-transfer", r.n)
	}
	res, err := r.api.ResumeSession(context.Background(), &ssm.ResumeSessionInput{SessionId: aws.String(r.c.sessionID)})
	if err != nil || aws.ToString(res.TokenValue) != "" {
		t.Errorf("resume after channel_closed = %+v, %v; want no token", res, err)
	}
}

func TestDCFaultRefuseHandshake(t *testing.T) {
	echo := startDCEcho(t, 0)
	s, api, out := dcSession(t, echo.addr, nil, DCFaults{RefuseHandshake: true})
	c := newDCClient(t, api, out, idHealthy, nil)
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	cc, ok := c.waitHandshake()
	if ok {
		t.Fatal("HandshakeComplete sent despite RefuseHandshake")
	}
	if !strings.Contains(cc.Output, "Handshake refused") {
		t.Errorf("channel_closed Output = %q", cc.Output)
	}
	if n := echo.accepted.Load(); n != 0 {
		t.Errorf("target dialed %d times for a refused handshake", n)
	}
	if w := s.DataChannelWarnings(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
}

func TestDCTerminateSession(t *testing.T) {
	echo := startDCEcho(t, 0)
	_, api, out := dcSession(t, echo.addr, &DCOptions{PerMessageDelay: 0}, DCFaults{})
	c := newDCClient(t, api, out, idHealthy, nil)
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.waitHandshake(); !ok {
		t.Fatal("handshake failed")
	}
	if err := c.send(tunnel.PayloadOutput, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := api.TerminateSession(context.Background(), &ssm.TerminateSessionInput{SessionId: out.SessionId}); err != nil {
		t.Fatal(err)
	}
	cc := c.waitClosed(30 * time.Second)
	if cc.Output == "" || !strings.Contains(cc.Output, aws.ToString(out.SessionId)) {
		t.Errorf("channel_closed Output after TerminateSession = %q", cc.Output)
	}
}

func TestDCFlagTerminateSessionEnds(t *testing.T) {
	echo := startDCEcho(t, 0)
	_, api, out := dcSession(t, echo.addr, &DCOptions{PerMessageDelay: 0}, DCFaults{})
	var got bytes.Buffer
	c := newDCClient(t, api, out, idHealthy, &got)
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	c.waitHandshake()
	c.send(tunnel.PayloadOutput, []byte("one"))
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.received == 3 })
	// DisconnectToPort closes the target connection; new data redials.
	c.send(tunnel.PayloadFlag, tunnel.FlagPayload(tunnel.FlagDisconnectToPort))
	c.send(tunnel.PayloadOutput, []byte("two"))
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.received == 6 })
	c.send(tunnel.PayloadFlag, tunnel.FlagPayload(tunnel.FlagTerminateSession))
	cc := c.waitClosed(30 * time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cc.Output != "" || got.String() != "onetwo" {
		t.Errorf("output %q, channel_closed %q", got.String(), cc.Output)
	}
	if n := echo.accepted.Load(); n != 2 {
		t.Errorf("target connections = %d, want 2 (a redial after DisconnectToPort)", n)
	}
}

// waitFor polls cond; the bound only keeps a broken simulator from
// hanging the run.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met within 30s")
}

func TestDCOpenRejections(t *testing.T) {
	echo := startDCEcho(t, 0)
	s, api, out := dcSession(t, echo.addr, nil, DCFaults{})
	ctx := context.Background()
	url := aws.ToString(out.StreamUrl)
	closeStatus := func(t *testing.T, typ websocket.MessageType, open []byte) websocket.StatusCode {
		t.Helper()
		ws, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		ws.Write(ctx, typ, open)
		_, _, err = ws.Read(ctx)
		return websocket.CloseStatus(err)
	}
	openMsg := func(token, clientID string) []byte {
		return []byte(`{"MessageSchemaVersion":"1.0","RequestId":"` + tunnel.NewUUID().String() + `","TokenValue":"` + token + `","ClientId":"` + clientID + `"}`)
	}
	t.Run("wrong token", func(t *testing.T) {
		if st := closeStatus(t, websocket.MessageText, openMsg("nope", "c1")); st != websocket.StatusPolicyViolation {
			t.Errorf("close status %v, want policy violation", st)
		}
	})
	t.Run("binary open frame", func(t *testing.T) {
		if st := closeStatus(t, websocket.MessageBinary, openMsg(aws.ToString(out.TokenValue), "c1")); st != websocket.StatusPolicyViolation {
			t.Errorf("close status %v, want policy violation", st)
		}
		if w := s.DataChannelWarnings(); len(w) != 1 || !strings.Contains(w[0], "text frame") {
			t.Errorf("warnings = %q", w)
		}
	})
	t.Run("token of another session", func(t *testing.T) {
		other, err := api.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHealthy), DocumentName: aws.String("AWS-StartSSHSession")})
		if err != nil {
			t.Fatal(err)
		}
		if st := closeStatus(t, websocket.MessageText, openMsg(aws.ToString(other.TokenValue), "c1")); st != websocket.StatusPolicyViolation {
			t.Errorf("close status %v, want policy violation", st)
		}
	})
	t.Run("resume from another client", func(t *testing.T) {
		c := newDCClient(t, api, out, idHealthy, nil)
		if err := c.start(aws.ToString(out.TokenValue)); err != nil {
			t.Fatal(err)
		}
		c.waitHandshake()
		res, err := api.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: out.SessionId})
		if err != nil {
			t.Fatal(err)
		}
		if st := closeStatus(t, websocket.MessageText, openMsg(aws.ToString(res.TokenValue), "someone-else")); st != websocket.StatusPolicyViolation {
			t.Errorf("close status %v, want policy violation", st)
		}
		// A token opens the channel once.
		if st := closeStatus(t, websocket.MessageText, openMsg(aws.ToString(out.TokenValue), c.clientID)); st != websocket.StatusPolicyViolation {
			t.Errorf("reused token: close status %v, want policy violation", st)
		}
	})
}

// TestDCConformanceWarnings sends a frame with NUL padding and a wrong
// PayloadLength (which is also dropped), and data before HandshakeComplete.
func TestDCConformanceWarnings(t *testing.T) {
	echo := startDCEcho(t, 0)
	s, api, out := dcSession(t, echo.addr, nil, DCFaults{})
	c := newDCClient(t, api, out, idHealthy, nil)
	c.mu.Lock()
	c.sendLocked(tunnel.PayloadOutput, []byte("early")) // before the handshake: seq 0
	c.mu.Unlock()
	ws, err := c.dial(aws.ToString(out.TokenValue))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	frame, _ := tunnel.NewMessage(tunnel.TypeInputStreamData, 0, 0, tunnel.PayloadOutput, []byte("early")).MarshalBinary()
	for i := 4 + len(tunnel.TypeInputStreamData); i < 36; i++ {
		frame[i] = 0
	}
	frame[119]++ // PayloadLength off by one: warned about, then dropped
	ws.Write(context.Background(), websocket.MessageBinary, frame)
	early, _ := tunnel.NewMessage(tunnel.TypeInputStreamData, 0, 0, tunnel.PayloadOutput, []byte("early")).MarshalBinary()
	ws.Write(context.Background(), websocket.MessageBinary, early)
	var want = []string{"not padded with spaces", "PayloadLength 6 but 5 payload bytes", "dropped: decode input_stream_data frame seq 0: PayloadLength", "before HandshakeComplete"}
	waitFor(t, func() bool { return len(s.DataChannelWarnings()) >= len(want) })
	all := strings.Join(s.DataChannelWarnings(), "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no warning containing %q in:\n%s", w, all)
		}
	}
}

// TestDCGracePeriodEndsAbandonedSession: a client that drops the socket
// and never resumes loses the session after the grace period.
func TestDCGracePeriodEndsAbandonedSession(t *testing.T) {
	echo := startDCEcho(t, 0)
	_, api, out := dcSession(t, echo.addr, &DCOptions{PerMessageDelay: 0, GracePeriod: 50 * time.Millisecond}, DCFaults{})
	c := newDCClient(t, api, out, idHealthy, nil)
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	c.waitHandshake()
	c.close() // abrupt, and no reconnect
	waitFor(t, func() bool {
		res, err := api.ResumeSession(context.Background(), &ssm.ResumeSessionInput{SessionId: out.SessionId})
		return err == nil && aws.ToString(res.TokenValue) == ""
	})
}

// TestDCHandshakeTimeout: a client that opens the channel and never
// answers the HandshakeRequest gets channel_closed naming the timeout.
func TestDCHandshakeTimeout(t *testing.T) {
	echo := startDCEcho(t, 0)
	_, api, out := dcSession(t, echo.addr, &DCOptions{HandshakeTimeout: 100 * time.Millisecond}, DCFaults{})
	c := newDCClient(t, api, out, idHealthy, nil)
	ws, err := c.dial(aws.ToString(out.TokenValue))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	var sawRequest bool
	for {
		_, data, err := ws.Read(context.Background())
		if err != nil {
			t.Fatalf("read: %v (no channel_closed)", err)
		}
		m, err := tunnel.UnmarshalMessage(data)
		if err != nil {
			t.Fatal(err)
		}
		if m.PayloadType == tunnel.PayloadHandshakeRequest {
			if m.SequenceNumber != 0 || m.Flags != tunnel.FlagsSYN || m.MessageType != tunnel.TypeOutputStreamData {
				t.Errorf("HandshakeRequest header: seq %d flags %d type %q", m.SequenceNumber, m.Flags, m.MessageType)
			}
			var req tunnel.HandshakeRequest
			json.Unmarshal(m.Payload, &req)
			var st tunnel.SessionTypeRequest
			if len(req.RequestedClientActions) == 1 {
				json.Unmarshal(req.RequestedClientActions[0].ActionParameters, &st)
			}
			if st.SessionType != "Port" || string(st.Properties) != `{"portNumber":"22"}` {
				t.Errorf("HandshakeRequest = %s", m.Payload)
			}
			sawRequest = true
		}
		if m.MessageType == tunnel.TypeChannelClosed {
			var cc tunnel.ChannelClosed
			json.Unmarshal(m.Payload, &cc)
			if !sawRequest || !strings.Contains(cc.Output, "Handshake timed out") || m.Flags != tunnel.FlagsAck || m.SequenceNumber != 0 {
				t.Errorf("channel_closed seq %d flags %d Output %q (HandshakeRequest seen: %v)", m.SequenceNumber, m.Flags, cc.Output, sawRequest)
			}
			return
		}
	}
}

// TestDCPausePublication: pause_publication stops output until
// start_publication, then the held data flows.
func TestDCPausePublication(t *testing.T) {
	echo := startDCEcho(t, 0)
	s, api, out := dcSession(t, echo.addr, &DCOptions{PerMessageDelay: 0}, DCFaults{})
	var got bytes.Buffer
	c := newDCClient(t, api, out, idHealthy, &got)
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	c.waitHandshake()
	id := aws.ToString(out.SessionId)
	if err := s.SetDataChannelPaused(id, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.pauses == 1 })
	c.send(tunnel.PayloadOutput, []byte("held"))
	if err := s.SetDataChannelPaused(id, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.received == 4 })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.starts != 1 || got.String() != "held" {
		t.Errorf("start_publication %d, output %q", c.starts, got.String())
	}
	if err := s.SetDataChannelPaused("nope", true); err == nil {
		t.Error("pausing an unknown session succeeded")
	}
}
