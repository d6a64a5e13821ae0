package tunnel

import (
	"errors"
	"fmt"
	"io"

	"github.com/xtaci/smux"
)

// MuxConfig is the smux configuration the session-manager-plugin uses
// with an agent of this version: smux's defaults (protocol version 1,
// 32 KiB frames, 4 MiB session and 64 KiB stream buffers, keepalive every
// 10 s with a 30 s timeout), keepalive off for agents newer than
// SmuxKeepAliveOffAfterAgentVersion. The agent side mirrors it.
func MuxConfig(agentVersion string) *smux.Config {
	c := smux.DefaultConfig()
	if AgentNewer(agentVersion, SmuxKeepAliveOffAfterAgentVersion) {
		c.KeepAliveDisabled = true
	}
	return c
}

// serveMux runs the smux client over the session and opens one stream per
// accepted connection.
func (fw *forwarder) serveMux() error {
	pr, pw := io.Pipe()
	fw.out.set(pw)
	conn := &muxConn{s: fw.s, ctx: fw.ctx, r: pr}
	ms, err := smux.Client(conn, MuxConfig(fw.agent))
	if err != nil {
		return fmt.Errorf("session %s: start the multiplexer: %w", fw.s.id, err)
	}
	fw.onStop(func() {
		ms.Close()
		pw.CloseWithError(io.ErrClosedPipe)
	})
	// A multiplexer that dies (its keepalive timed out, a protocol error)
	// takes the listener with it: nothing could be carried any more.
	// (The client's AcceptStream returns only when the session closes:
	// the agent never opens streams; one it did would be closed.)
	go func() {
		for {
			st, err := ms.AcceptStream()
			if err != nil {
				fw.ln.Close()
				return
			}
			st.Close()
		}
	}()
	for {
		c, err := fw.accept()
		if c == nil {
			if err == nil && ms.IsClosed() && fw.ctx.Err() == nil {
				return fmt.Errorf("session %s: %w", fw.s.id, errMuxClosed)
			}
			return err
		}
		if !fw.track(c) {
			c.Close()
			return nil
		}
		st, err := ms.OpenStream()
		if err != nil {
			fw.untrack(c)
			c.Close()
			if ms.IsClosed() {
				if fw.ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("session %s: %w", fw.s.id, errMuxClosed)
			}
			fw.fo.Notef("connection from %s closed: open a stream: %v", c.RemoteAddr(), err)
			continue
		}
		go func() {
			defer fw.untrack(c)
			pipeBoth(c, st)
		}()
	}
}

var errMuxClosed = errors.New("the connection multiplexer closed (its keepalive got no answer for 30 s, or the agent closed it)")
