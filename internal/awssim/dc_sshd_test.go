package awssim

import (
	"crypto/sha256"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
	"golang.org/x/crypto/ssh"
)

// dcQueueWriter hands the client's output to a goroutine that writes it
// to w, so the client's reader never blocks on the SSH side (which may
// itself be waiting to write to the tunnel).
type dcQueueWriter struct{ ch chan []byte }

func newDCQueueWriter(w io.WriteCloser) *dcQueueWriter {
	q := &dcQueueWriter{ch: make(chan []byte, 1<<16)}
	go func() {
		for p := range q.ch {
			if _, err := w.Write(p); err != nil {
				break
			}
		}
		w.Close()
	}()
	return q
}

func (q *dcQueueWriter) Write(p []byte) (int, error) {
	q.ch <- append([]byte(nil), p...)
	return len(p), nil
}

// dcTeeConn records the first bytes read, to check the server banner.
type dcTeeConn struct {
	net.Conn
	mu    sync.Mutex
	first []byte
}

func (c *dcTeeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if len(c.first) < 64 {
		c.first = append(c.first, p[:min(n, 64-len(c.first))]...)
	}
	c.mu.Unlock()
	return n, err
}

// TestDCSSHDCat runs OpenSSH's sshd behind the instance's port 22: the
// banner arrives through the channel, a Go SSH client logs in over it, and
// `cat` echoes 16 MiB byte-identical.
func TestDCSSHDCat(t *testing.T) {
	srv := testsshd.Start(t, testsshd.Options{})
	s, api, out := dcSession(t, srv.Addr, &DCOptions{PerMessageDelay: 0}, DCFaults{})

	local, remote := net.Pipe()
	c := newDCClient(t, api, out, idHealthy, newDCQueueWriter(remote))
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	if cc, ok := c.waitHandshake(); !ok {
		t.Fatalf("session closed during the handshake: %q", cc.Output)
	}
	upDone := make(chan error, 1)
	go func() { upDone <- c.upload(remote) }()

	tee := &dcTeeConn{Conn: local}
	cc, chans, reqs, err := ssh.NewClientConn(tee, srv.Addr, srv.ClientConfig())
	if err != nil {
		t.Fatalf("ssh over the data channel: %v\nsshd log:\n%s", err, srv.Log())
	}
	tee.mu.Lock()
	banner := string(tee.first)
	tee.mu.Unlock()
	if len(banner) < 15 || banner[:15] != "SSH-2.0-OpenSSH" {
		t.Fatalf("first bytes through the channel = %q, want the OpenSSH banner", banner)
	}
	client := ssh.NewClient(cc, chans, reqs)
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	const size = 16 * mib
	sess.Stdin = dcPayload(size)
	h := sha256.New()
	counter := &dcCount{w: h}
	sess.Stdout = counter
	if err := sess.Run("cat"); err != nil {
		t.Fatalf("remote cat: %v", err)
	}
	client.Close()
	var got [32]byte
	copy(got[:], h.Sum(nil))
	if counter.n != size || got != dcSum(size) {
		t.Fatalf("cat returned %d bytes, sha256 match %v; want %d identical", counter.n, got == dcSum(size), size)
	}
	// ssh hung up without a disconnect message, so sshd would wait: the
	// client ends the session with the TerminateSession flag, as the
	// plugin does for port forwarding.
	if err := <-upDone; err != nil {
		t.Fatalf("upload: %v", err)
	}
	if err := c.send(tunnel.PayloadFlag, tunnel.FlagPayload(tunnel.FlagTerminateSession)); err != nil {
		t.Fatal(err)
	}
	closed := c.waitClosed(time.Minute)
	if closed.Output != "" {
		t.Errorf("channel_closed Output = %q", closed.Output)
	}
	if w := s.DataChannelWarnings(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	t.Logf("client: %s", c.stats())
}

type dcCount struct {
	w io.Writer
	n int64
}

func (c *dcCount) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}
