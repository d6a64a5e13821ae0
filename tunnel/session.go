package tunnel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Session is the client side of one Session Manager data channel.
type Session struct {
	api        SessionAPI
	opts       Options
	httpClient *http.Client
	clientID   string
	id         string
	origURL    string
	setupEnd   time.Time // Open's deadline for the whole setup, handshake included

	connMu sync.Mutex
	conn   *websocket.Conn
	cork   *CorkedConn // under conn; nil when the transport is not ours to wrap

	sq *sendQueue

	out  *outbox
	in   *inbox       // reader goroutine only
	rmsg Message      // the frame being handled; reader goroutine only
	outq *outputQueue // set by Run before the reader starts

	cipher        atomic.Pointer[kmsCipher]
	sessionTypeOK bool // reader goroutine only
	// What the HandshakeRequest said: written by the reader before ready
	// closes, read after it.
	agentVersion, sessionType string
	sessionProps              []byte
	// onFlag, when set before Run, takes the agent's Flag messages.
	onFlag    func(flag uint32)
	shell     *shellState // shell sessions only (shell.go)
	ready     chan struct{}
	readyOnce sync.Once

	done     chan struct{}
	doneOnce sync.Once
	result   error

	stats sessionStats

	closedByService atomic.Bool
	closeOnce       sync.Once
	ran             atomic.Bool
}

// ClosedError is how a session ends when the service sends channel_closed
// with a non-empty Output: that text is what the user needs to read.
type ClosedError struct {
	SessionID string
	Output    string
}

func (e *ClosedError) Error() string {
	return fmt.Sprintf("session %s closed by the service: %s", e.SessionID, e.Output)
}

// ErrSessionGone means ResumeSession returned no token: the service has
// forgotten the session and only a new one can continue.
var ErrSessionGone = errors.New("the session can no longer be resumed (it timed out or was terminated)")

// Open starts a session on opts.Target (StartSession with
// AWS-StartSSHSession unless told otherwise) and opens its data channel.
func Open(ctx context.Context, api SessionAPI, opts Options) (*Session, error) {
	opts = opts.withDefaults()
	if opts.Target == "" {
		return nil, errors.New("start session: no target")
	}
	params := opts.Parameters
	if params == nil {
		params = map[string][]string{"portNumber": {strconv.Itoa(opts.Port)}}
	}
	// One deadline for the whole setup: StartSession, the dials, and (in
	// Run) the handshake.
	setupDeadline := time.Now().Add(opts.SetupTimeout)
	parent := ctx
	ctx, cancel := context.WithDeadline(ctx, setupDeadline)
	defer cancel()
	info, err := api.StartSession(ctx, opts.Target, opts.Document, params)
	if err != nil {
		if parent.Err() == nil && ctx.Err() != nil {
			err = &SetupTimeoutError{Within: opts.SetupTimeout, Stage: "StartSession", Err: err}
		}
		return nil, fmt.Errorf("start session on %s: %w", opts.Target, err)
	}
	if info.ID == "" || info.Token == "" || info.StreamURL == "" {
		return nil, fmt.Errorf("start session on %s: the response lacks a session id, token or stream url", opts.Target)
	}
	s := &Session{
		api:        api,
		opts:       opts,
		httpClient: opts.HTTPClient,
		clientID:   NewUUID().String(),
		id:         info.ID,
		origURL:    info.StreamURL,
		setupEnd:   setupDeadline,
		out:        newOutbox(opts.Window, opts.WindowBytes),
		in:         newInbox(opts.Reorder),
		sq:         newSendQueue(),
		ready:      make(chan struct{}),
		done:       make(chan struct{}),
	}
	if s.httpClient == nil {
		s.httpClient = defaultHTTPClient(opts.ConnectTimeout)
	}
	// Frames queued quietly must go out before stdin waits for window
	// room, or the acks that make room would never come.
	s.out.beforeWait = s.sq.kick
	// A failed first dial is retried with the same token
	// (docs/session-protocol.md#keepalive-and-reconnection).
	// A host that did not answer gets one more try, not dialRetries: each
	// costs the whole ConnectTimeout.
	var b backoff
	silent := 0
	for attempt := 0; ; attempt++ {
		c, cork, derr := s.dial(ctx, info.StreamURL, info.Token)
		if derr == nil {
			s.conn, s.cork = c, cork
			return s, nil
		}
		err = derr
		var na *NoAnswerError
		if errors.As(derr, &na) {
			silent++
		}
		if attempt == dialRetries || silent == 2 || sleepCtx(ctx, b.delay()) != nil {
			break
		}
		opts.Logf("open data channel for session %s failed (%v); retrying", s.id, derr)
	}
	s.terminate()
	var na *NoAnswerError
	if !errors.As(err, &na) && parent.Err() == nil && ctx.Err() != nil {
		err = &SetupTimeoutError{Within: opts.SetupTimeout, Stage: "data channel", Err: err}
	}
	return nil, fmt.Errorf("session %s: %w", s.id, err)
}

// SetupTimeoutError means the session setup (StartSession through the
// data channel handshake) did not finish within Options.SetupTimeout.
type SetupTimeoutError struct {
	Within time.Duration
	Stage  string // "StartSession", "data channel", "handshake"
	Err    error
}

func (e *SetupTimeoutError) Error() string {
	return fmt.Sprintf("session setup did not finish within %v (%s): %v", e.Within, e.Stage, e.Err)
}

func (e *SetupTimeoutError) Unwrap() error { return e.Err }

// ID is the session id (not a secret).
func (s *Session) ID() string { return s.id }

func (s *Session) currentConn() *websocket.Conn {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return s.conn
}

func (s *Session) currentSocket() (*websocket.Conn, *CorkedConn) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return s.conn, s.cork
}

func (s *Session) finish(err error) {
	s.doneOnce.Do(func() {
		s.result = err
		close(s.done)
	})
}

// sendNow writes a handshake reply before returning: a refused handshake
// ends the session right after its reply, which must still reach the
// agent. A failed write is resent from the outbox like any other.
func (s *Session) sendNow(ctx context.Context, frame []byte) {
	c, cork := s.currentSocket()
	if err := writeFrame(c, cork, frame); err != nil && ctx.Err() == nil {
		s.opts.Logf("write to data channel: %v", err)
	}
}

// Run bridges stdin and stdout over the session until the service closes
// it, stdin ends (after flushing what is unacknowledged), ctx ends or the
// session fails. It reads nothing from stdin before the handshake is
// complete. A stdin Read that never returns cannot be interrupted; Run
// returns anyway and that one goroutine ends when the Read does.
func (s *Session) Run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	if !s.ran.CompareAndSwap(false, true) {
		return errors.New("session: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := newOutputQueue()
	q.beforeWait = s.sq.kick
	s.outq = q
	// Reads and writes run without a cancellable context (see sendLoop):
	// closing the socket is what stops them when Run ends.
	stopClose := context.AfterFunc(ctx, func() {
		if c := s.currentConn(); c != nil {
			c.CloseNow()
		}
	})
	defer stopClose()
	var wg sync.WaitGroup
	wg.Add(5)
	go func() { defer wg.Done(); s.readLoop(ctx, q) }()
	go func() { defer wg.Done(); s.writeLoop(ctx, stdout, q) }()
	go func() { defer wg.Done(); s.sendLoop(ctx) }()
	go func() { defer wg.Done(); s.resendLoop(ctx) }()
	go func() { defer wg.Done(); s.pingLoop(ctx) }()

	wait := s.opts.HandshakeWait
	setupLeft := wait
	if !s.setupEnd.IsZero() {
		setupLeft = time.Until(s.setupEnd)
	}
	hs := time.NewTimer(min(wait, setupLeft))
	select {
	case <-s.ready:
		if s.shell != nil {
			go s.pumpShell(ctx, stdin)
		} else {
			go s.pumpStdin(ctx, stdin)
		}
	case <-s.done:
	case <-ctx.Done():
		s.finish(ctx.Err())
	case <-hs.C:
		err := fmt.Errorf("session %s: handshake: the agent did not complete it within %v", s.id, wait)
		if setupLeft < wait {
			err = fmt.Errorf("session %s: %w", s.id, &SetupTimeoutError{Within: s.opts.SetupTimeout, Stage: "handshake",
				Err: errors.New("the agent did not complete the handshake")})
		}
		s.finish(err)
	}
	hs.Stop()
	select {
	case <-s.done:
	case <-ctx.Done():
		s.finish(ctx.Err())
	}
	cancel()
	wg.Wait()
	return s.result
}

// Close ends the session: TerminateSession unless the service already
// closed it, then the socket. Safe to call more than once.
func (s *Session) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.finish(errors.New("session closed"))
		err = s.terminate()
		if c := s.currentConn(); c != nil {
			c.CloseNow()
		}
	})
	return err
}

func (s *Session) terminate() error {
	if s.closedByService.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.api.TerminateSession(ctx, s.id); err != nil {
		return fmt.Errorf("terminate session %s: %w", s.id, err)
	}
	return nil
}

func (s *Session) pumpStdin(ctx context.Context, stdin io.Reader) {
	// One read system call fills many messages; bufio returns what one
	// underlying read got, so nothing waits for a full buffer.
	br := bufio.NewReaderSize(stdin, max(64<<10, s.opts.ChunkSize))
	buf := make([]byte, s.opts.ChunkSize)
	for {
		if br.Buffered() == 0 {
			// The next read may wait: send what this run framed.
			s.sq.kick()
		}
		n, err := br.Read(buf)
		if n > 0 && s.queueInput(ctx, PayloadOutput, buf[:n]) != nil {
			return
		}
		if errors.Is(err, io.EOF) {
			s.sq.kick()
			s.flush(ctx)
			return
		}
		if err != nil {
			s.sq.kick()
			s.finish(fmt.Errorf("session %s: read input: %w", s.id, err))
			return
		}
	}
}

// queueInput frames p as an input message of type pt, waiting for room
// in the window, and queues it without waking the writer (the caller
// kicks). Output is sealed when the session is encrypted; other payload
// types never are.
func (s *Session) queueInput(ctx context.Context, pt PayloadType, p []byte) error {
	if pt == PayloadOutput {
		if k := s.cipher.Load(); k != nil {
			p = k.seal(p)
		}
	}
	frame, err := s.out.add(ctx, true, pt, p)
	if err != nil {
		return err
	}
	s.stats.sent.Add(1)
	s.sq.queue(frame)
	return nil
}

// flush waits (bounded) until the agent has acknowledged everything sent.
func (s *Session) flush(ctx context.Context) {
	fctx, cancel := context.WithTimeout(ctx, s.opts.FlushTimeout)
	defer cancel()
	err := s.out.wait(fctx, func() bool { return s.out.open == 0 }, nil)
	switch {
	case err == nil:
		s.finish(nil)
	case ctx.Err() != nil:
	default:
		s.finish(fmt.Errorf("session %s: input ended but %d messages were still unacknowledged after %v",
			s.id, s.out.unacked(), s.opts.FlushTimeout))
	}
}

// resendLoop repeats every unacknowledged message older than the RTO. It
// never sleeps per message: one timer, a batch of writes.
func (s *Session) resendLoop(ctx context.Context) {
	t := time.NewTimer(resendTick(s.out.rto()))
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		frames, oldest := s.out.due(false)
		if oldest > s.opts.AckTimeout {
			s.finish(fmt.Errorf("session %s: the agent acknowledged nothing for %v", s.id, oldest.Round(time.Second)))
			return
		}
		s.resend(frames)
		t.Reset(resendTick(s.out.rto()))
	}
}

func (s *Session) resend(frames [][]byte) {
	s.stats.resent.Add(int64(len(frames)))
	for _, f := range frames {
		s.sq.push(f, true)
	}
}

func resendTick(rto time.Duration) time.Duration {
	return min(max(rto/2, 10*time.Millisecond), 100*time.Millisecond)
}

// pingLoop keeps idle sockets alive through NATs and proxies; a ping that
// gets no pong drops the socket so the reader resumes the session.
func (s *Session) pingLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		c := s.currentConn()
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := c.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.opts.Logf("data channel keepalive failed (%v); reconnecting", err)
			c.CloseNow()
		}
	}
}

func (s *Session) readLoop(ctx context.Context, q *outputQueue) {
	// One buffer for every frame: what outlives a frame's handling (held
	// messages, delivered output) is copied.
	buf := make([]byte, 0, 4096)
	for {
		c, cork := s.currentSocket()
		typ, data, err := ReadMessage(c, buf)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.wakeWriters()
			s.opts.Logf("data channel for session %s lost (%v); resuming", s.id, err)
			if rerr := s.reconnect(ctx, c); rerr != nil {
				q.end(rerr)
				return
			}
			continue
		}
		buf = data[:0]
		if typ != websocket.MessageBinary {
			continue
		}
		if stop := s.onFrame(ctx, data, q); stop {
			s.wakeWriters()
			return
		}
		if cork == nil {
			s.wakeWriters() // no hook tells us when the reader runs dry
		}
	}
}

// wakeWriters wakes the socket writer and the stdout writer for the acks
// and output the reader queued since it last did. The CorkedConn calls
// it before each read from the socket: frames that arrived together are
// acknowledged in one write and delivered in one.
func (s *Session) wakeWriters() {
	s.sq.kick()
	if s.outq != nil {
		s.outq.kick()
	}
}

// onFrame decodes, validates and handles one binary frame; true means the
// session is over.
func (s *Session) onFrame(ctx context.Context, data []byte, q *outputQueue) bool {
	// Whatever outlives the frame (a held message) is copied.
	m := &s.rmsg
	err := DecodeMessage(data, m)
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		// Dropped unacknowledged, as the real client does: the
		// agent's resend brings an intact copy.
		s.opts.Logf("dropped a bad frame: %v", err)
		return false
	}
	return s.handle(ctx, m, q)
}

// ReadMessage reads one websocket message into buf (grown as needed; the
// socket's read limit bounds it) and returns it. It costs no allocation
// once buf is large enough; the read has no cancellable context (whose
// timer coder/websocket would arm for every read): closing the socket is
// what interrupts it.
func ReadMessage(c *websocket.Conn, buf []byte) (websocket.MessageType, []byte, error) {
	typ, r, err := c.Reader(context.Background())
	if err != nil {
		return 0, buf, err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return typ, buf, nil
		}
		if err != nil {
			return typ, buf, err
		}
	}
}

func (s *Session) reconnect(ctx context.Context, old *websocket.Conn) error {
	old.CloseNow()
	var b backoff
	var lastErr error
	silent, attempts := 0, 0
	for attempt := 0; attempt <= dialRetries && silent < 2; attempt++ {
		attempts++
		if attempt > 0 {
			if err := sleepCtx(ctx, b.delay()); err != nil {
				return err
			}
		}
		info, err := s.api.ResumeSession(ctx, s.id)
		if err != nil {
			lastErr = fmt.Errorf("resume session %s: %w", s.id, err)
			continue
		}
		if info.Token == "" {
			return fmt.Errorf("resume session %s: %w", s.id, ErrSessionGone)
		}
		u := info.StreamURL
		if u == "" {
			u = s.origURL
		}
		c, cork, err := s.dial(ctx, u, info.Token)
		if err != nil {
			lastErr = err
			var na *NoAnswerError
			if errors.As(err, &na) {
				silent++ // as in Open: each costs the whole ConnectTimeout
			}
			continue
		}
		s.connMu.Lock()
		s.conn, s.cork = c, cork
		s.connMu.Unlock()
		if ctx.Err() != nil {
			c.CloseNow() // Run ended while we dialed
			return ctx.Err()
		}
		frames, _ := s.out.due(true)
		s.resend(frames)
		s.stats.reconnects.Add(1)
		s.opts.Logf("session %s resumed; resent %d unacknowledged messages", s.id, len(frames))
		return nil
	}
	return fmt.Errorf("reconnect session %s: gave up after %d attempts: %w", s.id, attempts, lastErr)
}
