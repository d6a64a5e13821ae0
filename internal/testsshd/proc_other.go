//go:build !unix

package testsshd

import "os/exec"

// Without process groups (Windows) only sshd itself is ended; the tests
// that need sshd run on Unix.
func setProcessGroup(*exec.Cmd) {}

func stopProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}
