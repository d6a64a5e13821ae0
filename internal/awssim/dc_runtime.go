package awssim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// dcRuntime is the data channel's runtime state: the tuning and faults
// that new sessions copy, the conformance warnings, and the live channels
// by session id. Guarded by its own mu, never held with Sim.mu.
type dcRuntime struct {
	mu       sync.Mutex
	opts     DCOptions
	optsSet  bool
	faults   DCFaults
	warnings []string
	chans    map[string]*dcChannel
}

// dcMaxFrame bounds one inbound websocket message. The service's real
// limit is unknown (docs/session-protocol.md#limits); this admits 1 MiB
// payloads from native clients that send larger chunks than the plugin's
// 1 KiB.
const dcMaxFrame = 1<<20 + tunnel.HeaderSize

// serveDataChannel is the ssmmessages websocket at /v1/data-channel/<id>:
// it authenticates the open message's token and hands the socket to the
// session's channel, which plays the service and the agent.
func (s *Sim) serveDataChannel(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/v1/data-channel/")
	if id == "" || strings.Contains(id, "/") {
		http.NotFound(w, r)
		return
	}
	hw := &corkingHijacker{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, nil)
	if err != nil {
		s.logf("data channel %s: websocket accept: %v", id, err)
		return
	}
	ws.SetReadLimit(dcMaxFrame)
	opts, _ := s.dcSnapshot()

	// The open message has the same deadline as a handshake reply: a peer
	// that connects and says nothing must not hold a goroutine forever.
	rctx, cancel := context.WithTimeout(s.closeCtx, opts.HandshakeTimeout)
	typ, data, err := ws.Read(rctx)
	cancel()
	if err != nil {
		s.logf("data channel %s: read open message: %v", id, err)
		ws.CloseNow()
		return
	}
	if typ != websocket.MessageText {
		s.dcWarn(id, "first frame is binary; the open message must be a text frame")
		ws.Close(websocket.StatusPolicyViolation, "expected a text open message")
		return
	}
	var open tunnel.OpenDataChannel
	if err := json.Unmarshal(data, &open); err != nil {
		s.dcWarn(id, "open message is not JSON: %v", err)
		ws.Close(websocket.StatusPolicyViolation, "malformed open message")
		return
	}
	s.checkOpenMessage(id, open)
	sess, ok := s.lookupSessionToken(id, open.TokenValue)
	if !ok {
		s.logf("data channel %s: open refused: token unknown, used or not of this session", id)
		ws.Close(websocket.StatusPolicyViolation, "invalid token")
		return
	}
	ch, err := s.dcChannelFor(sess, open.ClientID)
	if err != nil {
		s.logf("data channel %s: open refused: %v", id, err)
		ws.Close(websocket.StatusPolicyViolation, err.Error())
		return
	}
	ch.serve(ws, hw.cork)
}

// corkingHijacker hands coder/websocket a CorkedConn, so that the
// channel's writer can send a batch of frames in one system call.
type corkingHijacker struct {
	http.ResponseWriter
	cork *tunnel.CorkedConn
}

func (h *corkingHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack data channel connection: not supported by the server")
	}
	c, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.cork = tunnel.NewCorkedConn(c)
	h.cork.CarriesFrames(false) // the simulator serves plain HTTP: frames go on c as they are
	// The buffered reader may hold bytes already read from c; the writer
	// must write through the cork.
	return h.cork, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(h.cork, 64<<10)), nil
}

func (s *Sim) checkOpenMessage(id string, open tunnel.OpenDataChannel) {
	if open.MessageSchemaVersion != "1.0" {
		s.dcWarn(id, "open message MessageSchemaVersion %q, want \"1.0\"", open.MessageSchemaVersion)
	}
	if _, err := tunnel.ParseUUID(open.RequestID); err != nil || len(open.RequestID) != 36 {
		s.dcWarn(id, "open message RequestId %q is not a hyphenated UUID", open.RequestID)
	}
	if open.ClientID == "" {
		s.dcWarn(id, "open message has no ClientId")
	}
}

var errClientMismatch = errors.New("ClientId differs from the one that opened the session")

// dcChannelFor returns the session's channel, creating it on the first
// open. A reconnect must come from the client that opened it.
func (s *Sim) dcChannelFor(sess *simSession, clientID string) (*dcChannel, error) {
	s.mu.Lock()
	switch {
	case sess.Terminated:
		s.mu.Unlock()
		return nil, errors.New("session already ended")
	case sess.ClientID == "":
		sess.ClientID = clientID
	case sess.ClientID != clientID:
		s.mu.Unlock()
		return nil, errClientMismatch
	}
	s.mu.Unlock()

	s.ext.dc.mu.Lock()
	defer s.ext.dc.mu.Unlock()
	if ch, ok := s.ext.dc.chans[sess.ID]; ok {
		return ch, nil
	}
	if s.ext.dc.chans == nil {
		s.ext.dc.chans = map[string]*dcChannel{}
	}
	opts := s.ext.dc.opts
	if !s.ext.dc.optsSet {
		opts = defaultDCOptions()
	}
	ch := newDCChannel(s, sess, clientID, opts, s.ext.dc.faults)
	s.ext.dc.chans[sess.ID] = ch
	return ch, nil
}

func (s *Sim) dcForget(id string) {
	s.ext.dc.mu.Lock()
	delete(s.ext.dc.chans, id)
	s.ext.dc.mu.Unlock()
}

func (s *Sim) dcChannel(id string) (*dcChannel, bool) {
	s.ext.dc.mu.Lock()
	defer s.ext.dc.mu.Unlock()
	ch, ok := s.ext.dc.chans[id]
	return ch, ok
}

// SetDataChannelPaused sends pause_publication (paused) or
// start_publication on a live session's channel; while paused the agent
// sends no stream data.
func (s *Sim) SetDataChannelPaused(sessionID string, paused bool) error {
	ch, ok := s.dcChannel(sessionID)
	if !ok {
		return errors.New("set data channel publication: no open data channel for session " + sessionID)
	}
	ch.mu.Lock()
	ch.setPaused(paused)
	ch.mu.Unlock()
	return nil
}
