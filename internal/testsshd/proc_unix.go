//go:build unix

package testsshd

import (
	"os/exec"
	"syscall"
)

// sshd forks a child per connection; a process group of its own lets the
// cleanup end those children too, and only those.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func stopProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	// Negative pid: the group sshd leads, which we created above.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
}
