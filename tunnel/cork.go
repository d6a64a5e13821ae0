package tunnel

import (
	"math/rand/v2"
	"net"
	"sync"
)

// CorkedConn lets a writer put several websocket messages on the wire in
// one system call. coder/websocket flushes every message separately, and
// a transfer of 1 KiB messages then spends most of its time in write(2);
// between Hold and Release, writes collect in a buffer instead, and
// Release sends them at once. Writes outside a hold go straight through,
// after anything still buffered, so bytes never change order.
//
// Reads are buffered too: coder/websocket reads through a 4 KiB buffer,
// three or four frames per read(2); this one takes what is there, up to
// 64 KiB. A Read returns whatever is available and never waits for more.
type CorkedConn struct {
	net.Conn
	mu     sync.Mutex
	held   bool
	buf    []byte
	client bool // frames from WriteBinary are masked
	// frames says that the websocket's bytes are this conn's bytes: no TLS
	// or proxy layer sits between coder/websocket and this conn, so
	// WriteBinary may put frames on it directly.
	frames bool
	rng    *rand.ChaCha8 // masking keys; mu
	failed bool          // a write failed: the socket is closed

	rbuf []byte // one reader at a time, as net.Conn allows
	r, w int
	// beforeRead runs on the reader's goroutine before each read from
	// the socket, i.e. once everything already read has been handled.
	beforeRead func()
}

// SetBeforeRead makes f run before each read from the socket (not for
// reads served from what was read ahead). The reader uses it to wake its
// writers once per run of frames instead of once per frame. Set it before
// the first Read.
func (c *CorkedConn) SetBeforeRead(f func()) { c.beforeRead = f }

const readAhead = 64 << 10

func (c *CorkedConn) Read(p []byte) (int, error) {
	if c.r == c.w {
		if c.beforeRead != nil {
			c.beforeRead()
		}
		if len(p) >= readAhead {
			return c.Conn.Read(p)
		}
		if c.rbuf == nil {
			c.rbuf = make([]byte, readAhead)
		}
		n, err := c.Conn.Read(c.rbuf)
		c.r, c.w = 0, n
		if n == 0 {
			return 0, err
		}
		// An error that came with data comes again on the next read.
	}
	n := copy(p, c.rbuf[c.r:c.w])
	c.r += n
	return n, nil
}

// NewCorkedConn wraps c; it writes through until Hold. WriteBinary is
// refused until CarriesFrames says the websocket runs directly on c.
func NewCorkedConn(c net.Conn) *CorkedConn { return &CorkedConn{Conn: c} }

// CarriesFrames declares that the websocket's frames travel on this conn
// as they are (not inside TLS or a proxy's framing), so WriteBinary may
// write them; client says this is the dialing end, whose frames are masked.
func (c *CorkedConn) CarriesFrames(client bool) { c.frames, c.client = true, client }

// Frames reports whether WriteBinary may be used.
func (c *CorkedConn) Frames() bool { return c.frames }

func (c *CorkedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// Hold starts collecting writes.
func (c *CorkedConn) Hold() {
	c.mu.Lock()
	c.held = true
	c.mu.Unlock()
}

// Release writes what was collected in one call and ends the hold.
func (c *CorkedConn) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = false
	return c.flushLocked()
}

// flushLocked writes the buffer. c.mu held.
func (c *CorkedConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	// A batch is at most a few hundred KiB; keeping the buffer saves
	// growing it again for the next one.
	c.buf = c.buf[:0]
	if err != nil {
		// Part of a frame may have gone out: nothing written after it
		// could be parsed, so the socket is done.
		c.failed = true
		c.Conn.Close()
	}
	return err
}
