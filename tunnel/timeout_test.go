package tunnel

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ssmdoctor/ssmdoctor/internal/testnet"
)

// streamAt is a SessionAPI whose sessions' StreamUrl is url; start, when
// set, replaces StartSession.
type streamAt struct {
	url        string
	start      func(ctx context.Context) error
	terminated atomic.Int32
}

func (a *streamAt) StartSession(ctx context.Context, target, doc string, params map[string][]string) (SessionInfo, error) {
	if a.start != nil {
		if err := a.start(ctx); err != nil {
			return SessionInfo{}, err
		}
	}
	return SessionInfo{ID: "s-0123456789abcdef0", Token: "tok-secret", StreamURL: a.url}, nil
}
func (a *streamAt) ResumeSession(ctx context.Context, id string) (SessionInfo, error) {
	return SessionInfo{}, errors.New("no resume")
}
func (a *streamAt) TerminateSession(ctx context.Context, id string) error {
	a.terminated.Add(1)
	return nil
}

// openWithin opens a session and fails the test when Open takes longer
// than limit: the test's own bound, so that no time limit in Open fails
// the test instead of hanging it.
func openWithin(t *testing.T, api SessionAPI, o Options, limit time.Duration) (*Session, error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	start := time.Now()
	s, err := Open(ctx, api, o)
	if ctx.Err() != nil {
		t.Fatalf("Open still waiting after %v (err %v)", limit, err)
	}
	return s, err, time.Since(start)
}

// TestDialNoAnswer: a stream host that accepts and never answers fails
// the dial after ConnectTimeout, gets one more try (not dialRetries), and
// the error names the host; the session is terminated.
func TestDialNoAnswer(t *testing.T) {
	for _, scheme := range []string{"ws", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			addr, accepted := testnet.Silent(t)
			api := &streamAt{url: scheme + "://" + addr + "/v1/data-channel/s-0123456789abcdef0?role=publish_subscribe"}
			_, err, took := openWithin(t, api, Options{Target: "i-0123456789abcdef0", ConnectTimeout: 300 * time.Millisecond}, 20*time.Second)
			var na *NoAnswerError
			if !errors.As(err, &na) {
				t.Fatalf("error %v, want a NoAnswerError", err)
			}
			want := "session s-0123456789abcdef0: open data channel: no answer within 300ms from " + addr
			if err.Error() != want {
				t.Errorf("error %q\nwant  %q", err, want)
			}
			if strings.Contains(err.Error(), "tok-secret") || strings.Contains(err.Error(), "role=") {
				t.Errorf("error shows the token or the query: %q", err)
			}
			if n := accepted.Load(); n != 2 {
				t.Errorf("%d dials, want 2", n)
			}
			if took > 3*time.Second {
				t.Errorf("took %v", took)
			}
			if api.terminated.Load() != 1 {
				t.Error("the session was not terminated")
			}
		})
	}
}

// TestDialNoAnswerThroughProxy: a proxy that never answers the CONNECT is
// named, without its password.
func TestDialNoAnswerThroughProxy(t *testing.T) {
	addr, _ := testnet.Silent(t)
	proxy, _ := url.Parse("http://u:pr0xy-pass@" + addr)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(proxy)
	api := &streamAt{url: "wss://ssmmessages.us-east-1.example.invalid/v1/data-channel/s-1?role=publish_subscribe"}
	_, err, _ := openWithin(t, api, Options{Target: "i-0123456789abcdef0", ConnectTimeout: 300 * time.Millisecond,
		HTTPClient: &http.Client{Transport: tr}}, 20*time.Second)
	want := "open data channel: no answer within 300ms from ssmmessages.us-east-1.example.invalid:443 through the proxy http://" + addr
	if err == nil || !strings.HasSuffix(err.Error(), want) || strings.Contains(err.Error(), "pr0xy-pass") {
		t.Fatalf("error %v\nwant ...%s", err, want)
	}
	var na *NoAnswerError
	if !errors.As(err, &na) || !strings.Contains(na.Hint(), "HTTPS_PROXY") {
		t.Fatalf("hint of %v", err)
	}
}

// TestSetupDeadlineStartSession: a StartSession that never returns ends at
// the setup deadline.
func TestSetupDeadlineStartSession(t *testing.T) {
	api := &streamAt{start: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}
	_, err, took := openWithin(t, api, Options{Target: "i-0123456789abcdef0", SetupTimeout: 400 * time.Millisecond}, 20*time.Second)
	var st *SetupTimeoutError
	if !errors.As(err, &st) || st.Stage != "StartSession" {
		t.Fatalf("error %v, want a SetupTimeoutError in StartSession", err)
	}
	if took > 3*time.Second {
		t.Errorf("took %v", took)
	}
}

// TestSetupDeadlineHandshake: a data channel that opens but whose agent
// never starts the handshake ends at the setup deadline, well before
// HandshakeWait.
func TestSetupDeadlineHandshake(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			if _, _, err := c.Read(r.Context()); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	api := &streamAt{url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/data-channel/s-1"}
	s, err, _ := openWithin(t, api, Options{Target: "i-0123456789abcdef0", SetupTimeout: 800 * time.Millisecond, HandshakeWait: time.Minute}, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err = s.Run(ctx, strings.NewReader(""), io.Discard)
	if ctx.Err() != nil {
		t.Fatal("Run still waiting for the handshake after 20s")
	}
	var st *SetupTimeoutError
	if !errors.As(err, &st) || st.Stage != "handshake" {
		t.Fatalf("error %v, want a SetupTimeoutError in the handshake", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v", took)
	}
}
