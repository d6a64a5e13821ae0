package awssim

import (
	"encoding/binary"
	"github.com/ssmdoctor/ssmdoctor/internal/testnet"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Port forwarding through tunnel.Session.Forward and the simulator, against
// direct TCP to the same destination server (docs/benchmarks.md). Run with
//
//	go test -run '^$' -bench 'Forward' -benchtime 3x ./internal/awssim/
//
// "unpaced" is the simulated agent sending as fast as the client
// acknowledges; "paced" sleeps 1 ms after each 1 KiB message, as the real
// agent does.

func fwdBenchAddr(b *testing.B, path string) string {
	b.Helper()
	switch path {
	case "direct":
		return testnet.FwdServer(b)
	case "unpaced":
		return startForward(b, fwdSetup{}).addr
	case "paced":
		return startForward(b, fwdSetup{opts: &DCOptions{PerMessageDelay: time.Millisecond}}).addr
	}
	b.Fatalf("unknown path %s", path)
	return ""
}

// BenchmarkForwardThroughput moves n bytes per op through one connection
// (a new one each op, as a client would open it).
func BenchmarkForwardThroughput(b *testing.B) {
	for _, path := range []string{"direct", "unpaced", "paced"} {
		for _, dir := range []string{"up", "down"} {
			n := int64(16 << 20)
			if path == "paced" && dir == "down" {
				n = 2 << 20 // the agent's pacing holds this near 1 MB/s
			}
			b.Run(path+"/"+dir, func(b *testing.B) {
				addr := fwdBenchAddr(b, path)
				b.SetBytes(n)
				b.ResetTimer()
				for i := range b.N {
					var err error
					if dir == "up" {
						err = testnet.FwdUpload(addr, n, byte(i))
					} else {
						err = testnet.FwdDownload(addr, n, byte(i))
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkForwardExchange is request/response latency: one op is a 64-byte
// message echoed back over an open connection.
func BenchmarkForwardExchange(b *testing.B) {
	for _, path := range []string{"direct", "unpaced", "paced"} {
		b.Run(path, func(b *testing.B) {
			c := dialEcho(b, fwdBenchAddr(b, path))
			msg := make([]byte, 64)
			got := make([]byte, 64)
			// The first exchange opens the stream on the agent's side.
			if _, err := c.Write(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, got); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				binary.BigEndian.PutUint64(msg, uint64(i))
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, got); err != nil {
					b.Fatal(err)
				}
				if binary.BigEndian.Uint64(got) != uint64(i) {
					b.Fatalf("exchange %d: wrong answer", i)
				}
			}
		})
	}
}

// BenchmarkForwardFairness runs 10 connections downloading at once through
// one multiplexed session for 2 s (paced: 5 s, for as many smux frames
// per connection) and reports the slowest and fastest
// connection's bytes against their mean (acceptance: each within 25%).
func BenchmarkForwardFairness(b *testing.B) {
	for _, path := range []string{"unpaced", "paced"} {
		b.Run(path, func(b *testing.B) {
			addr := fwdBenchAddr(b, path)
			d := 2 * time.Second
			if path == "paced" {
				d = 5 * time.Second
			}
			var worst, best float64
			for range b.N {
				lo, hi := fairnessRound(b, addr, 10, d)
				worst, best = lo, hi
			}
			b.ReportMetric(worst, "min/mean")
			b.ReportMetric(best, "max/mean")
		})
	}
}

// fairnessRound starts conns downloads together, counts what each
// received within d, and returns min/mean and max/mean.
func fairnessRound(b *testing.B, addr string, conns int, d time.Duration) (float64, float64) {
	counts := make([]int64, conns)
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		cs[i] = c
		hdr := make([]byte, 10)
		hdr[0] = 'D'
		binary.BigEndian.PutUint64(hdr[1:9], 1<<40) // more than d allows
		if _, err := c.Write(hdr); err != nil {
			b.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(start.Add(d))
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				counts[i] += int64(n)
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, c := range cs {
		c.Close()
	}
	var sum int64
	lo, hi := counts[0], counts[0]
	for _, n := range counts {
		sum += n
		lo, hi = min(lo, n), max(hi, n)
	}
	mean := float64(sum) / float64(conns)
	if mean == 0 {
		b.Fatal("nothing arrived")
	}
	b.Logf("%d connections, %v: bytes each %v (mean %.0f)", conns, d, counts, mean)
	return float64(lo) / mean, float64(hi) / mean
}
