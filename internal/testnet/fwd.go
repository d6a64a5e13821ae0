package testnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// FwdServer is the destination of the port forwarding tests, on loopback
// until the test ends. Each connection starts with a command byte:
//
//	'U' n(8) data(n)  -> sha256(data)                  (upload)
//	'D' n(8) seed(1)  -> n pseudo-random bytes, close  (download)
//	'E'               -> echo until EOF                (echo)
func FwdServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveFwd(c)
		}
	}()
	return ln.Addr().String()
}

func serveFwd(c net.Conn) {
	defer c.Close()
	var cmd [1]byte
	if _, err := io.ReadFull(c, cmd[:]); err != nil {
		return
	}
	switch cmd[0] {
	case 'U':
		var n [8]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		h := sha256.New()
		if _, err := io.CopyN(h, c, int64(binary.BigEndian.Uint64(n[:]))); err != nil {
			return
		}
		c.Write(h.Sum(nil))
		io.Copy(io.Discard, c) // until the client closes
	case 'D':
		var hdr [9]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		io.Copy(c, FwdPayload(int64(binary.BigEndian.Uint64(hdr[:8])), hdr[8]))
	case 'E':
		io.Copy(c, c)
	}
}

// FwdPayload is n pseudo-random bytes drawn from seed.
func FwdPayload(n int64, seed byte) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

// FwdSum is the SHA-256 of FwdPayload(n, seed).
func FwdSum(n int64, seed byte) []byte {
	h := sha256.New()
	io.Copy(h, FwdPayload(n, seed))
	return h.Sum(nil)
}

// fwdDeadline bounds one upload or download.
const fwdDeadline = 3 * time.Minute

// FwdUpload sends n bytes through addr (to a FwdServer) and checks the
// digest the server returns.
func FwdUpload(addr string, n int64, seed byte) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(fwdDeadline))
	var hdr [9]byte
	hdr[0] = 'U'
	binary.BigEndian.PutUint64(hdr[1:], uint64(n))
	if _, err := c.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := io.Copy(c, FwdPayload(n, seed)); err != nil {
		return fmt.Errorf("upload to %s: %w", addr, err)
	}
	got := make([]byte, 32)
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("upload to %s: read digest: %w", addr, err)
	}
	if !bytes.Equal(got, FwdSum(n, seed)) {
		return fmt.Errorf("upload of %d bytes to %s: the server's digest differs", n, addr)
	}
	return nil
}

// FwdDownload asks for n bytes through addr (from a FwdServer) and checks
// them.
func FwdDownload(addr string, n int64, seed byte) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(fwdDeadline))
	var hdr [10]byte
	hdr[0] = 'D'
	binary.BigEndian.PutUint64(hdr[1:9], uint64(n))
	hdr[9] = seed
	if _, err := c.Write(hdr[:]); err != nil {
		return err
	}
	h := sha256.New()
	got, err := io.Copy(h, c)
	if err != nil || got != n || !bytes.Equal(h.Sum(nil), FwdSum(n, seed)) {
		return fmt.Errorf("download from %s: %d of %d bytes (%v), or different ones", addr, got, n, err)
	}
	return nil
}

// FwdEcho sends n bytes on an open echo connection ('E' already sent) and
// reads them back.
func FwdEcho(c net.Conn, n int64, seed byte) error {
	errc := make(chan error, 1)
	go func() {
		_, err := io.Copy(c, FwdPayload(n, seed))
		errc <- err
	}()
	h := sha256.New()
	if _, err := io.CopyN(h, c, n); err != nil {
		return fmt.Errorf("echo: read: %w", err)
	}
	if err := <-errc; err != nil {
		return fmt.Errorf("echo: write: %w", err)
	}
	if !bytes.Equal(h.Sum(nil), FwdSum(n, seed)) {
		return fmt.Errorf("echo of %d bytes: different bytes came back", n)
	}
	return nil
}
