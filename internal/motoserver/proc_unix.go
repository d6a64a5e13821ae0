//go:build unix

package motoserver

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts moto in its own group so that Stop also ends any
// worker it forked.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killProcessGroup(cmd *exec.Cmd) {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}
