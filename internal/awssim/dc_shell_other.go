//go:build !unix

package awssim

// stop kills the shell. (Pseudo-terminals, and so shell sessions, exist
// only on Unix: pty.Start fails elsewhere and the session is refused
// before a shell runs.)
func (sh *dcShell) stop() {
	sh.cmd.Process.Kill()
}
