package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

const defaultProbeWait = 10 * time.Second

// maxBanner bounds what is read while waiting for the first line: RFC 4253
// allows 255 bytes for the identification string.
const maxBanner = 1024

func sessionProbeCheck() Check {
	// The runner's timeout is a backstop: the probe bounds itself with
	// ProbeWait and then still has to terminate the session.
	return New("session-probe", "a real SSH session reaches sshd (--probe)", LayerSession,
		[]string{"caller-start-session", "instance-registered", "connection-status"}, 2*time.Minute, runSessionProbe)
}

func runSessionProbe(ctx context.Context, env *Env) Result {
	if !env.Options.Probe {
		return Skip("run with --probe to open a real session")
	}
	if env.Target == nil {
		return Skip("no target instance given")
	}
	if env.Sessions == nil || env.Sessions.API == nil {
		return Undetermined("AWS configuration", "could not open a session: AWS configuration could not be loaded")
	}
	wait := env.Options.ProbeWait
	if wait <= 0 {
		wait = defaultProbeWait
	}
	port := env.Options.Port
	if port == 0 {
		port = 22
	}
	banner, err := probeBanner(ctx, env.Sessions, env.Target.InstanceID, port, wait)
	if err != nil {
		return probeFailure(err, env.Target.InstanceID, port, wait)
	}
	if !strings.HasPrefix(banner, "SSH-") {
		return Fail("port %d answered, but not with an SSH banner: %q", port, banner).
			WithDetails("something other than sshd listens there; check --port and the sshd Port setting")
	}
	return Pass("sshd answered: %s", banner)
}

// errNoBanner means the session ended cleanly before sshd said anything.
var errNoBanner = errors.New("the session closed before the instance's port sent a line")

// errBannerTimeout means the session was open but the port stayed silent.
var errBannerTimeout = errors.New("no line from the instance's port")

// probeBanner opens a session to port on target, returns the first line
// the port sends, and terminates the session whatever happened.
func probeBanner(ctx context.Context, o *SessionOpener, target string, port int, wait time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	s, err := tunnel.Open(ctx, o.API, tunnel.Options{Target: target, Port: port, KMS: o.KMS, HandshakeWait: wait, ConnectTimeout: o.ConnectTimeout})
	if err != nil {
		return "", err
	}
	// Nothing is ever written to sshd: the pipe only keeps stdin open, since
	// a stdin at EOF would end the session before the banner arrives.
	stdin, stdinW := io.Pipe()
	line := &bannerLine{got: make(chan struct{})}
	ended := make(chan error, 1)
	go func() { ended <- s.Run(ctx, stdin, line) }()

	var runErr error
	var runDone bool
	select {
	case <-line.got:
	case runErr = <-ended:
		runDone = true
	case <-ctx.Done():
	}
	closeErr := s.Close() // TerminateSession, unless the service closed it
	stdinW.Close()
	if !runDone {
		runErr = <-ended
	}
	if b, ok := line.value(); ok {
		return b, nil
	}
	switch {
	case runDone && runErr == nil:
		return "", errNoBanner
	case runDone:
		return "", runErr
	case ctx.Err() != nil:
		return "", fmt.Errorf("%w within %s (session %s)", errBannerTimeout, wait, s.ID())
	}
	if closeErr != nil {
		return "", closeErr
	}
	return "", errNoBanner
}

// bannerLine keeps the first line written to it, without its line ending.
type bannerLine struct {
	mu   sync.Mutex
	buf  []byte
	done bool
	got  chan struct{}
}

func (f *bannerLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 || len(f.buf) >= maxBanner {
		if i >= 0 {
			f.buf = f.buf[:i]
		}
		f.buf = bytes.TrimRight(f.buf[:min(len(f.buf), maxBanner)], "\r")
		f.done = true
		close(f.got)
	}
	return len(p), nil
}

func (f *bannerLine) value() (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.buf), f.done
}

// probeFailure says which layer refused the session, in AWS's own words.
func probeFailure(err error, target string, port int, wait time.Duration) Result {
	var ae smithy.APIError
	var ce *tunnel.ClosedError
	switch {
	case errors.As(err, &ae):
		switch ae.ErrorCode() {
		case "TargetNotConnected":
			return Fail("StartSession answered TargetNotConnected: the agent on %s is not connected to Systems Manager", target).
				WithDetails(ae.ErrorMessage(), "see instance-registered, instance-network and instance-profile")
		case "AccessDeniedException", "AccessDenied":
			return Fail("StartSession was denied (%s): you need ssm:StartSession on %s and on document %s", ae.ErrorCode(), target, sshDocument).
				WithDetails(ae.ErrorMessage())
		case "ThrottlingException", "Throttling", "RequestLimitExceeded":
			return Undetermined("ssm:StartSession", "StartSession was throttled after retries: %s", ae.ErrorMessage())
		}
		return Fail("StartSession failed (%s): %s", ae.ErrorCode(), ae.ErrorMessage())
	case errors.As(err, &ce):
		low := strings.ToLower(ce.Output)
		switch {
		case strings.Contains(low, "cannot connect to port") || strings.Contains(low, "connection refused") ||
			strings.Contains(low, "unable to start port forwarding"):
			return Fail("nothing listening on port %d of %s: %s", port, target, ce.Output).
				WithDetails("the agent connected, but could not reach port " + fmt.Sprint(port) + " on the instance: is sshd running and listening there (--port)?")
		case strings.Contains(low, "handshake"):
			return Fail("the agent refused the session handshake: %s", ce.Output)
		}
		return Fail("the service closed the session: %s", ce.Output)
	case errors.Is(err, errBannerTimeout):
		return Fail("the session opened, but port %d sent nothing: %v", port, err).
			WithDetails("sshd normally greets at once; a firewall on the instance or a service that waits for the client would explain the silence")
	case errors.Is(err, errNoBanner):
		return Fail("%v (port %d)", err, port)
	case errors.Is(err, context.DeadlineExceeded):
		return Fail("no session within %s: %v", wait, err)
	case strings.Contains(err.Error(), "handshake"):
		return Fail("the session handshake did not complete: %v", err)
	}
	return Fail("could not open the data channel: %v", err).
		WithDetails("the websocket to ssmmessages failed: a proxy (proxy-env) or a firewall in the way would explain it")
}
