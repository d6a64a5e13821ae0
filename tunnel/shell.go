package tunnel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Shell sessions (Standard_Stream): the agent runs a shell (or, for
// AWS-StartInteractiveCommand, one command) under a pseudo-terminal and
// the data channel carries keystrokes one way and the terminal's output
// the other (docs/session-protocol.md#shell-sessions).
//
// How they differ from a port session:
//   - Without a KMS key the agent performs no handshake: its first
//     stream message is Output, and that makes the session a shell, as
//     the plugin decides. With a key, the handshake names the session
//     type (Standard_Stream, InteractiveCommands or
//     NonInteractiveCommands) and asks for encryption.
//   - The client sends the terminal size (PayloadType Size, JSON
//     {"cols":N,"rows":N}, never encrypted) at the start and on every
//     change.
//   - Input ends without ending the session: the session is over when the
//     agent closes it (the shell exited). An interactive shell's exit
//     status is not reported by the agent; NonInteractiveCommands with
//     separate output streams report it as an ExitCode payload
//     "EXIT_CODE: N", and StdErr payloads carry the command's stderr.

// Session types a shell client accepts; the plugin maps all three to its
// shell handler.
const (
	SessionTypeShell          = "Standard_Stream"
	SessionTypeInteractive    = "InteractiveCommands"
	SessionTypeNonInteractive = "NonInteractiveCommands"
	// DocumentShell is the document a shell session starts by default:
	// the account's Session Manager preferences.
	DocumentShell = "SSM-SessionManagerRunShell"
	// DocumentInteractiveCommand runs one command given as the
	// parameter "command".
	DocumentInteractiveCommand = "AWS-StartInteractiveCommand"
	// DocumentNonInteractiveCommand runs one command, given as the
	// parameter "command", without a terminal.
	DocumentNonInteractiveCommand = "AWS-StartNonInteractiveCommand"
)

// TermSize is a terminal size, the payload of a Size message.
type TermSize struct {
	Cols uint32 `json:"cols"`
	Rows uint32 `json:"rows"`
}

// ShellIO is the local side of a shell session.
type ShellIO struct {
	Stdin  io.Reader
	Stdout io.Writer
	// Stderr receives StdErr payloads; nil sends them to Stdout.
	Stderr io.Writer
	// Sizes carries the terminal's size: the value waiting when the
	// session becomes ready is sent first, then each one that differs
	// from the last sent. nil (not a terminal) sends no size at all.
	Sizes <-chan TermSize
	// Keys carries bytes typed outside stdin, such as the control
	// character of a signal delivered to this process; nil for none.
	Keys <-chan []byte
	// OnReady runs once the session is ready, before stdin is read: the
	// place to put the terminal in raw mode.
	OnReady func()
	// EndOfInput is sent once stdin has ended and everything before it
	// is acknowledged (for piped input: the terminal's end-of-file
	// character, so that the remote shell ends when its input does).
	EndOfInput []byte
}

// ShellResult is how a shell session ended.
type ShellResult struct {
	// SessionType is the type the agent's handshake named; "" when the
	// agent performed no handshake (a Standard_Stream shell).
	SessionType string
	// ExitCode is the remote status when HasExitCode: only agents running
	// NonInteractiveCommands with separate output streams report one.
	ExitCode    int
	HasExitCode bool
}

// shellState is a shell session's side of the Session. Its fields are
// the reader goroutine's until Run returns.
type shellState struct {
	io          ShellIO
	sessionType string
	exitCode    int
	hasExit     bool
	hsStarted   bool // a HandshakeRequest named the session type
}

// OpenShell starts a shell session on opts.Target: StartSession with
// opts.Document (SSM-SessionManagerRunShell when empty) and
// opts.Parameters (none when nil), then the data channel. Port and the
// port parameters are not used.
func OpenShell(ctx context.Context, api SessionAPI, opts Options) (*Session, error) {
	if opts.Document == "" {
		opts.Document = DocumentShell
	}
	if opts.Parameters == nil {
		opts.Parameters = map[string][]string{}
	}
	s, err := Open(ctx, api, opts)
	if err != nil {
		return nil, err
	}
	s.shell = &shellState{}
	return s, nil
}

// RunShell runs an open shell session until the agent closes it, the
// session fails or ctx ends. Input that ends does not end the session
// (see ShellIO.EndOfInput). A nil error with an empty ClosedError means
// the remote side ended normally.
func (s *Session) RunShell(ctx context.Context, sio ShellIO) (ShellResult, error) {
	if s.shell == nil {
		return ShellResult{}, errors.New("session: RunShell on a session not opened with OpenShell")
	}
	s.shell.io = sio
	err := s.Run(ctx, sio.Stdin, sio.Stdout)
	sh := s.shell
	var st *SetupTimeoutError
	if errors.As(err, &st) && st.Stage == "handshake" && !sh.hsStarted {
		// No handshake is normal for a shell: what did not come is the
		// shell's first output.
		err = fmt.Errorf("session %s: %w", s.id, &SetupTimeoutError{Within: st.Within, Stage: "shell start",
			Err: errors.New("the agent sent neither a handshake nor the shell's first output")})
	}
	return ShellResult{SessionType: sh.sessionType, ExitCode: sh.exitCode, HasExitCode: sh.hasExit}, err
}

// checkSessionType is the handshake's SessionType action: "" accepts
// it, anything else is the reason for refusing it.
func (s *Session) checkSessionType(t string) string {
	if s.shell == nil {
		if t == "Port" {
			return ""
		}
		return fmt.Sprintf("session type %q is not supported; this client forwards a port", t)
	}
	switch t {
	case SessionTypeShell, SessionTypeInteractive, SessionTypeNonInteractive:
		s.shell.sessionType = t
		s.shell.hsStarted = true
		return ""
	}
	return fmt.Sprintf("session type %q is not supported; this client opens a shell (Standard_Stream)", t)
}

// shellOutputBeforeReady applies the plugin's rule for agents that skip
// the handshake: a first stream message of type Output, with no
// handshake begun, makes the session a shell and ready. Reader
// goroutine.
func (s *Session) shellOutputBeforeReady() {
	if s.shell == nil || s.sessionTypeOK || s.shell.hsStarted {
		return
	}
	s.sessionTypeOK = true
	s.readyOnce.Do(func() { close(s.ready) })
}

// shellPayload handles the StdErr and ExitCode payloads of a shell
// session (already decrypted); false when the session is not a shell.
func (s *Session) shellPayload(pt PayloadType, p []byte) bool {
	sh := s.shell
	if sh == nil {
		return false
	}
	switch pt {
	case PayloadStdErr:
		w := sh.io.Stderr
		if w == nil {
			w = sh.io.Stdout
		}
		if w != nil && len(p) > 0 {
			w.Write(p)
		}
	case PayloadExitCode:
		if code, ok := parseExitCode(p); ok {
			sh.exitCode, sh.hasExit = code, true
		} else {
			s.opts.Logf("ignored an exit code payload that is not EXIT_CODE: N (%d bytes)", len(p))
		}
	}
	return true
}

// parseExitCode reads the agent's "EXIT_CODE: N".
func parseExitCode(p []byte) (int, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(string(p)), "EXIT_CODE:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, false
	}
	return n, true
}

type shellChunk struct {
	p   []byte
	err error
}

// pumpShell sends the terminal's size, its keystrokes and the extra
// keys until ctx ends. The end of stdin is not the end of the session.
func (s *Session) pumpShell(ctx context.Context, stdin io.Reader) {
	sio := s.shell.io
	if sio.OnReady != nil {
		sio.OnReady()
	}
	var last TermSize
	sizes, keys := sio.Sizes, sio.Keys
	sendSize := func(sz TermSize) bool {
		if sz == last || sz.Cols == 0 || sz.Rows == 0 {
			return true
		}
		last = sz
		p, _ := json.Marshal(sz)
		return s.sendShell(ctx, PayloadSize, p)
	}
	// The size comes before the first keystroke.
	select {
	case sz, ok := <-sizes:
		if ok && !sendSize(sz) {
			return
		}
	default:
	}
	in := make(chan shellChunk)
	go func() {
		// Two buffers in turn, not one per read: the hand-off is
		// unbuffered, so once the loop below takes one it has finished
		// with the other, which the next read fills.
		bufs := [2][]byte{make([]byte, s.opts.ChunkSize), make([]byte, s.opts.ChunkSize)}
		for i := 0; ; i ^= 1 {
			buf := bufs[i]
			n, err := stdin.Read(buf)
			select {
			case in <- shellChunk{buf[:n], err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case c := <-in:
			if len(c.p) > 0 && !s.sendShell(ctx, PayloadOutput, c.p) {
				return
			}
			switch {
			case errors.Is(c.err, io.EOF):
				in = nil
				if !s.endShellInput(ctx) {
					return
				}
			case c.err != nil:
				s.finish(fmt.Errorf("session %s: read input: %w", s.id, c.err))
				return
			}
		case sz, ok := <-sizes:
			if !ok {
				sizes = nil
				continue
			}
			if !sendSize(sz) {
				return
			}
		case k, ok := <-keys:
			if !ok {
				keys = nil
				continue
			}
			if len(k) > 0 && !s.sendShell(ctx, PayloadOutput, k) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// endShellInput waits (bounded) for the agent to acknowledge the input,
// then sends EndOfInput; false when the session is over.
func (s *Session) endShellInput(ctx context.Context) bool {
	fctx, cancel := context.WithTimeout(ctx, s.opts.FlushTimeout)
	defer cancel()
	if err := s.out.wait(fctx, func() bool { return s.out.open == 0 }, s.sq.kick); err != nil {
		if ctx.Err() != nil {
			return false
		}
		s.opts.Logf("session %s: input ended; %d messages still unacknowledged after %v", s.id, s.out.unacked(), s.opts.FlushTimeout)
	}
	if len(s.shell.io.EndOfInput) > 0 {
		return s.sendShell(ctx, PayloadOutput, s.shell.io.EndOfInput)
	}
	return true
}

// sendShell sends one input message at once: keystrokes are not batched.
// Only Output is encrypted (Size never is).
func (s *Session) sendShell(ctx context.Context, pt PayloadType, p []byte) bool {
	if s.queueInput(ctx, pt, p) != nil {
		return false
	}
	s.sq.kick()
	return true
}
