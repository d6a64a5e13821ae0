// Package awssim is a simulated AWS account on loopback: EC2, IAM, STS, SSM,
// EC2 Instance Connect, KMS and the Session Manager data channel, over the
// real wire protocols, with IAM evaluated for real. Tests, benchmarks and the
// demo run against it.
//
// Layout: sim.go (server, dispatch, auth, faults), protocol.go (query/XML and
// JSON 1.1 encoding), state.go (the account model), scenario.go (loading),
// and one file group per service: ec2_*.go, iam_*.go, sts_*.go, ssm_*.go,
// eic_*.go, kms_*.go, dc_*.go (data channel).
package awssim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options tune the simulator.
type Options struct {
	// Latency is added to every API call (not to data channel frames).
	Latency time.Duration
	// Logf receives conformance warnings and server errors (data channel
	// dial errors among them); nil discards.
	Logf func(format string, args ...any)
	// LogRequests also sends Logf one line per API call: method, service,
	// operation, status, duration and request id (never a header, body
	// or credential).
	LogRequests bool
	// Now overrides the clock (tests).
	Now func() time.Time
	// RealShell, when set (a shell such as /bin/dash), makes the simulated
	// agent run ssmdoctor's own scripts for real on this machine with that
	// shell, as the real agent would, instead of answering from the
	// instance's OSState (end-to-end tests against a real sshd). Other
	// scripts are still refused.
	RealShell string
}

// Sim is a running (or ready to run) simulated account.
type Sim struct {
	opts Options

	mu    sync.Mutex
	state *State
	// profiles is state.indexProfiles(), kept between calls; nil when an
	// association may have changed (profilesIndexLocked). Under mu.
	profiles profilesByInstance

	// ops maps "service.Operation" to its handler.
	ops map[string]opHandler

	callsMu sync.Mutex
	calls   map[string]int // "service.Operation" -> count of calls received
	// throttle: "service.Operation" (or "*") -> number of calls still to throttle
	throttle map[string]int
	rate     rateLimits // ratelimit.go: per-operation token buckets

	srv      *http.Server
	ln       net.Listener
	url      string
	closeCtx context.Context
	cancel   context.CancelFunc

	// ext holds per-service runtime state that is not part of the scenario
	// (sessions, EIC keys, ...). Each service file owns its own field here.
	ext extState
}

// New builds a simulator over st (normalised). It does not listen yet.
func New(st *State, opts Options) (*Sim, error) {
	if err := st.Normalize(); err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Sim{
		opts:     opts,
		state:    st,
		ops:      map[string]opHandler{},
		calls:    map[string]int{},
		throttle: map[string]int{},
	}
	s.closeCtx, s.cancel = context.WithCancel(context.Background())
	s.registerRoutes()
	return s, nil
}

// Start listens on addr ("127.0.0.1:0" for a random port) and serves until
// Close.
func (s *Sim) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("simulator listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return nil
}

// URL is the endpoint of every simulated service, e.g. http://127.0.0.1:38211.
func (s *Sim) URL() string { return s.url }

// Close stops the server and ends every session.
func (s *Sim) Close() error {
	s.cancel()
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	return nil
}

// Calls returns how many calls an operation received ("ec2.DescribeInstances").
func (s *Sim) Calls(op string) int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	return s.calls[op]
}

// AllCalls returns a copy of every counter.
func (s *Sim) AllCalls() map[string]int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	m := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		m[k] = v
	}
	return m
}

// MutatingCalls sums the counters of operations that change state (their
// names do not start with Describe, Get, List or Simulate).
func (s *Sim) MutatingCalls() int {
	n := 0
	for k, v := range s.AllCalls() {
		op := k[strings.IndexByte(k, '.')+1:]
		if !isReadOnlyOp(op) {
			n += v
		}
	}
	return n
}

func isReadOnlyOp(op string) bool {
	for _, p := range []string{"Describe", "Get", "List", "Simulate"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// ResetCalls zeroes every counter.
func (s *Sim) ResetCalls() {
	s.callsMu.Lock()
	s.calls = map[string]int{}
	s.callsMu.Unlock()
}

// Throttle makes the next n calls of op ("ssm.DescribeInstanceInformation",
// or "*" for any) fail with the service's throttling error.
func (s *Sim) Throttle(op string, n int) {
	s.callsMu.Lock()
	s.throttle[op] = n
	s.callsMu.Unlock()
}

// SetLatency changes the latency added to each API call.
func (s *Sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.opts.Latency = d
	s.mu.Unlock()
}

// Operations lists the registered operations, sorted.
func (s *Sim) Operations() []string {
	var out []string
	for k := range s.ops {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WithState runs f with the state locked, for tests and the demo to read or
// change the account directly.
func (s *Sim) WithState(f func(st *State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.state)
	s.profiles = nil // f may have changed any association
}

func (s *Sim) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

func (s *Sim) now() time.Time { return s.opts.Now() }

// countAndThrottle counts the call and reports whether it must be
// throttled.
func (s *Sim) countAndThrottle(op string) bool {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	s.calls[op]++
	for _, k := range []string{op, "*"} {
		if n := s.throttle[k]; n > 0 {
			s.throttle[k] = n - 1
			return true
		}
	}
	return false
}
