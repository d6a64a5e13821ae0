package awssim

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// NonInteractiveCommands (AWS-StartNonInteractiveCommand) as the agent
// runs them without separate output streams: the command runs without a
// terminal, its stdout and stderr go to one file, and once it has exited
// the file is sent as Output; the session then closes normally. Input is
// only searched for Ctrl-C and Ctrl-\, which signal the command; sizes
// are ignored; no exit status is sent (the agent sends one only with
// separate output streams, which no AWS document asks for).

// runCommand starts cmd in dir and sends its output once it exits.
func (ch *dcChannel) runCommand(cmd *exec.Cmd, dir string) {
	out, err := os.CreateTemp(dir, "output-")
	if err == nil {
		cmd.Stdout, cmd.Stderr = out, out
		err = cmd.Start()
	}
	if err != nil {
		if out != nil {
			out.Close()
		}
		os.RemoveAll(dir)
		ch.s.logf("data channel %s: start command: %v", ch.id, err)
		ch.finish(fmt.Sprintf("Unable to start command: %v", err))
		return
	}
	sh := &dcShell{cmd: cmd, dir: dir}
	ch.mu.Lock()
	if ch.ended {
		ch.mu.Unlock()
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
		os.RemoveAll(dir)
		return
	}
	ch.shell = sh
	ch.completeShellHandshake()
	ch.stage = hsDone
	ch.s.logf("data channel %s: %s session: started %s (pid %d) in %s", ch.id, tunnel.SessionTypeNonInteractive, cmd.Path, cmd.Process.Pid, dir)
	ch.mu.Unlock()
	go func() {
		done := make(chan struct{})
		go func() {
			select {
			case <-ch.ctx.Done():
				cmd.Process.Kill()
			case <-done:
			}
		}()
		err := cmd.Wait()
		close(done)
		status := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.ExitCode()
		}
		ch.s.logf("data channel %s: command exited with status %d", ch.id, status)
		defer os.RemoveAll(dir)
		if _, err := out.Seek(0, 0); err != nil {
			out.Close()
			ch.finish("")
			return
		}
		ch.mu.Lock()
		if ch.ended {
			ch.mu.Unlock()
			out.Close()
			return
		}
		// The file's end is the target's EOF: the session closes once the
		// client has acknowledged it all.
		ch.tcp = ch.startTCP(ptyConn{out}, "command output")
		ch.mu.Unlock()
		<-ch.ctx.Done()
	}()
}

// commandInput looks for the control characters the agent turns into
// signals for a command without a terminal; everything else is dropped.
// ch.mu held.
func (ch *dcChannel) commandInput(m *tunnel.Message) bool {
	payload := m.Payload
	if ch.dec != nil {
		p, err := dcOpen(ch.dec, payload)
		if err != nil {
			ch.s.dcWarn(ch.id, "input_stream_data seq %d: decrypt: %v; dropped", m.SequenceNumber, err)
			return true
		}
		payload = p
	}
	for _, b := range payload {
		var sig os.Signal
		switch b {
		case 0x03:
			sig = syscall.SIGINT
		case 0x1c:
			sig = syscall.SIGQUIT
		default:
			continue
		}
		if p := ch.shell.cmd.Process; p != nil {
			p.Signal(sig)
		}
		break
	}
	return true
}

// splitCommand splits a command line as a POSIX shell would split words
// (blanks, single and double quotes, backslashes), without running one:
// how the agent reads a non-interactive command.
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
