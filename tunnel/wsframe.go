package tunnel

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"math/rand/v2"
)

// WriteBinary puts p on the socket as one binary websocket message (a
// single final frame, RFC 6455, section 5.2), masked when this is the client's
// end; inside a hold it joins the batch. It is for the stream and ack
// frames, thousands a second: coder/websocket's Write costs two channel
// locks, a copy through a 4 KiB buffer and, for a client, a crypto/rand
// call per message. Mixing both writers on one socket is safe because
// everything coder/websocket still writes (the open message, pings, pongs,
// close frames) is smaller than its buffer, so each of its frames reaches
// this conn as one Write, which the mutex keeps whole.
func (c *CorkedConn) WriteBinary(p []byte) error {
	if !c.frames {
		return errNotFrames
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed {
		return errCorkFailed
	}
	c.buf = c.appendWSFrame(c.buf, p)
	if c.held {
		return nil
	}
	return c.flushLocked()
}

var (
	errCorkFailed = errors.New("websocket connection failed on an earlier write")
	errNotFrames  = errors.New("websocket frames cannot be written on this connection: TLS or a proxy sits above it")
)

// appendWSFrame appends the frame header, the masking key for a client,
// and p (masked in place in b for a client).
func (c *CorkedConn) appendWSFrame(b, p []byte) []byte {
	const finBinary = 0x80 | 0x2
	var maskBit byte
	if c.client {
		maskBit = 0x80
	}
	b = append(b, finBinary)
	switch n := len(p); {
	case n < 126:
		b = append(b, maskBit|byte(n))
	case n <= 0xffff:
		b = append(b, maskBit|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, maskBit|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !c.client {
		return append(b, p...)
	}
	// The key only has to be unpredictable to what the page or proxy in
	// between could compute (RFC 6455, section 10.3); a ChaCha8 stream seeded from
	// crypto/rand is, and costs no system call per frame.
	if c.rng == nil {
		var seed [32]byte
		crand.Read(seed[:])
		c.rng = rand.NewChaCha8(seed)
	}
	key := uint32(c.rng.Uint64())
	b = binary.LittleEndian.AppendUint32(b, key)
	start := len(b)
	b = append(b, p...)
	maskBytes(b[start:], key)
	return b
}

// maskBytes XORs p with the 4-byte key laid out as on the wire (the
// key's first byte applies to p[0]), eight bytes at a time.
func maskBytes(p []byte, key uint32) {
	k := uint64(key) | uint64(key)<<32
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= byte(key >> (8 * (i & 3)))
	}
}
