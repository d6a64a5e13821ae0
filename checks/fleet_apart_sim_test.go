//go:build unix

package checks

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// The fleet benchmark with the simulator in a process of its own, so that
// the doctor's CPU and wall time are measured apart from the simulator's:
// BenchmarkFleetCheckApart10000 starts a test binary (this one, or the
// one fleetSimBinEnv names, so that two builds of the doctor can be
// measured against one simulator) with fleetSimServeEnv set; that process
// serves the generated fleet on loopback and answers on its stdin.

const (
	// fleetSimServeEnv, set to "<instances> <latency>", makes the test
	// binary a fleet simulator instead of running tests (TestMain).
	fleetSimServeEnv = "SSMDOCTOR_FLEET_SIM_SERVE"
	// fleetSimBinEnv names the test binary that serves the simulator;
	// empty means this one.
	fleetSimBinEnv = "SSMDOCTOR_FLEET_SIM_BIN"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(fleetSimServeEnv); spec != "" {
		os.Exit(serveFleetSim(spec))
	}
	os.Exit(m.Run())
}

// serveFleetSim serves hybridFleet(n, 0) with the given latency per call,
// prints "url <endpoint>", then answers each line of its stdin: "cpu"
// with "cpu <seconds of user+system CPU so far>". It ends at EOF.
func serveFleetSim(spec string) int {
	f := strings.Fields(spec)
	if len(f) != 2 {
		fmt.Fprintf(os.Stderr, "%s=%q: want \"<instances> <latency>\"\n", fleetSimServeEnv, spec)
		return 2
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", fleetSimServeEnv, err)
		return 2
	}
	latency, err := time.ParseDuration(f[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", fleetSimServeEnv, err)
		return 2
	}
	s, err := awssim.New(hybridFleet(n, 0), awssim.Options{})
	if err == nil {
		err = s.Start("")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "start the simulator: %v\n", err)
		return 1
	}
	defer s.Close()
	s.SetLatency(latency)
	fmt.Printf("url %s\n", s.URL())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "cpu" {
			fmt.Printf("cpu %.6f\n", processCPU())
		}
	}
	return 0
}

// processCPU is this process's user and system CPU time so far, seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSS is the most resident memory this process has had, MiB.
func peakRSS() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}

// apartSim is a simulator process started by startApartSim.
type apartSim struct {
	url  string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	done bool
}

func startApartSim(tb testing.TB, n int, latency time.Duration) *apartSim {
	tb.Helper()
	bin := os.Getenv(fleetSimBinEnv)
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s", fleetSimServeEnv, n, latency))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start the simulator process %s: %v", bin, err)
	}
	p := &apartSim{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	tb.Cleanup(p.stop)
	p.url = p.line(tb, "url")
	return p
}

// line reads the simulator's next line, which must start with key.
func (p *apartSim) line(tb testing.TB, key string) string {
	tb.Helper()
	for p.out.Scan() {
		if v, ok := strings.CutPrefix(p.out.Text(), key+" "); ok {
			return v
		}
	}
	tb.Fatalf("the simulator process ended before it said %q: %v", key, p.out.Err())
	return ""
}

// cpu is the simulator process's CPU time so far, seconds.
func (p *apartSim) cpu(tb testing.TB) float64 {
	tb.Helper()
	fmt.Fprintln(p.in, "cpu")
	v, err := strconv.ParseFloat(p.line(tb, "cpu"), 64)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func (p *apartSim) calls(tb testing.TB) map[string]int {
	tb.Helper()
	resp, err := http.Get(p.url + "/_sim/calls")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]int{}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func (p *apartSim) stop() {
	if p.done {
		return
	}
	p.done = true
	p.in.Close()
	p.cmd.Wait()
}

// apartResult is one fleet run against a simulator process: fleetResult
// plus each side's CPU seconds during the run.
type apartResult struct {
	fleetResult
	doctorCPU, simCPU float64
}

// fleetRunApart is fleetRun with the simulator in another process.
func fleetRunApart(tb testing.TB, n int, latency time.Duration) apartResult {
	tb.Helper()
	p := startApartSim(tb, n, latency)
	defer p.stop()
	creds := aws.Credentials{AccessKeyID: awssim.DemoAccessKey, SecretAccessKey: awssim.DemoSecretKey, Source: "simtest"}
	c, err := awsapi.Load(context.Background(), awsapi.Options{
		Region: "us-east-1", Endpoint: p.url, MaxAttempts: 3, MaxBackoff: 50 * time.Millisecond,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
	})
	if err != nil {
		tb.Fatal(err)
	}
	a := awsfacts.NewAWSEnv(c)
	simBefore, selfBefore := p.cpu(tb), processCPU()
	var res apartResult
	asDoctor(func(ctx context.Context) { res.fleetResult = fleetChecks(ctx, tb, a) })
	res.doctorCPU = processCPU() - selfBefore
	res.simCPU = p.cpu(tb) - simBefore
	res.counts = p.calls(tb)
	for _, v := range res.counts {
		res.calls += v
	}
	return res
}

// BenchmarkFleetCheckApart10000 is BenchmarkFleetCheck10000 with the
// simulator in a process of its own: wall-s and the phases are the
// doctor's alone, doctor-cpu-s is this process's CPU during the run,
// sim-cpu-s the simulator process's.
func BenchmarkFleetCheckApart10000(b *testing.B) { benchmarkFleetApart(b, 10000) }

func BenchmarkFleetCheckApart1000(b *testing.B) { benchmarkFleetApart(b, 1000) }

func benchmarkFleetApart(b *testing.B, n int) {
	// Measured after the runs: the generated fleet the bound needs would
	// otherwise count in the doctor's peak memory.
	bound := 0
	defer func() { b.ReportMetric(float64(bound), "bound") }()
	defer func() { bound = fleetLowerBound(hybridFleet(n, 0)) }()
	for range b.N {
		r := fleetRunApart(b, n, 20*time.Millisecond)
		b.ReportMetric(float64(r.calls), "calls")
		b.ReportMetric(r.wall.Seconds(), "wall-s")
		b.ReportMetric(r.resolve.Seconds(), "resolve-s")
		b.ReportMetric(r.prefetch.Seconds(), "prefetch-s")
		b.ReportMetric(r.checks.Seconds(), "checks-s")
		b.ReportMetric(r.doctorCPU, "doctor-cpu-s")
		b.ReportMetric(r.simCPU, "sim-cpu-s")
		b.ReportMetric(peakRSS(), "doctor-peak-rss-MiB")
	}
}
