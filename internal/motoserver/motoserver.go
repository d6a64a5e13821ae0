// Package motoserver runs moto (a Python implementation of AWS APIs that
// nobody on this project wrote) on loopback for tests that cross-check the
// simulator or exercise code against a second implementation.
//
// One server serves a whole test binary; tests isolate themselves by
// account id (the x-moto-account-id header, see Config), which is cheaper
// and parallel-safe, unlike POST /moto-api/reset, which wipes every account.
//
// moto 5.2.1 quirks this package relies on or works around (measured, see
// docs/test-doubles.md#moto):
//   - AWS managed policies (AmazonSSMManagedInstanceCore, ...) exist only
//     when MOTO_IAM_LOAD_MANAGED_POLICIES=true at server start; the moto-api
//     config endpoint cannot turn them on later. Start sets it.
//   - moto answers unimplemented operations with HTTP 500 and an HTML page,
//     which the SDK would retry; Config turns retries off so a missing
//     operation fails once, as a deserialization error.
//   - Any access key is accepted, and each account id seen in the header
//     gets its own IAM/EC2/STS state and its own default VPC.
//   - Static credentials give GetCallerIdentity arn:aws:sts::ACCT:user/moto;
//     a key from moto's own CreateAccessKey gives the real IAM user form.
//   - The server is started behind a stdin watchdog so that it dies with the
//     test binary even when the binary is killed and no cleanup runs.
package motoserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Region is the region every Config uses; moto keeps state per region.
const Region = "us-east-1"

// Server is a running moto server.
type Server struct {
	// URL is the endpoint of every service, e.g. http://127.0.0.1:41233.
	URL string

	cmd   *exec.Cmd
	stdin io.WriteCloser
	log   *syncBuffer
	done  chan struct{} // closed when the process has exited
}

var (
	once      sync.Once
	shared    *Server
	sharedErr error
	skipMsg   string
)

// Start returns the test binary's moto server, starting it on first use.
// It skips the test (with the reason) when moto is not installed, and fails
// it instead when CI=true, where every test double must be present.
//
// The server lives until Stop or until the test binary exits; a TestMain may
// call Stop after m.Run, but need not.
func Start(t testing.TB) *Server {
	t.Helper()
	once.Do(func() {
		if msg := missing(); msg != "" {
			skipMsg = msg
			return
		}
		var err error
		// A free port can be taken between our probe and moto's bind;
		// trying again with a new one is cheap.
		for attempt := 0; attempt < 3; attempt++ {
			shared, err = launch(30 * time.Second)
			if err == nil {
				break
			}
		}
		sharedErr = err
	})
	if skipMsg != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto is required when CI=true: %s", skipMsg)
		}
		t.Skipf("skipping: %s", skipMsg)
	}
	if sharedErr != nil {
		t.Fatalf("start moto server: %v", sharedErr)
	}
	return shared
}

// missing says why moto cannot run here, or "" when it can.
func missing() string {
	py, err := exec.LookPath("python3")
	if err != nil {
		return "python3 not found on PATH (moto runs under it)"
	}
	out, err := exec.Command(py, "-c", "import moto.server").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("python3 cannot import moto.server: %v: %s", err, bytes.TrimSpace(out))
	}
	return ""
}

// watchdog runs `python3 -m moto.server ARGS` in-process after arranging
// for the interpreter to exit as soon as its stdin closes, which happens
// when the Go process that holds the other end exits for any reason.
const watchdog = `import os, runpy, sys, threading
def _watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
sys.argv = ["moto.server"] + sys.argv[1:]
runpy.run_module("moto.server", run_name="__main__", alter_sys=True)
`

func launch(wait time.Duration) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("python3", "-c", watchdog, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "PYTHONUNBUFFERED=1")
	setProcessGroup(cmd)
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("moto stdin pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run python3 -m moto.server: %w", err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	if err := s.waitReady(wait); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\nmoto log:\n%s", err, s.log.String())
	}
	return s, nil
}

// waitReady polls /moto-api/ until it answers, the process dies or the
// deadline passes.
func (s *Server) waitReady(wait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("moto server exited before answering %s/moto-api/", s.URL)
		case <-ctx.Done():
			return fmt.Errorf("moto server did not answer %s/moto-api/ within %v", s.URL, wait)
		case <-tick.C:
		}
	}
}

// Stop kills the server's process group and waits for it to exit.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	s.stdin.Close()
	killProcessGroup(s.cmd)
	<-s.done
}

// Stop stops the shared server, if one was started (for a TestMain after
// m.Run). Later calls to Start in the same binary fail.
func Stop() {
	if shared != nil {
		shared.Stop()
	}
}

// Log returns what moto printed so far (its request log), for failures.
func (s *Server) Log() string { return s.log.String() }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for moto: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

var accountSeq atomic.Uint64

// NewAccountID returns a 12-digit account id not used before by this
// process, so each test gets a clean moto account. The random base keeps
// two test binaries sharing one server (not the usual case) apart too.
func NewAccountID() string {
	base := accountBase()
	return fmt.Sprintf("%012d", base+accountSeq.Add(1))
}

var accountBase = sync.OnceValue(func() uint64 {
	var b [8]byte
	rand.Read(b[:])
	// Between 2e11 and 9e11, leaving room for the sequence, and never
	// moto's default account 123456789012.
	return 200_000_000_000 + binary.BigEndian.Uint64(b[:])%700_000_000_000
})

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
