package tunnel

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coder/websocket"
)

// Per-message costs of the client, the numbers behind the tunnel's
// throughput (docs/benchmarks.md). Run with
//
//	go test -run '^$' -bench 'Msg' -benchmem ./tunnel/
//
// One op is one 1 KiB stream message with everything it costs this end:
// its frame, its ack, the queue hand-offs and its share of a batched
// websocket write to a loopback peer that discards what it reads.

// benchSocket is a client websocket to a loopback server that reads and
// drops every message.
func benchSocket(b *testing.B) (*websocket.Conn, *CorkedConn) {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(maxFrame)
		for {
			_, rd, err := c.Reader(context.Background())
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	var cork *CorkedConn
	c, _, err := websocket.Dial(context.Background(), "ws"+srv.URL[len("http"):], &websocket.DialOptions{HTTPClient: corkingClient(srv.Client(), mustURL(srv.URL), &cork)})
	if err != nil {
		b.Fatalf("dial bench socket: %v", err)
	}
	b.Cleanup(func() { c.CloseNow() })
	if cork == nil {
		b.Fatal("dial bench socket: the connection was not corked")
	}
	return c, cork
}

func benchSession(b *testing.B) *Session {
	c, cork := benchSocket(b)
	opts := Options{}.withDefaults()
	return &Session{
		opts: opts, conn: c, cork: cork,
		out: newOutbox(opts.Window, opts.WindowBytes), in: newInbox(opts.Reorder), sq: newSendQueue(),
		ready: make(chan struct{}), done: make(chan struct{}),
	}
}

// A batch as the writer typically finds it under load.
const benchBatch = 64

// Download: an agent output frame in, delivered and acknowledged.
func BenchmarkMsgClientReceive(b *testing.B) {
	s := benchSession(b)
	q := newOutputQueue()
	ctx := context.Background()
	frame := AppendFrame(nil, TypeOutputStreamData, 0, FlagsNone, PayloadOutput, make([]byte, 1024))
	var bt batch
	b.SetBytes(1024)
	b.ReportAllocs()
	cpuPerOp(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.in.expected = 0
		if s.onFrame(ctx, frame, q) {
			b.Fatal("session ended")
		}
		if i%benchBatch == benchBatch-1 || i == b.N-1 {
			q.buf = q.buf[:0]
			if s.sq.take(&bt) {
				if err := s.writeTaken(&bt); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if q.msgs != int64(b.N) {
		b.Fatalf("delivered %d of %d", q.msgs, b.N)
	}
}

// Upload: a chunk of stdin framed, sent, and its ack from the agent
// matched.
func BenchmarkMsgClientSend(b *testing.B) {
	s := benchSession(b)
	q := newOutputQueue()
	ctx := context.Background()
	chunk := make([]byte, 1024)
	acks := make([][]byte, benchBatch)
	for i := range acks {
		acks[i] = AppendAck(nil, NewMessage(TypeInputStreamData, int64(i), FlagsNone, PayloadOutput, chunk))
	}
	var bt batch
	b.SetBytes(1024)
	b.ReportAllocs()
	cpuPerOp(b)
	b.ResetTimer()
	for i := 0; i < b.N; i += benchBatch {
		n := min(benchBatch, b.N-i)
		for range n {
			f, err := s.out.add(ctx, true, PayloadOutput, chunk)
			if err != nil {
				b.Fatal(err)
			}
			s.sq.push(f, false)
		}
		if s.sq.take(&bt) {
			if err := s.writeTaken(&bt); err != nil {
				b.Fatal(err)
			}
		}
		for _, a := range acks[:n] {
			s.onFrame(ctx, a, q)
		}
		if s.out.open != 0 {
			b.Fatalf("%d messages unacknowledged", s.out.open)
		}
		s.out.nextSeq = 0
	}
}

func BenchmarkMsgAppendFrame(b *testing.B) {
	p := make([]byte, 1024)
	buf := make([]byte, 0, 2048)
	b.SetBytes(1024)
	b.ReportAllocs()
	cpuPerOp(b)
	for i := 0; i < b.N; i++ {
		buf = AppendFrame(buf[:0], TypeInputStreamData, int64(i), FlagsNone, PayloadOutput, p)
	}
}

func BenchmarkMsgAppendAck(b *testing.B) {
	m := NewMessage(TypeOutputStreamData, 123456, FlagsNone, PayloadOutput, nil)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	cpuPerOp(b)
	for i := 0; i < b.N; i++ {
		buf = AppendAck(buf[:0], m)
	}
}

func BenchmarkMsgDecodeValidate(b *testing.B) {
	f := AppendFrame(nil, TypeOutputStreamData, 7, FlagsNone, PayloadOutput, make([]byte, 1024))
	b.SetBytes(1024)
	b.ReportAllocs()
	cpuPerOp(b)
	for i := 0; i < b.N; i++ {
		m, err := UnmarshalMessage(f)
		if err != nil || m.Validate() != nil {
			b.Fatal("bad frame")
		}
	}
}

func BenchmarkMsgNewUUID(b *testing.B) {
	b.ReportAllocs()
	cpuPerOp(b)
	for i := 0; i < b.N; i++ {
		_ = NewUUID()
	}
}

// cpuPerOp reports the process's CPU time per op when the benchmark
// ends: on a shared machine wall time per op mostly measures the
// neighbours, CPU time what this code costs.
func cpuPerOp(b *testing.B) {
	start := processCPU()
	b.Cleanup(func() {
		b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}
