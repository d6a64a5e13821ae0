// Package testnet holds network stand-ins for tests (only tests import
// it): a host that accepts connections and never answers.
package testnet

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Silent listens on loopback, accepts every connection and never sends a
// byte: an endpoint or proxy behind a firewall that still completes the
// TCP handshake. accepted counts the connections. The listener and its
// connections close when the test ends.
func Silent(tb testing.TB) (addr string, accepted *atomic.Int32) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	accepted = new(atomic.Int32)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), accepted
}
