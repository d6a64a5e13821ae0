package awssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/creack/pty"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// Shell sessions (docs/session-protocol.md#shell-sessions) as the agent
// runs them (its session shell plugin): a shell, or for
// AWS-StartInteractiveCommand `sh -c COMMAND`, under a pseudo-terminal;
// the client's Output payloads are written to the terminal, its Size
// payloads resize it, and the terminal's output goes back paced and
// acknowledged like a port session's TCP data.
//
// The simulator runs a real program on this machine, so only for an
// instance whose scenario names one ("Shell": "/bin/sh"): any local user
// holding the demo credentials could otherwise get a shell. It runs as
// the user running the simulator, in a new temporary directory, with a
// minimal environment.
//
// What the agent does and the simulator copies:
//   - No handshake unless the session is encrypted: the agent's shell
//     plugins do not require one, and encryption (the preferences' KMS
//     key) is the only reason to perform it. With a key the handshake
//     asks for the SessionType (Properties null) and then KMSEncryption,
//     in that order, then the challenge, then HandshakeComplete.
//   - Input that arrives before the terminal exists is refused (no ack),
//     so the client sends it again.
//   - When the shell exits the agent closes the session normally: the
//     service sends channel_closed with no output. The shell's exit
//     status is not reported (only NonInteractiveCommands with separate
//     output streams send an ExitCode payload; the simulator runs
//     NonInteractiveCommands without them, dc_shell_command.go).
//   - A shell the agent cannot start ends the session with the reason in
//     channel_closed.

// dcShell is the running shell of a channel.
type dcShell struct {
	cmd *exec.Cmd
	pty *os.File
	dir string
}

// shellType is the session type of a shell document ("" for port
// documents): the preferences document runs Standard_Stream.
func (ss *simSession) shellType() string {
	if ss.DocumentName == runShellDoc {
		return tunnel.SessionTypeShell
	}
	if d, ok := awsSessionDocs[ss.DocumentName]; ok && d.sessionType != "Port" {
		return d.sessionType
	}
	return ""
}

func (ch *dcChannel) isShell() bool { return ch.shellType != "" }

// startShellSession begins a shell session on a fresh channel: the
// handshake when it is encrypted, else straight to the shell. ch.mu held.
func (ch *dcChannel) startShellSession() {
	if ch.kmsKeyID() == "" && ch.shellType != tunnel.SessionTypeNonInteractive {
		ch.stage = hsDialing
		go ch.connectTarget()
		return
	}
	st, _ := json.Marshal(tunnel.SessionTypeRequest{SessionType: ch.shellType, Properties: json.RawMessage("null")})
	ch.sendHandshakeRequest(st)
}

// shellUnavailable is the failure a session to an instance without a
// shell ends with, in the agent's words for a command it cannot start.
func shellUnavailable(target string) string {
	return "Unable to start command: no shell on " + target + ` (the simulator runs shells only for instances whose scenario sets "Shell", e.g. "/bin/sh")`
}

// shellCommand is what the agent would run for the session: the
// instance's shell, with -c COMMAND for InteractiveCommands.
func (s *Sim) shellCommand(ss *simSession) (*exec.Cmd, error) {
	shell := s.instanceShell(ss)
	if shell == "" {
		return nil, errors.New(shellUnavailable(ss.Target))
	}
	c := ss.Params["command"]
	switch {
	case ss.shellType() == tunnel.SessionTypeNonInteractive:
		// The agent splits the command as a shell would, without one.
		args, err := splitCommand(c)
		if err != nil || len(args) == 0 {
			return nil, fmt.Errorf("Failed to parse commands input: %q", c)
		}
		return exec.Command(args[0], args[1:]...), nil
	case ss.shellType() == tunnel.SessionTypeInteractive && c != "":
		return exec.Command(shell, "-c", c), nil
	}
	return exec.Command(shell), nil
}

// instanceShell is the scenario's Shell of the session's instance.
func (s *Sim) instanceShell(ss *simSession) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst, ok := s.state.Instances[ss.Target]; ok {
		return inst.Shell
	}
	return ""
}

// connectShell starts the shell under a terminal, completes the
// handshake if there was one and starts carrying its output.
func (ch *dcChannel) connectShell() {
	cmd, err := ch.s.shellCommand(ch.sess)
	if err != nil {
		ch.s.logf("data channel %s: %v", ch.id, err)
		ch.finish(err.Error())
		return
	}
	dir, err := os.MkdirTemp("", "ssmdoctor-sim-shell-")
	if err != nil {
		ch.finish("Unable to start command: " + err.Error())
		return
	}
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + dir,
		"SHELL=" + ch.s.instanceShell(ch.sess),
		"TERM=xterm-256color", // as the agent sets
		"LANG=C.UTF-8",
	}
	if ch.shellType == tunnel.SessionTypeNonInteractive {
		ch.runCommand(cmd, dir)
		return
	}
	f, err := pty.Start(cmd)
	if err != nil {
		os.RemoveAll(dir)
		ch.s.logf("data channel %s: start shell: %v", ch.id, err)
		ch.finish(fmt.Sprintf("Unable to start command: %v", err))
		return
	}
	sh := &dcShell{cmd: cmd, pty: f, dir: dir}
	go sh.wait(ch)
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.ended {
		sh.stop()
		f.Close()
		return
	}
	ch.shell = sh
	ch.completeShellHandshake()
	ch.stage = hsDone
	ch.s.logf("data channel %s: %s session: started %s (pid %d) in %s", ch.id, ch.shellType, cmd.Path, cmd.Process.Pid, dir)
	ch.tcp = ch.startTCP(ptyConn{f}, "pty")
}

// completeShellHandshake sends HandshakeComplete when there was a
// handshake. ch.mu held.
func (ch *dcChannel) completeShellHandshake() {
	if ch.hsTimer != nil {
		ch.hsTimer.Stop()
	}
	if ch.hsStarted.IsZero() {
		return
	}
	msg := ""
	if ch.enc != nil {
		msg = "This session is encrypted using AWS KMS."
	}
	p, _ := json.Marshal(tunnel.HandshakeComplete{HandshakeTimeToComplete: time.Since(ch.hsStarted).Nanoseconds(), CustomerMessage: msg})
	ch.sendStream(tunnel.PayloadHandshakeComplete, p)
}

// wait reaps the shell, logs its status and removes its directory; when
// the channel ends first, the shell is hung up on.
func (sh *dcShell) wait(ch *dcChannel) {
	exited := make(chan struct{})
	go func() {
		select {
		case <-ch.ctx.Done():
			sh.stop()
		case <-exited:
		}
	}()
	err := sh.cmd.Wait()
	close(exited)
	status := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		status = ee.ExitCode()
	}
	// Not reported to the client: the agent does not report an
	// interactive shell's status.
	ch.s.logf("data channel %s: shell exited with status %d", ch.id, status)
	os.RemoveAll(sh.dir)
}

// shellInput writes client keystrokes to the terminal. Before the
// terminal exists they are refused without an ack (the agent's handler
// is not ready) unless a handshake is under way, whose rule (ack and
// drop) the port sessions share. ch.mu held.
func (ch *dcChannel) shellInput(m *tunnel.Message, force bool) bool {
	if ch.shell != nil && ch.shell.pty == nil {
		return ch.commandInput(m)
	}
	if ch.stage != hsDone || ch.tcp == nil {
		if ch.hsStarted.IsZero() {
			return false
		}
		ch.s.dcWarn(ch.id, "input_stream_data seq %d: data before HandshakeComplete dropped", m.SequenceNumber)
		return true
	}
	payload := m.Payload
	if ch.dec != nil {
		p, err := dcOpen(ch.dec, payload)
		if err != nil {
			ch.s.dcWarn(ch.id, "input_stream_data seq %d: decrypt: %v; dropped", m.SequenceNumber, err)
			return true
		}
		payload = p
	}
	if len(payload) == 0 {
		return true
	}
	return ch.tcp.enqueue(payload, force)
}

// shellResize applies a Size payload to the terminal; a port session
// has none and ignores it. False (refused, sent again) while the
// terminal does not exist yet. ch.mu held.
func (ch *dcChannel) shellResize(m *tunnel.Message) bool {
	if !ch.isShell() {
		return true
	}
	if ch.shell == nil {
		return false
	}
	if ch.shell.pty == nil {
		return true // a command without a terminal ignores sizes, as the agent does
	}
	var sz tunnel.TermSize
	if err := json.Unmarshal(m.Payload, &sz); err != nil {
		ch.s.dcWarn(ch.id, "input_stream_data seq %d: size payload is not {\"cols\":N,\"rows\":N}: %v", m.SequenceNumber, err)
		return true
	}
	ws := &pty.Winsize{Cols: uint16(min(sz.Cols, 0xffff)), Rows: uint16(min(sz.Rows, 0xffff))}
	if err := pty.Setsize(ch.shell.pty, ws); err != nil {
		ch.s.logf("data channel %s: resize the terminal: %v", ch.id, err)
	}
	return true
}

// checkInstanceShell validates a scenario's Shell: an absolute path.
func checkInstanceShell(inst *Instance) error {
	if inst.Shell != "" && !filepath.IsAbs(inst.Shell) {
		return scenarioErr("instance", inst.ID, "Shell %q must be an absolute path such as /bin/sh", inst.Shell)
	}
	return nil
}

// ptyConn lets the port sessions' target plumbing (dcTCP: the bounded
// input queue, the paced output pump) drive a terminal.
type ptyConn struct{ *os.File }

type ptyAddr struct{}

func (ptyAddr) Network() string { return "pty" }
func (ptyAddr) String() string  { return "pty" }

func (ptyConn) LocalAddr() net.Addr  { return ptyAddr{} }
func (ptyConn) RemoteAddr() net.Addr { return ptyAddr{} }

// AWS-StartInteractiveCommand runs one command under a terminal,
// AWS-StartNonInteractiveCommand one without; their "command" parameter
// becomes the shell properties' commands. Both stand in ssm_documents.go's
// table of AWS-owned session documents.
func commandSessionDoc(sessionType, description string) sessionDoc {
	props := map[string]any{"commands": "{{ command }}", "runAsElevated": false}
	return sessionDoc{
		sessionType: sessionType,
		content: map[string]any{
			"schemaVersion": "1.0",
			"description":   description,
			"sessionType":   sessionType,
			"parameters": map[string]any{
				"command": map[string]any{"type": "String", "description": "The command to run on the instance"},
			},
			"properties": map[string]any{"windows": props, "linux": props, "macos": props},
		},
	}
}
