//go:build unix

package awssim

import (
	"syscall"
	"time"
)

// stop hangs up on the shell's process group, then kills what is left.
func (sh *dcShell) stop() {
	pid := sh.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGHUP)
	time.AfterFunc(2*time.Second, func() { syscall.Kill(-pid, syscall.SIGKILL) })
}
