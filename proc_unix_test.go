//go:build unix

package main

import (
	"os/exec"
	"syscall"
	"time"
)

// The Unix-only parts of the tests, so that they build for Windows too.

const (
	rusageSelf     = syscall.RUSAGE_SELF
	rusageChildren = syscall.RUSAGE_CHILDREN
)

// rusageCPU is the CPU time (user and system) of this process or of its
// waited-for children.
func rusageCPU(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// newProcessGroup makes cmd lead a process group of its own, so that
// killProcessGroup ends it and every child it left.
func newProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killProcessGroup(pgid int) { syscall.Kill(-pgid, syscall.SIGKILL) }
