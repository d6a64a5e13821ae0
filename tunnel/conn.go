package tunnel

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// streamURL applies the ssmmessages endpoint override: scheme and host
// come from the override, path and query stay (PrivateLink endpoints
// serve the same paths).
func streamURL(raw, override string) (string, error) {
	if override == "" {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse stream url: %w", err)
	}
	o, err := url.Parse(override)
	if err != nil || o.Host == "" {
		return "", fmt.Errorf("parse stream endpoint override %q: want scheme://host[:port]", override)
	}
	switch strings.ToLower(o.Scheme) {
	case "https", "wss":
		u.Scheme = "wss"
	case "http", "ws":
		u.Scheme = "ws"
	default:
		return "", fmt.Errorf("stream endpoint override %q: scheme must be wss, ws, https or http", override)
	}
	u.Host = o.Host
	return u.String(), nil
}

func defaultHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = timeout
	t.ResponseHeaderTimeout = timeout
	return &http.Client{Transport: t}
}

// NoAnswerError means the data channel's host, or the proxy on the way to
// it, did not answer the websocket dial in time.
type NoAnswerError struct {
	Host   string        // host:port of the stream URL
	Proxy  string        // proxy URL without userinfo; "" when none was used
	Within time.Duration // the limit that ran out
}

func (e *NoAnswerError) Error() string {
	if e.Proxy != "" {
		return fmt.Sprintf("open data channel: no answer within %v from %s through the proxy %s", e.Within, e.Host, e.Proxy)
	}
	return fmt.Sprintf("open data channel: no answer within %v from %s", e.Within, e.Host)
}

// Hint is the next step for the user.
func (e *NoAnswerError) Hint() string {
	if e.Proxy != "" {
		return "check the proxy (HTTPS_PROXY, NO_PROXY) and the network, or raise --connect-timeout"
	}
	return "check the network's way to ssmmessages (or --stream-endpoint), or raise --connect-timeout"
}

// proxyFor is the proxy hc's transport picks for target, "" for none; the
// URL keeps only scheme and host, never a password.
func proxyFor(hc *http.Client, target *url.URL) string {
	t, ok := hc.Transport.(*http.Transport)
	if hc.Transport == nil {
		t, ok = http.DefaultTransport.(*http.Transport)
	}
	if !ok || t.Proxy == nil {
		return ""
	}
	u := *target
	switch strings.ToLower(u.Scheme) {
	case "wss":
		u.Scheme = "https"
	case "ws":
		u.Scheme = "http"
	}
	p, err := t.Proxy(&http.Request{Method: http.MethodGet, URL: &u, Header: http.Header{}, Host: u.Host})
	if err != nil || p == nil {
		return ""
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host}).String()
}

// corkingClient returns a client like hc whose connections are wrapped in
// a CorkedConn, reporting the last one it dialed (the websocket's).
// Transports other than *http.Transport are used as they are.
//
// The cork sits where the websocket's bytes are: for wss:// without a
// proxy this client does the TLS handshake itself and corks the TLS
// connection, so batched frames are encrypted like any others. Where the
// transport adds a layer of its own above the dialed conn (TLS through an
// HTTPS proxy's tunnel, a TLS proxy), the cork only batches bytes and
// frames go through coder/websocket's writer.
func corkingClient(hc *http.Client, target *url.URL, dialed **CorkedConn) *http.Client {
	t, ok := hc.Transport.(*http.Transport)
	if hc.Transport == nil {
		t, ok = http.DefaultTransport.(*http.Transport)
	}
	if !ok {
		return hc
	}
	t = t.Clone()
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	direct := hostPort(target)
	plain := strings.EqualFold(target.Scheme, "ws") || strings.EqualFold(target.Scheme, "http")
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc := NewCorkedConn(c)
		if plain && addr == direct {
			cc.CarriesFrames(true)
		}
		*dialed = cc
		return cc, nil
	}
	// Used by the transport only for HTTPS without a proxy.
	base := t.TLSClientConfig
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{}
		if base != nil {
			cfg = base.Clone()
		}
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"} // a websocket upgrade is HTTP/1.1
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, err
		}
		cc := NewCorkedConn(tc)
		cc.CarriesFrames(true)
		*dialed = cc
		return cc, nil
	}
	c := *hc
	c.Transport = t
	return &c
}

// hostPort is the address the transport dials for u when no proxy is in
// the way.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "wss") || strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// dial opens the websocket and sends the text open message
// (docs/session-protocol.md#opening-the-websocket). A new
// RequestId every time, the same ClientId for the whole run.
func (s *Session) dial(ctx context.Context, rawURL, token string) (*websocket.Conn, *CorkedConn, error) {
	u, err := streamURL(rawURL, s.opts.StreamEndpoint)
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
	defer cancel()
	target, err := url.Parse(u)
	if err != nil {
		return nil, nil, fmt.Errorf("parse stream url: %w", err)
	}
	var cork *CorkedConn
	c, resp, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: corkingClient(s.httpClient, target, &cork)})
	if err != nil {
		var ne net.Error
		if resp == nil && ctx.Err() != context.Canceled && (dctx.Err() != nil || errors.As(err, &ne) && ne.Timeout()) {
			within := s.opts.ConnectTimeout
			if ctx.Err() != nil { // the setup deadline came first
				within = time.Since(start).Round(10 * time.Millisecond)
			}
			return nil, nil, &NoAnswerError{Host: hostPort(target), Proxy: proxyFor(s.httpClient, target), Within: within}
		}
		if resp != nil {
			return nil, nil, fmt.Errorf("open data channel %s: HTTP %d: %w", redactURL(u), resp.StatusCode, err)
		}
		return nil, nil, fmt.Errorf("open data channel %s: %w", redactURL(u), err)
	}
	c.SetReadLimit(maxFrame)
	if cork != nil {
		cork.SetBeforeRead(s.wakeWriters)
	}
	open, _ := json.Marshal(OpenDataChannel{
		MessageSchemaVersion: "1.0",
		RequestID:            NewUUID().String(),
		TokenValue:           token,
		ClientID:             s.clientID,
		ClientVersion:        s.opts.ClientVersion,
	})
	if err := c.Write(dctx, websocket.MessageText, open); err != nil {
		c.CloseNow()
		return nil, nil, fmt.Errorf("send open data channel message: %w", err)
	}
	return c, cork, nil
}

// redactURL drops the query: stream URLs carry only a role today, but a
// future signed parameter must not end up in an error message.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(stream url)"
	}
	u.RawQuery = ""
	u.User = nil
	return u.String()
}

// backoff follows the plugin's retry policy
// (docs/session-protocol.md#keepalive-and-reconnection): the first delay is
// random in [100, 200) ms, each next one doubles, and past 5 s it starts
// over.
type backoff struct{ next time.Duration }

func (b *backoff) delay() time.Duration {
	if b.next == 0 || b.next > 5*time.Second {
		b.next = 100*time.Millisecond + rand.N(100*time.Millisecond)
	}
	d := b.next
	b.next *= 2
	return d
}

const dialRetries = 5

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
