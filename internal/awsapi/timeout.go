package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// DefaultConnectTimeout bounds each attempt of an AWS call from the first
// byte sent (the TCP connect, a proxy's CONNECT, the TLS handshake
// included) to the response headers. A call that gets no answer is tried
// NoAnswerAttempts times, so with the SDK's back-off in between it gives
// up after about 2 x 10 s + 2 s: well within a minute, while a slow but
// working endpoint (IAM's policy simulator takes seconds) still answers.
const DefaultConnectTimeout = 10 * time.Second

// NoAnswerAttempts is how many attempts a call gets when the endpoint (or
// the proxy in front of it) does not answer within the connect timeout.
// One retry covers a lost packet; more would only multiply the wait.
const NoAnswerAttempts = 2

// NoAnswerError means an endpoint, or the HTTPS proxy on the way to it,
// did not answer within the connect timeout. It names both without any
// credentials a proxy URL may hold.
type NoAnswerError struct {
	Call     string        // "ec2 DescribeInstances"; "" when unknown
	Endpoint string        // host:port the request was for
	Proxy    string        // proxy URL without userinfo; "" when none was used
	Stage    string        // what was still missing: "TCP connect", "CONNECT", "TLS handshake", "response"
	Within   time.Duration // the limit that ran out
}

func (e *NoAnswerError) Error() string {
	var b strings.Builder
	if e.Call != "" {
		b.WriteString(e.Call + ": ")
	}
	switch {
	case e.Proxy != "" && e.Stage == "CONNECT":
		fmt.Fprintf(&b, "no answer within %v from the proxy %s (CONNECT %s)", e.Within, e.Proxy, e.Endpoint)
	case e.Proxy != "":
		fmt.Fprintf(&b, "no answer within %v from %s through the proxy %s (%s)", e.Within, e.Endpoint, e.Proxy, e.Stage)
	default:
		fmt.Fprintf(&b, "no answer within %v from %s (%s)", e.Within, e.Endpoint, e.Stage)
	}
	return b.String()
}

// Hint is the next step for the user.
func (e *NoAnswerError) Hint() string {
	if e.Proxy != "" {
		return "check the proxy (HTTPS_PROXY, NO_PROXY) and the network, or raise --connect-timeout"
	}
	return "check the endpoint (AWS_ENDPOINT_URL or the profile's endpoint_url) and the network, or raise --connect-timeout"
}

// Timeout marks the error as a timeout for the SDK's retry rules.
func (e *NoAnswerError) Timeout() bool { return true }

// Temporary is the other half of net.Error's old interface.
func (e *NoAnswerError) Temporary() bool { return true }

// RedactURL drops userinfo, path and query: what is left names a proxy
// without a password.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// hostPort is host:port of u, the port filled in from the scheme.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
		if strings.EqualFold(u.Scheme, "http") {
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// attemptTrace records, for one attempt, the proxy the transport chose and
// how far the connection got, so that a timeout can say who was silent.
type attemptTrace struct {
	mu        sync.Mutex
	proxy     *url.URL
	connected bool // TCP to the endpoint or the proxy is up
	tlsStart  bool // a TLS handshake with the endpoint began (so a CONNECT was answered)
	gotConn   bool // the connection is ready; the request goes out
}

type attemptTraceKey struct{}

func (t *attemptTrace) stage(https bool) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case !t.connected && !t.gotConn:
		return "TCP connect"
	case t.proxy != nil && https && !t.tlsStart && !t.gotConn:
		return "CONNECT"
	case https && !t.gotConn:
		return "TLS handshake"
	}
	return "response"
}

// withTimeouts returns b with the connect timeout on the dial, the TLS
// handshake and the wait for response headers, and a Proxy function that
// reports the proxy it picks (HTTPS_PROXY and NO_PROXY, by default) to the
// attempt's trace.
func withTimeouts(b *awshttp.BuildableClient, timeout time.Duration) *awshttp.BuildableClient {
	return b.WithDialerOptions(func(d *net.Dialer) {
		d.Timeout = timeout
	}).WithTransportOptions(func(tr *http.Transport) {
		tr.TLSHandshakeTimeout = timeout
		tr.ResponseHeaderTimeout = timeout
		proxy := tr.Proxy
		if proxy == nil {
			return
		}
		tr.Proxy = func(r *http.Request) (*url.URL, error) {
			u, err := proxy(r)
			if t, ok := r.Context().Value(attemptTraceKey{}).(*attemptTrace); ok && u != nil {
				t.mu.Lock()
				t.proxy = u
				t.mu.Unlock()
			}
			return u, err
		}
	})
}

// deadlineClient gives each attempt timeout to get its response headers,
// whatever stage it is stuck in (a proxy's CONNECT has no timeout of its
// own in net/http), and turns a timeout into a NoAnswerError.
type deadlineClient struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	timeout time.Duration
}

func (c *deadlineClient) Do(r *http.Request) (*http.Response, error) {
	trace := &attemptTrace{}
	ctx := context.WithValue(r.Context(), attemptTraceKey{}, trace)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				trace.mu.Lock()
				trace.connected = true
				trace.mu.Unlock()
			}
		},
		TLSHandshakeStart: func() { trace.mu.Lock(); trace.tlsStart = true; trace.mu.Unlock() },
		GotConn:           func(httptrace.GotConnInfo) { trace.mu.Lock(); trace.gotConn = true; trace.mu.Unlock() },
	})
	ctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(c.timeout, func() { cancel(errAttemptTimeout) })
	resp, err := c.next.Do(r.WithContext(ctx))
	stopped := timer.Stop()
	if err != nil {
		cancel(nil)
		if !stopped || isTimeout(err) && r.Context().Err() == nil {
			https := !strings.EqualFold(r.URL.Scheme, "http")
			na := &NoAnswerError{Endpoint: hostPort(r.URL), Stage: trace.stage(https), Within: c.timeout}
			trace.mu.Lock()
			if trace.proxy != nil {
				na.Proxy = RedactURL(trace.proxy)
			}
			trace.mu.Unlock()
			if svc, op := awsmiddleware.GetServiceID(r.Context()), awsmiddleware.GetOperationName(r.Context()); op != "" {
				na.Call = serviceName(svc) + " " + op
			}
			return nil, na
		}
		return nil, err
	}
	if !stopped {
		// The headers came as the timer fired: the answer is there, but
		// its context is cancelled; report it like the others.
		resp.Body.Close()
		return nil, &NoAnswerError{Endpoint: hostPort(r.URL), Stage: "response", Within: c.timeout}
	}
	// The body is read after Do returns: the context lives until it is closed.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
	return resp, nil
}

var errAttemptTimeout = errors.New("no answer within the connect timeout")

// isTimeout reports the transport's own timeouts (dial, TLS handshake,
// response headers).
func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, errAttemptTimeout)
}

type cancelOnClose struct {
	io.ReadCloser
	cancel func()
	once   sync.Once
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.cancel)
	return err
}

// serviceName is the SDK's service id as a short lower-case word:
// "ec2", "ssm", "ec2-instance-connect".
func serviceName(id string) string {
	return strings.ToLower(strings.ReplaceAll(id, " ", "-"))
}
