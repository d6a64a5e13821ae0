package tunnel

import (
	"net"
	"sync"
)

// CorkedConn lets a writer put several websocket messages on the wire in
// one system call. coder/websocket flushes every message separately, and
// a transfer of 1 KiB messages then spends most of its time in write(2);
// between Hold and Release, writes collect in a buffer instead, and
// Release sends them at once. Writes outside a hold go straight through,
// after anything still buffered, so bytes never change order.
type CorkedConn struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  []byte
}

// NewCorkedConn wraps c; it writes through until Hold.
func NewCorkedConn(c net.Conn) *CorkedConn { return &CorkedConn{Conn: c} }

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
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	// A batch is at most a few hundred KiB; keeping the buffer saves
	// growing it again for the next one.
	c.buf = c.buf[:0]
	if err != nil {
		c.Conn.Close()
	}
	return err
}
