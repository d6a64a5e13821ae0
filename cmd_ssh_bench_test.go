package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// Benchmarks for docs/benchmarks.md: the same sshd reached directly and
// through `ssmdoctor proxy` + the simulator, in one run. Run with
//
//	go test -run '^$' -bench 'Tunnel' -benchtime 3x .
//
// Not timed tests: they report numbers, they assert nothing about speed.

func benchEnv(b *testing.B, delay time.Duration) *e2e {
	e := startE2E(b, e2eOpts{})
	e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: delay})
	return e
}

// direct are scp/ssh options that reach the sshd's TCP port; viaProxy
// ones go through the tunnel.
func (e *e2e) direct() []string {
	return []string{"-F", "/dev/null", "-i", e.sshd.UserKeyPath, "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + e.sshd.KnownHostsPath,
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"}
}

func (e *e2e) tool(b *testing.B, name string, args ...string) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = e.env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func benchSCP(b *testing.B, delay time.Duration, size int64, upload bool, route int) {
	e := benchEnv(b, delay)
	dir := b.TempDir()
	local, remote := filepath.Join(dir, "local"), filepath.Join(dir, "remote")
	if upload {
		payload(b, local, size, 1)
	} else {
		payload(b, remote, size, 1)
	}
	var opts []string
	host := e.sshd.User + "@" + e2eID
	switch route {
	case routeTunnel:
		// e.g. SSMDOCTOR_BENCH_PROXY_ARGS="--chunk-size 16384"
		opts = e.viaProxy(ssmdoctorBin + " proxy " + os.Getenv("SSMDOCTOR_BENCH_PROXY_ARGS") + " %h %p")
	case routePipe:
		opts = e.viaProxy(fmt.Sprintf("env SSMDOCTOR_BENCH_PIPE=127.0.0.1:%d %s", e.sshd.Port, os.Args[0]))
	default:
		opts = append(e.direct(), "-P", strconv.Itoa(e.sshd.Port))
		host = e.sshd.User + "@127.0.0.1"
	}
	b.SetBytes(size)
	cpu := startCPUMeter()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if upload {
			e.tool(b, "scp", append(opts, local, host+":"+remote)...)
		} else {
			e.tool(b, "scp", append(opts, host+":"+remote, local)...)
		}
	}
	b.StopTimer()
	cpu.report(b)
}

// cpuMeter tells where the CPU of a transfer goes: this process (the
// simulator, for tunnelled runs) and its children (scp with its ssh and,
// tunnelled, the proxy; sshd's sessions are the sshd's children, not
// ours). On a 2-core machine their sum against wall time says whether a
// run was CPU-bound.
type cpuMeter struct{ self, children time.Duration }

func startCPUMeter() cpuMeter {
	return cpuMeter{rusageCPU(rusageSelf), rusageCPU(rusageChildren)}
}

func (m cpuMeter) report(b *testing.B) {
	n := float64(b.N)
	b.ReportMetric((rusageCPU(rusageSelf)-m.self).Seconds()/n, "cpu-test-s/op")
	b.ReportMetric((rusageCPU(rusageChildren)-m.children).Seconds()/n, "cpu-scp-s/op")
}

// Routes of a benchmarked transfer.
const (
	routeDirect = iota // scp to sshd's TCP port
	routePipe          // ProxyCommand that only copies bytes to that port
	routeTunnel        // ProxyCommand = ssmdoctor proxy, through the simulator
)

func BenchmarkTunnelSCP(b *testing.B) {
	for _, c := range []struct {
		name  string
		delay time.Duration
		size  int64
		route int
	}{
		{"direct", 0, 64 << 20, routeDirect},
		{"pipe", 0, 64 << 20, routePipe},
		{"tunnel_unpaced", 0, 64 << 20, routeTunnel},
		{"tunnel_paced", time.Millisecond, 4 << 20, routeTunnel},
	} {
		for _, up := range []bool{true, false} {
			dir := "download"
			if up {
				dir = "upload"
			}
			b.Run(c.name+"_"+dir, func(b *testing.B) { benchSCP(b, c.delay, c.size, up, c.route) })
		}
	}
}

// benchPipeProxy makes the test binary a ProxyCommand that copies bytes
// between stdio and SSMDOCTOR_BENCH_PIPE (host:port), and nothing else:
// the "pipe" route measures what ssh's ProxyCommand path costs by itself.
func benchPipeProxy() {
	addr := os.Getenv("SSMDOCTOR_BENCH_PIPE")
	if addr == "" {
		return
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		io.Copy(c, os.Stdin)
		c.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(os.Stdout, c)
	os.Exit(0)
}

func BenchmarkTunnelSSHTrue(b *testing.B) {
	e := benchEnv(b, time.Millisecond)
	b.Run("direct", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e.tool(b, "ssh", append(e.direct(), "-p", strconv.Itoa(e.sshd.Port), e.sshd.User+"@127.0.0.1", "true")...)
		}
	})
	b.Run("proxycommand", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e.tool(b, "ssh", append(e.viaProxy(ssmdoctorBin+" proxy %h %p"), e.sshd.User+"@"+e2eID, "true")...)
		}
	})
	b.Run("ssmdoctor_ssh", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e.tool(b, ssmdoctorBin, append(append([]string{"ssh"}, e.sshOpts(true)...), e.sshd.User+"@"+e2eID, "true")...)
		}
	})
}

// BenchmarkTunnelRSS moves 1 GiB each way through the proxy with the
// agent side unpaced and reports the proxy's peak RSS (GNU time's %M).
func BenchmarkTunnelRSS(b *testing.B) {
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		b.Skip("skipping: /usr/bin/time (GNU time) not found")
	}
	const size = 1 << 30
	for _, up := range []bool{true, false} {
		name := "download"
		if up {
			name = "upload"
		}
		b.Run(name, func(b *testing.B) {
			e := benchEnv(b, 0)
			dir := b.TempDir()
			local, remote, rss := filepath.Join(dir, "local"), filepath.Join(dir, "remote"), filepath.Join(dir, "rss")
			if up {
				payload(b, local, size, 2)
			} else {
				payload(b, remote, size, 2)
			}
			// ssh hangs up on its ProxyCommand when it ends; ignoring
			// SIGHUP lets GNU time outlive that and write its report.
			opts := e.viaProxy(`sh -c 'trap "" HUP; exec /usr/bin/time -f "%%M" -o ` + rss + " " + ssmdoctorBin + ` proxy %h %p'`)
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if up {
					e.tool(b, "scp", append(opts, local, e.sshd.User+"@"+e2eID+":"+remote)...)
				} else {
					e.tool(b, "scp", append(opts, e.sshd.User+"@"+e2eID+":"+remote, local)...)
				}
			}
			b.StopTimer()
			raw, err := os.ReadFile(rss)
			if err != nil {
				b.Fatal(err)
			}
			kb, err := strconv.Atoi(strings.TrimSpace(string(raw)))
			if err != nil {
				b.Fatalf("parse %q: %v", raw, err)
			}
			b.ReportMetric(float64(kb)/1024, "peak-RSS-MiB")
			fmt.Fprintf(os.Stderr, "proxy peak RSS %s: %.1f MiB\n", name, float64(kb)/1024)
		})
	}
}
