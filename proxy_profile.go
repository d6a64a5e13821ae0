package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startProxyProfile writes a CPU profile of the proxy to the file named by
// SSMDOCTOR_CPUPROFILE. The proxy runs under ssh, which owns its stdio, so
// an environment variable is the only way to ask for one. Hidden: it is
// for measuring the tunnel, not for users.
func startProxyProfile(stderr io.Writer) (stop func()) {
	path := os.Getenv("SSMDOCTOR_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "ssmdoctor proxy: cpu profile: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "ssmdoctor proxy: cpu profile: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
