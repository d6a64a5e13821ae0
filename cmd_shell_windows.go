//go:build windows

package main

import "os"

// Windows has no resize signal (the size is polled) and no job-control
// signals to forward: in raw mode the console sends Ctrl-C and Ctrl-Z
// as bytes.
var (
	resizeSignals    []os.Signal
	forwardedSignals = map[os.Signal]byte{}
)
