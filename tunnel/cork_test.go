package tunnel

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
)

// recConn records what reaches the socket and serves reads from a script.
type recConn struct {
	net.Conn
	writes [][]byte
	reads  [][]byte
	nRead  int
	closed bool
}

func (c *recConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (c *recConn) Read(p []byte) (int, error) {
	c.nRead++
	if len(c.reads) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.reads[0])
	c.reads[0] = c.reads[0][n:]
	if len(c.reads[0]) == 0 {
		c.reads = c.reads[1:]
	}
	return n, nil
}

func (c *recConn) Close() error { c.closed = true; return nil }

func TestCorkedConnBatchesWrites(t *testing.T) {
	rec := &recConn{}
	c := NewCorkedConn(rec)
	c.Write([]byte("before"))
	c.Hold()
	c.Write([]byte("a"))
	c.Write([]byte("bc"))
	if len(rec.writes) != 1 {
		t.Fatalf("held writes reached the socket: %q", rec.writes)
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("after"))
	if err := c.Release(); err != nil || len(rec.writes) != 3 {
		t.Fatalf("an empty release wrote or failed: %q, %v", rec.writes, err)
	}
	want := [][]byte{[]byte("before"), []byte("abc"), []byte("after")}
	for i := range want {
		if !bytes.Equal(rec.writes[i], want[i]) {
			t.Fatalf("socket got %q, want %q", rec.writes, want)
		}
	}
}

func TestCorkedConnReadsAhead(t *testing.T) {
	rec := &recConn{reads: [][]byte{[]byte("0123456789"), []byte("xyz")}}
	c := NewCorkedConn(rec)
	var got []byte
	buf := make([]byte, 4)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Three socket reads (two chunks and EOF) for six small reads.
	if string(got) != "0123456789xyz" || rec.nRead != 3 {
		t.Fatalf("got %q in %d socket reads", got, rec.nRead)
	}
}

// The write queue is bounded: beyond its limits acks and resends are
// dropped (both come again) and first sends never are.
func TestSendQueueBoundsAndOrder(t *testing.T) {
	q := newSendQueue()
	m := NewMessage(TypeOutputStreamData, 7, FlagsNone, PayloadOutput, []byte("x"))
	for i := 0; i < maxQueuedAcks+10; i++ {
		q.pushAck(m)
	}
	for i := 0; i < maxQueuedFrames+10; i++ {
		q.push([]byte("resend"), true)
	}
	q.push([]byte("first"), false)
	var b batch
	if !q.take(&b) {
		t.Fatal("nothing taken")
	}
	if len(b.acks) != maxQueuedAcks || len(b.data) != maxQueuedFrames+1 || string(b.data[len(b.data)-1]) != "first" {
		t.Fatalf("took %d acks, %d frames", len(b.acks), len(b.data))
	}
	ack, err := UnmarshalMessage(AppendAckRef(nil, b.acks[0]))
	if err != nil || ack.MessageType != TypeAcknowledge {
		t.Fatalf("first queued ack: %+v, %v", ack, err)
	}
	if seq, err := AckedSequence(ack); err != nil || seq != 7 {
		t.Fatalf("acked %d, %v", seq, err)
	}
	if q.take(&b) {
		t.Fatal("a second take found frames")
	}
	select {
	case <-q.notify:
	default:
		t.Fatal("pushes did not signal the writer")
	}
}

// The hook runs before each read from the socket, not before reads
// served from what was read ahead: once per run of frames.
func TestCorkedConnBeforeRead(t *testing.T) {
	rec := &recConn{reads: [][]byte{[]byte("0123456789"), []byte("xyz")}}
	c := NewCorkedConn(rec)
	calls := 0
	c.SetBeforeRead(func() { calls++ })
	buf := make([]byte, 4)
	for {
		_, err := c.Read(buf)
		if err != nil {
			break
		}
	}
	if calls != rec.nRead || calls != 3 {
		t.Fatalf("hook ran %d times for %d socket reads, want 3", calls, rec.nRead)
	}
}

// Quiet queueing wakes nobody; kick wakes the writer once, and only when
// something was queued quietly.
func TestSendQueueKick(t *testing.T) {
	q := newSendQueue()
	m := NewMessage(TypeOutputStreamData, 1, FlagsNone, PayloadOutput, []byte("x"))
	q.queueAck(m)
	q.queue([]byte("frame"))
	select {
	case <-q.notify:
		t.Fatal("quiet queueing woke the writer")
	default:
	}
	q.kick()
	select {
	case <-q.notify:
	default:
		t.Fatal("kick did not wake the writer")
	}
	q.kick()
	select {
	case <-q.notify:
		t.Fatal("a second kick with nothing new woke the writer")
	default:
	}
	var b batch
	if !q.take(&b) || len(b.acks) != 1 || b.acks[0].SequenceNumber != 1 || len(b.data) != 1 {
		t.Fatalf("took %+v", b)
	}
}

// put wakes the stdout writer only when it must wait for room, so a full
// buffer cannot wait on a writer nobody woke.
func TestOutputQueueWakesWhenFull(t *testing.T) {
	q := newOutputQueue()
	if !q.put(context.Background(), []byte("a")) {
		t.Fatal("put failed")
	}
	select {
	case <-q.notify:
		t.Fatal("put with room woke the writer")
	default:
	}
	q.kick()
	if len(q.notify) != 1 {
		t.Fatal("kick did not wake the writer")
	}
	<-q.notify
	q.buf = make([]byte, maxQueuedOutput)
	acksSent := make(chan struct{})
	q.beforeWait = func() { close(acksSent) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- q.put(ctx, []byte("b")) }()
	<-q.notify // the blocked put woke the writer before waiting
	<-acksSent // and let the reader's quiet acks go
	cancel()
	if <-done {
		t.Fatal("put into a full queue succeeded after its context ended")
	}
}
