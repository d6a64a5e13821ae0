//go:build !unix

package main

import (
	"os"
	"os/exec"
	"time"
)

// Windows stand-ins for proc_unix_test.go: no getrusage (the CPU metrics
// read 0) and no process groups (only the process itself is ended).

const (
	rusageSelf     = 0
	rusageChildren = -1
)

func rusageCPU(int) time.Duration { return 0 }

func newProcessGroup(*exec.Cmd) {}

func killProcessGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
