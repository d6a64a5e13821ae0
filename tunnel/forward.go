package tunnel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
)

// Port forwarding (docs/session-protocol.md#port-forwarding-sessions): a
// Port session whose properties say type LocalPortForwarding carries TCP
// connections accepted on a local listener. The agent version in the
// HandshakeRequest decides how, exactly as the session-manager-plugin
// decides it:
//
//   - newer than MuxAfterAgentVersion: every connection is an smux stream
//     over the session's byte stream (ForwardMux);
//   - otherwise one connection at a time, and a DisconnectToPort flag when
//     it closes (ForwardBasic);
//   - a Port session without that type (AWS-StartSSHSession's properties)
//     carries one connection and ends with it (ForwardSingle).
const (
	// MuxAfterAgentVersion: agents strictly newer multiplex connections.
	MuxAfterAgentVersion = "3.0.196.0"
	// SmuxKeepAliveOffAfterAgentVersion: agents strictly newer run smux
	// without its keepalive (which would otherwise defeat the session's
	// idle timeout), so the client must turn it off too.
	SmuxKeepAliveOffAfterAgentVersion = "3.1.1511.0"
	// LocalPortForwarding is the properties' type of forwarding sessions.
	LocalPortForwarding = "LocalPortForwarding"
)

// ForwardMode is how a port session carries connections.
type ForwardMode int

const (
	ForwardMux    ForwardMode = iota // smux streams, many connections at once
	ForwardBasic                     // one connection at a time
	ForwardSingle                    // one connection, then the session ends
)

func (m ForwardMode) String() string {
	switch m {
	case ForwardMux:
		return "multiplexed"
	case ForwardBasic:
		return "one connection at a time"
	}
	return "one connection per session"
}

// PortProperties are a Port session's properties as the agent sends them
// in the HandshakeRequest (the document's properties, parameters filled
// in).
type PortProperties struct {
	PortNumber          string `json:"portNumber"`
	LocalPortNumber     string `json:"localPortNumber"`
	LocalUnixSocket     string `json:"localUnixSocket"`
	LocalConnectionType string `json:"localConnectionType"`
	Type                string `json:"type"`
	Host                string `json:"host"`
}

// ParsePortProperties decodes a SessionType action's Properties; null or
// absent properties decode to the zero value.
func ParsePortProperties(raw json.RawMessage) (PortProperties, error) {
	var p PortProperties
	if len(raw) == 0 || string(raw) == "null" {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("decode port session properties: %w", err)
	}
	return p, nil
}

// ModeFor is the forwarding mode the plugin picks for these properties
// and agent version.
func ModeFor(props PortProperties, agentVersion string) ForwardMode {
	switch {
	case props.Type != LocalPortForwarding:
		return ForwardSingle
	case AgentNewer(agentVersion, MuxAfterAgentVersion):
		return ForwardMux
	}
	return ForwardBasic
}

// AgentNewer reports whether agent version v is strictly newer than min,
// both dotted decimal numbers compared part by part (a missing part is
// 0). Anything unparsable is never newer, as in the plugin.
func AgentNewer(v, min string) bool {
	a, ok1 := parseVersion(v)
	b, ok2 := parseVersion(min)
	if !ok1 || !ok2 {
		return false
	}
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x > y
		}
	}
	return false
}

func parseVersion(v string) ([]int, bool) {
	if v == "" {
		return nil, false
	}
	parts := strings.Split(v, ".")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// HandshakeInfo is what the agent said in its HandshakeRequest.
type HandshakeInfo struct {
	AgentVersion string
	SessionType  string
	Properties   json.RawMessage
}

// Handshake returns what the agent's HandshakeRequest said; valid once
// the handshake completed (Ready is closed).
func (s *Session) Handshake() HandshakeInfo {
	return HandshakeInfo{AgentVersion: s.agentVersion, SessionType: s.sessionType, Properties: s.sessionProps}
}

// Ready is closed when the handshake has completed.
func (s *Session) Ready() <-chan struct{} { return s.ready }

// ForwardOptions tune Forward.
type ForwardOptions struct {
	// Notef receives what the user should read while forwarding: a
	// connection waiting for its turn, a destination the instance could
	// not reach. nil discards.
	Notef func(format string, a ...any)
	// OnReady, when set, is called once the handshake is complete with
	// the mode chosen and the agent's version.
	OnReady func(mode ForwardMode, agentVersion string)
	// MaxWaiting bounds the connections waiting for their turn when the
	// agent carries one at a time (default 64); more are refused.
	MaxWaiting int
}

// ErrSessionEnded means the service ended a forwarding session that
// nobody asked to end (channel_closed without a reason): an idle timeout,
// someone's TerminateSession, the agent stopping.
var ErrSessionEnded = errors.New("the session was ended by the service (idle timeout, TerminateSession or the agent stopped)")

// Forward carries connections accepted on ln through the session until
// ctx ends (nil is returned: the caller then Closes the session, which
// terminates it) or the session fails or ends. It runs the session (do
// not call Run as well) and closes ln when it returns.
func (s *Session) Forward(ctx context.Context, ln net.Listener, fo ForwardOptions) error {
	if fo.Notef == nil {
		fo.Notef = func(string, ...any) {}
	}
	if fo.MaxWaiting <= 0 {
		fo.MaxWaiting = 64
	}
	defer ln.Close()
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fw := &forwarder{s: s, ctx: fctx, ln: ln, fo: fo}
	fw.out = &switchWriter{}
	// The agent's ConnectToPortError ends an ssh session; here it ends
	// one connection, which the agent closes itself.
	s.onFlag = func(f uint32) {
		if f == FlagConnectToPortError {
			fo.Notef("the instance could not connect to the destination (ConnectToPortError); that connection was closed, forwarding goes on")
		}
	}
	// The session's own input is never used: connections write through
	// Session.write. Run's reader gets EOF when forwarding stops.
	idleIn, idleW := io.Pipe()
	defer idleW.Close()
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(fctx, idleIn, fw.out) }()
	select {
	case <-s.ready:
	case err := <-runDone:
		return fw.ended(ctx, err)
	case <-ctx.Done():
		cancel()
		<-runDone
		return nil
	}
	hi := s.Handshake()
	props, err := ParsePortProperties(hi.Properties)
	if err != nil {
		cancel()
		<-runDone
		return fmt.Errorf("session %s: %w", s.id, err)
	}
	fw.mode = ModeFor(props, hi.AgentVersion)
	fw.agent = hi.AgentVersion
	if fo.OnReady != nil {
		fo.OnReady(fw.mode, hi.AgentVersion)
	}
	serveDone := make(chan error, 1)
	go func() { serveDone <- fw.serve() }()
	var result error
	select {
	case err := <-runDone:
		result = fw.ended(ctx, err)
		ln.Close()
		fw.stop()
		<-serveDone
	case err := <-serveDone:
		result = err
		cancel()
		fw.stop()
		if rerr := <-runDone; result == nil && fw.mode == ForwardSingle && ctx.Err() == nil {
			result = ignoreEnd(rerr)
		}
	case <-ctx.Done():
		ln.Close()
		fw.stop()
		<-serveDone
		<-runDone
	}
	if ctx.Err() != nil {
		return nil
	}
	return result
}

// ignoreEnd drops the results of a session that ended because we stopped
// it.
func ignoreEnd(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

type forwarder struct {
	s     *Session
	ctx   context.Context
	ln    net.Listener
	fo    ForwardOptions
	mode  ForwardMode
	agent string
	out   *switchWriter

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	close   []func()
	stopped bool
}

// ended turns the end of the session's Run into Forward's result: nil
// when ctx ended it, ErrSessionEnded for a reasonless channel_closed.
func (fw *forwarder) ended(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		if fw.mode == ForwardSingle {
			return nil
		}
		return fmt.Errorf("session %s: %w", fw.s.id, ErrSessionEnded)
	}
	return err
}

func (fw *forwarder) track(c net.Conn) bool {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.stopped {
		return false
	}
	if fw.conns == nil {
		fw.conns = map[net.Conn]struct{}{}
	}
	fw.conns[c] = struct{}{}
	return true
}

func (fw *forwarder) untrack(c net.Conn) {
	fw.mu.Lock()
	delete(fw.conns, c)
	fw.mu.Unlock()
}

func (fw *forwarder) onStop(f func()) {
	fw.mu.Lock()
	stopped := fw.stopped
	if !stopped {
		fw.close = append(fw.close, f)
	}
	fw.mu.Unlock()
	if stopped {
		f()
	}
}

// stop closes every local connection and what serve set up.
func (fw *forwarder) stop() {
	fw.mu.Lock()
	conns := fw.conns
	fw.conns = nil
	fs := fw.close
	fw.close = nil
	fw.stopped = true
	fw.mu.Unlock()
	for c := range conns {
		c.Close()
	}
	for _, f := range fs {
		f()
	}
}

func (fw *forwarder) serve() error {
	switch fw.mode {
	case ForwardMux:
		return fw.serveMux()
	default:
		return fw.serveOneAtATime()
	}
}

// accept returns the next connection; nil with a nil error when the
// listener was closed because forwarding stops.
func (fw *forwarder) accept() (net.Conn, error) {
	for {
		c, err := fw.ln.Accept()
		if err == nil {
			return c, nil
		}
		if fw.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
			return nil, nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		return nil, fmt.Errorf("accept on %s: %w", fw.ln.Addr(), err)
	}
}

// write sends p to the agent as Output messages of at most ChunkSize
// bytes, waiting for room in the window; it returns when every message
// is queued.
func (s *Session) write(ctx context.Context, p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), s.opts.ChunkSize)
		if err := s.queueInput(ctx, PayloadOutput, p[:k]); err != nil {
			return n, err
		}
		p = p[k:]
		n += k
	}
	s.sq.kick()
	return n, nil
}

// sendFlag sends a Flag message (never encrypted) after everything
// written before it.
func (s *Session) sendFlag(ctx context.Context, flag uint32) error {
	frame, err := s.out.add(ctx, true, PayloadFlag, FlagPayload(flag))
	if err != nil {
		return err
	}
	s.sq.queue(frame)
	s.sq.kick()
	return nil
}

// switchWriter is the session's output: the agent's bytes go to the
// current destination, or nowhere while there is none.
type switchWriter struct {
	mu  sync.Mutex
	dst io.Writer
}

func (w *switchWriter) set(dst io.Writer) {
	w.mu.Lock()
	w.dst = dst
	w.mu.Unlock()
}

func (w *switchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	dst := w.dst
	w.mu.Unlock()
	if dst == nil {
		return len(p), nil
	}
	if _, err := dst.Write(p); err != nil {
		if _, mux := dst.(*io.PipeWriter); mux {
			return 0, err // the multiplexer is gone: the session cannot go on
		}
		// The local connection is gone: what was meant for it is dropped,
		// as the plugin drops it.
	}
	return len(p), nil
}

// serveOneAtATime carries one connection at a time (agents without
// multiplexing, or a session without LocalPortForwarding), as the
// plugin's basic port forwarding: when the local connection closes, a
// DisconnectToPort flag tells the agent to close its own, which it
// reopens when the next connection's first bytes arrive. Connections
// that arrive meanwhile wait their turn, and are told so.
func (fw *forwarder) serveOneAtATime() error {
	queue := make(chan net.Conn, fw.fo.MaxWaiting)
	busy := make(chan struct{}, 1)
	acceptErr := make(chan error, 1)
	go func() {
		defer close(queue)
		for {
			c, err := fw.accept()
			if c == nil {
				acceptErr <- err
				return
			}
			if !fw.track(c) {
				c.Close()
				acceptErr <- nil
				return
			}
			select {
			case busy <- struct{}{}:
				<-busy
			default:
				if fw.mode == ForwardSingle {
					fw.fo.Notef("connection from %s refused: this session carries one connection (its document does not forward ports)", c.RemoteAddr())
					fw.untrack(c)
					c.Close()
					continue
				}
				fw.fo.Notef("connection from %s waits: agent %s carries one connection at a time (multiplexing needs an agent newer than %s); it starts when the current one closes",
					c.RemoteAddr(), fw.agent, MuxAfterAgentVersion)
			}
			select {
			case queue <- c:
			default:
				fw.fo.Notef("connection from %s refused: %d connections already wait for their turn", c.RemoteAddr(), fw.fo.MaxWaiting)
				fw.untrack(c)
				c.Close()
			}
		}
	}()
	for c := range queue {
		busy <- struct{}{}
		fw.carry(c)
		<-busy
		if fw.ctx.Err() != nil {
			break
		}
		if fw.mode == ForwardSingle {
			fw.ln.Close()
			break
		}
		if err := fw.s.sendFlag(fw.ctx, FlagDisconnectToPort); err != nil {
			break
		}
	}
	fw.ln.Close()
	for c := range queue {
		fw.untrack(c)
		c.Close()
	}
	select {
	case err := <-acceptErr:
		return err
	default:
		return nil
	}
}

// carry copies one connection both ways until it closes.
func (fw *forwarder) carry(c net.Conn) {
	defer fw.untrack(c)
	defer c.Close()
	fw.out.set(c)
	defer fw.out.set(nil)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := fw.s.write(fw.ctx, buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pipeBoth copies a local connection and a stream both ways; when either
// direction ends both are closed, as the plugin and agent do (smux v1
// streams have no half-close).
func pipeBoth(a, b io.ReadWriteCloser) {
	var once sync.Once
	closeBoth := func() { once.Do(func() { a.Close(); b.Close() }) }
	done := make(chan struct{})
	go func() {
		io.Copy(a, b)
		closeBoth()
		close(done)
	}()
	io.Copy(b, a)
	closeBoth()
	<-done
}

// muxConn is the byte stream smux runs over: the agent's output comes in
// through a pipe the session writes, and smux's writes go out as Output
// messages.
type muxConn struct {
	s   *Session
	ctx context.Context
	r   *io.PipeReader
}

func (c *muxConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *muxConn) Write(p []byte) (int, error) { return c.s.write(c.ctx, p) }
func (c *muxConn) Close() error                { return c.r.Close() }
