//go:build !windows

package main

import (
	"os"
	"syscall"
)

// resizeSignals tell that the terminal's size changed.
var resizeSignals = []os.Signal{syscall.SIGWINCH}

// forwardedSignals, sent to ssmdoctor during a shell on a terminal, go
// to the remote as the byte a terminal sends for them (Ctrl-Z, Ctrl-\),
// as the plugin does, instead of suspending or killing ssmdoctor with the
// terminal raw.
var forwardedSignals = map[os.Signal]byte{syscall.SIGTSTP: 0x1a, syscall.SIGQUIT: 0x1c}
