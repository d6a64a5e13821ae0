package tunnel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

const testTarget = "i-0123456789abcdef0"

// collector is stdout for a test; full closes once want bytes arrived.
type collector struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want int
	full chan struct{}
	once sync.Once
}

func (c *collector) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if c.buf.Len() >= c.want {
		c.once.Do(func() { close(c.full) })
	}
	return len(p), nil
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) logf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", a...)
}

func (l *logBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// echo sends n random bytes through a session with the fake agent and
// closes stdin only after the echo came back in full (or the session
// ended), so a clean run proves every byte made the round trip.
func echo(t *testing.T, a *fakeAgent, opts Options, n int) (sent, got []byte, log string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	lb := &logBuf{}
	opts.Target = testTarget
	opts.Logf = lb.logf
	s, err := Open(ctx, a, opts)
	if err != nil {
		return nil, nil, lb.String(), err
	}
	sent = randomBytes(t, n)
	pr, pw := io.Pipe()
	col := &collector{want: n, full: make(chan struct{})}
	runDone := make(chan struct{})
	go func() {
		pw.Write(sent)
		select {
		case <-col.full:
		case <-runDone:
		case <-ctx.Done():
		}
		pw.Close()
	}()
	err = s.Run(ctx, pr, col)
	close(runDone)
	pr.Close()
	s.Close()
	if ctx.Err() != nil {
		t.Fatalf("session hung: %v (log:\n%s)", ctx.Err(), lb.String())
	}
	col.mu.Lock()
	got = append([]byte(nil), col.buf.Bytes()...)
	col.mu.Unlock()
	return sent, got, lb.String(), err
}

// mustEcho is echo for runs that must succeed with every byte back; it
// returns the session's log.
func mustEcho(t *testing.T, a *fakeAgent, opts Options, n int) string {
	t.Helper()
	sent, got, log, err := echo(t, a, opts, n)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log)
	}
	if !bytes.Equal(sent, got) {
		t.Fatalf("echo differs: sent %d bytes, got %d", len(sent), len(got))
	}
	return log
}

func TestSessionEchoClean(t *testing.T) {
	a := newFakeAgent(t)
	mustEcho(t, a, Options{}, 1<<20)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.opens) != 1 || a.opens[0].MessageSchemaVersion != "1.0" || a.opens[0].ClientVersion == "" {
		t.Fatalf("open messages = %+v", a.opens)
	}
	if a.hsResp == nil || len(a.hsResp.ProcessedClientActions) != 1 || a.hsResp.ProcessedClientActions[0].ActionStatus != ActionSuccess || a.hsResp.Errors != nil {
		t.Fatalf("handshake response = %+v", a.hsResp)
	}
	if a.terminate != 1 {
		t.Fatalf("TerminateSession calls = %d, want 1 after stdin EOF", a.terminate)
	}
}

func TestSessionFaults(t *testing.T) {
	cases := []struct {
		name string
		set  func(a *fakeAgent)
		opts Options
		n    int
	}{
		{"reordered", func(a *fakeAgent) { a.reorder = true }, Options{}, 1 << 20},
		{"duplicated", func(a *fakeAgent) { a.duplicate = true }, Options{}, 1 << 20},
		{"corrupt_digest", func(a *fakeAgent) { a.corruptEvery = 97 }, Options{}, 512 << 10},
		{"delayed_acks", func(a *fakeAgent) { a.ackDelay = 150 * time.Millisecond }, Options{}, 512 << 10},
		{"paused", func(a *fakeAgent) { a.pauseFirst = true }, Options{}, 512 << 10},
		{"small_window_big_chunks", func(a *fakeAgent) { a.chunk = 4096 }, Options{Window: 4, ChunkSize: 8192}, 1 << 20},
		{"dropped_socket", func(a *fakeAgent) { a.dropAfter = 150 }, Options{}, 1 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newFakeAgent(t)
			tc.set(a)
			log := mustEcho(t, a, tc.opts, tc.n)
			a.mu.Lock()
			defer a.mu.Unlock()
			if a.pausedIn != 0 {
				t.Fatalf("%d messages sent while paused", a.pausedIn)
			}
			if tc.name == "dropped_socket" {
				if a.resumes < 1 || len(a.opens) < 2 {
					t.Fatalf("resumes %d, opens %d: want a resumed session", a.resumes, len(a.opens))
				}
				if a.opens[0].ClientID != a.opens[1].ClientID || a.opens[0].RequestID == a.opens[1].RequestID || a.opens[0].TokenValue == a.opens[1].TokenValue {
					t.Fatalf("reopen must keep ClientId and change RequestId and token: %+v", a.opens)
				}
				if strings.Contains(log, "tok-") {
					t.Fatalf("a token reached the log:\n%s", log)
				}
			}
		})
	}
}

func TestSessionResumeGone(t *testing.T) {
	a := newFakeAgent(t)
	a.dropAfter = 10
	a.resumeGone = true
	_, _, _, err := echo(t, a, Options{}, 256<<10)
	if !errors.Is(err, ErrSessionGone) {
		t.Fatalf("err = %v, want ErrSessionGone", err)
	}
}

func TestSessionChannelClosed(t *testing.T) {
	a := newFakeAgent(t)
	a.closeAfter = 64 << 10
	a.closeOutput = "Session terminated by an administrator"
	_, got, _, err := echo(t, a, Options{}, 1<<20)
	var ce *ClosedError
	if !errors.As(err, &ce) || ce.Output != a.closeOutput {
		t.Fatalf("err = %v, want ClosedError with the service's Output", err)
	}
	if len(got) < 64<<10 {
		t.Fatalf("only %d bytes delivered before channel_closed; the data ahead of it must be flushed", len(got))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.terminate != 0 {
		t.Fatalf("TerminateSession called %d times on a session the service closed", a.terminate)
	}

	b := newFakeAgent(t)
	b.closeAfter = 1
	if _, _, _, err := echo(t, b, Options{}, 4096); err != nil {
		t.Fatalf("channel_closed with empty Output: err = %v, want nil", err)
	}
}

func TestSessionHandshake(t *testing.T) {
	t.Run("refused_session_type", func(t *testing.T) {
		a := newFakeAgent(t)
		a.sessionType = "Standard_Stream"
		_, _, _, err := echo(t, a, Options{}, 1024)
		if err == nil || !strings.Contains(err.Error(), `session type "Standard_Stream" is not supported`) {
			t.Fatalf("err = %v", err)
		}
		select {
		case <-a.hsSeen:
		case <-time.After(10 * time.Second):
			t.Fatal("the agent never received a handshake response")
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.hsResp == nil || a.hsResp.ProcessedClientActions[0].ActionStatus != ActionFailed {
			t.Fatalf("handshake response = %+v, want Failed", a.hsResp)
		}
	})
	t.Run("unsupported_action_answered_like_the_plugin", func(t *testing.T) {
		a := newFakeAgent(t)
		a.extraAction = true
		sent, got, _, err := echo(t, a, Options{}, 4096)
		if err != nil || !bytes.Equal(sent, got) {
			t.Fatalf("err = %v, echo equal %v", err, bytes.Equal(sent, got))
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		pa := a.hsResp.ProcessedClientActions
		if len(pa) != 2 || pa[1].ActionType != "FutureThing" || pa[1].ActionStatus != 0 || pa[1].ActionResult != float64(ActionUnsupported) ||
			pa[1].Error != "Unsupported action FutureThing" || len(a.hsResp.Errors) != 1 || a.hsResp.Errors[0] != pa[1].Error {
			t.Fatalf("handshake response = %+v", a.hsResp)
		}
	})
}

func TestSessionKMS(t *testing.T) {
	a := newFakeAgent(t)
	a.dataKey = randomBytes(t, 64)
	log := mustEcho(t, a, Options{KMS: a}, 256<<10)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.kmsCalls) != 1 || a.kmsCalls[0]["aws:ssm:TargetId"] != testTarget || !strings.HasPrefix(a.kmsCalls[0]["aws:ssm:SessionId"], "s-") {
		t.Fatalf("GenerateDataKey contexts = %v", a.kmsCalls)
	}
	pa := a.hsResp.ProcessedClientActions
	if len(pa) != 2 || pa[1].ActionStatus != ActionSuccess {
		t.Fatalf("handshake response = %+v", a.hsResp)
	}
	if !strings.Contains(log, "encrypted using AWS KMS") {
		t.Fatalf("customer message not logged:\n%s", log)
	}

	b := newFakeAgent(t)
	b.dataKey = randomBytes(t, 64)
	if _, _, _, err := echo(t, b, Options{}, 1024); err == nil || !strings.Contains(err.Error(), "no KMS access") {
		t.Fatalf("KMS required without a generator: err = %v", err)
	}
}

func TestSessionStartError(t *testing.T) {
	a := newFakeAgent(t)
	a.startErr = errors.New("TargetNotConnected: i-0123456789abcdef0 is not connected")
	_, err := Open(context.Background(), a, Options{Target: testTarget})
	if !errors.Is(err, a.startErr) || !strings.Contains(err.Error(), "start session on "+testTarget) {
		t.Fatalf("err = %v", err)
	}
}

func TestOutboxWindow(t *testing.T) {
	o := newOutbox(3, 1<<20)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := o.add(ctx, true, PayloadOutput, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if o.hasRoomLocked() {
		t.Fatal("window of 3 has room after 3 unacknowledged messages")
	}
	// An ack out of order frees no room: the window is a span of
	// sequence numbers starting at the oldest unacknowledged one.
	o.ack(1)
	if o.hasRoomLocked() {
		t.Fatal("room after acking the middle message")
	}
	o.ack(0)
	if !o.hasRoomLocked() || len(o.list) != 1 || o.list[0].seq != 2 {
		t.Fatalf("after acking 0 and 1: list %d", len(o.list))
	}
	o.setPaused(true)
	if o.hasRoomLocked() {
		t.Fatal("room while paused")
	}
	if f, _ := o.due(false); f != nil {
		t.Fatal("resend while paused")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := o.add(cctx, true, PayloadOutput, []byte("y")); !errors.Is(err, context.Canceled) {
		t.Fatalf("add while paused with a cancelled context: %v", err)
	}
	o2 := newOutbox(100, 10)
	o2.add(ctx, true, PayloadOutput, make([]byte, 10))
	if o2.hasRoomLocked() {
		t.Fatal("byte budget ignored")
	}
}

func TestStreamURLOverride(t *testing.T) {
	raw := "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1?role=publish_subscribe"
	cases := map[string]string{
		"":                                   raw,
		"https://vpce-1.ssmmessages.example": "wss://vpce-1.ssmmessages.example/v1/data-channel/s-1?role=publish_subscribe",
		"http://127.0.0.1:9":                 "ws://127.0.0.1:9/v1/data-channel/s-1?role=publish_subscribe",
	}
	for in, want := range cases {
		got, err := streamURL(raw, in)
		if err != nil || got != want {
			t.Fatalf("streamURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ftp://x", "nohost"} {
		if _, err := streamURL(raw, bad); err == nil {
			t.Fatalf("override %q accepted", bad)
		}
	}
}

// An idle session keeps its socket alive with websocket pings.
func TestSessionKeepalive(t *testing.T) {
	a := newFakeAgent(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Open(ctx, a, Options{Target: testTarget, PingInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pr, pw := io.Pipe()
	go func() {
		select {
		case <-a.pingsSeen:
		case <-ctx.Done():
		}
		pw.Close()
	}()
	if err := s.Run(ctx, pr, io.Discard); err != nil {
		t.Fatalf("run: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("no keepalive pings reached the service")
	}
}

// An agent that never acknowledges: stdin EOF waits only FlushTimeout,
// and a long transfer ends after AckTimeout, each with an error that
// says so instead of hanging.
func TestSessionUnacknowledged(t *testing.T) {
	a := newFakeAgent(t)
	a.withholdAcks = true
	_, _, _, err := echo(t, a, Options{FlushTimeout: 200 * time.Millisecond}, 4096)
	if err == nil || !strings.Contains(err.Error(), "still unacknowledged after 200ms") {
		t.Fatalf("flush: err = %v", err)
	}

	b := newFakeAgent(t)
	b.withholdAcks = true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Open(ctx, b, Options{Target: testTarget, AckTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write(make([]byte, 8192))
	if err := s.Run(ctx, pr, io.Discard); err == nil || !strings.Contains(err.Error(), "acknowledged nothing") {
		t.Fatalf("ack timeout: err = %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("session hung")
	}
}
