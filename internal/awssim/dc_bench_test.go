package awssim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coder/websocket"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// Per-message costs of the simulator's data channel (the agent side), the
// numbers behind the tunnel's throughput (docs/benchmarks.md). Run with
//
//	go test -run '^$' -bench 'DCMsg' -benchmem ./internal/awssim/
//
// One op is one 1 KiB stream message with everything it costs this end:
// its frame, its ack, the hand-offs and its share of the batched writes
// of the channel's writer to a loopback client that drops what it reads.

// benchDCConn is the server end of a loopback websocket, wrapped as the
// data channel wraps it, with its writer running.
func benchDCConn(b *testing.B) *dcConn {
	b.Helper()
	accepted := make(chan *dcConn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw := &corkingHijacker{ResponseWriter: w}
		ws, err := websocket.Accept(hw, r, nil)
		if err != nil {
			b.Errorf("accept: %v", err)
			return
		}
		accepted <- newDCConn(context.Background(), ws, hw.cork, 0)
	}))
	b.Cleanup(srv.Close)
	c, _, err := websocket.Dial(context.Background(), "ws"+srv.URL[len("http"):], nil)
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(dcMaxFrame)
	go func() {
		for {
			_, rd, err := c.Reader(context.Background())
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return
			}
		}
	}()
	conn := <-accepted
	go conn.writeLoop()
	b.Cleanup(func() { conn.cancel(); c.CloseNow() })
	return conn
}

// benchDCChannel is a channel past its handshake with conn as its socket
// and a target connection whose queue the benchmark empties itself.
func benchDCChannel(b *testing.B) *dcChannel {
	conn := benchDCConn(b)
	opts := DCOptions{PerMessageDelay: -1}.withDefaults()
	ch := &dcChannel{
		id: "bench", opts: opts, ctx: context.Background(), conn: conn, stage: hsDone,
		rtt: newDCRTT(opts.InitialRTO), space: make(chan struct{}, 1), inBuf: map[int64]*tunnel.Message{},
	}
	ch.tcp = &dcTCP{ch: ch, notify: make(chan struct{}, 1)}
	return ch
}

const benchDCBatch = 64

// Upload: a client data frame in, acknowledged and queued for the target.
func BenchmarkDCMsgReceive(b *testing.B) {
	ch := benchDCChannel(b)
	frame := tunnel.AppendFrame(nil, tunnel.TypeInputStreamData, 0, tunnel.FlagsNone, tunnel.PayloadOutput, make([]byte, 1024))
	b.SetBytes(1024)
	b.ReportAllocs()
	cpuPerOp(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch.mu.Lock()
		ch.inExpected = 0
		ch.mu.Unlock()
		ch.handleFrame(ch.conn, frame)
		if i%benchDCBatch == benchDCBatch-1 {
			ch.conn.readerDry() // as before the reader's next socket read
			ch.tcp.mu.Lock()
			if len(ch.tcp.queue) != benchDCBatch*1024 {
				b.Fatalf("target queue holds %d bytes", len(ch.tcp.queue))
			}
			ch.tcp.queue = ch.tcp.queue[:0]
			ch.tcp.mu.Unlock()
		}
	}
}

// Download: a chunk from the target framed and sent, and the client's
// ack of it matched.
func BenchmarkDCMsgSend(b *testing.B) {
	ch := benchDCChannel(b)
	chunk := make([]byte, 1024)
	data := make([]byte, benchDCBatch*1024) // one read from the target
	acks := make([][]byte, benchDCBatch)
	for i := range acks {
		acks[i] = tunnel.AppendAck(nil, tunnel.NewMessage(tunnel.TypeOutputStreamData, int64(i), tunnel.FlagsNone, tunnel.PayloadOutput, chunk))
	}
	b.SetBytes(1024)
	b.ReportAllocs()
	cpuPerOp(b)
	b.ResetTimer()
	for i := 0; i < b.N; i += benchDCBatch {
		n := min(benchDCBatch, b.N-i)
		for off := 0; off < n*1024; {
			k, ok := ch.sendOutputs(data[off:n*1024], n)
			if !ok || k == 0 {
				b.Fatal("channel ended")
			}
			off += k
		}
		for _, a := range acks[:n] {
			ch.handleFrame(ch.conn, a)
		}
		ch.mu.Lock()
		if ch.out.open != 0 {
			b.Fatalf("%d messages unacknowledged", ch.out.open)
		}
		ch.outSeq = 0
		ch.mu.Unlock()
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
