package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// forwardProxy is an HTTP forward proxy for one test: it records the
// hosts asked for and sends every request to backend, whatever the name
// (the names it is given do not resolve on this machine).
type forwardProxy struct {
	mu    sync.Mutex
	hosts []string
}

func (p *forwardProxy) start(t *testing.T, backend string) string {
	t.Helper()
	return "http://" + serveLoopback(t, func(c net.Conn) { p.serve(c, backend) }).String()
}

func (p *forwardProxy) serve(c net.Conn, backend string) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.hosts = append(p.hosts, req.Host)
	p.mu.Unlock()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer b.Close()
	if req.Method == http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	} else if err := req.Write(b); err != nil { // absolute-form in, origin-form out
		return
	}
	go io.Copy(b, br)
	io.Copy(c, b)
}

// The data channel honours HTTP(S)_PROXY and the ssmmessages endpoint
// override together, as behind a corporate proxy with PrivateLink: the
// stream URL's host is replaced, and the websocket goes via the proxy.
func TestE2EProxyEnvAndStreamEndpoint(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	sim, _ := url.Parse(e.sim.URL())
	p := &forwardProxy{}
	proxyURL := p.start(t, sim.Host)
	const fakeHost = "vpce-0abc.ssmmessages.us-east-1.vpce.amazonaws.test"
	env := []string{"HTTP_PROXY=" + proxyURL, "HTTPS_PROXY=" + proxyURL,
		"SSMDOCTOR_STREAM_ENDPOINT=http://" + fakeHost + ":" + sim.Port()}
	r := e.ssh(env, e.dest(), "echo", "via-proxy")
	if r.code != 0 || r.stdout != "via-proxy\n" {
		t.Fatalf("ssh through HTTP_PROXY: exit %d stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.hosts) == 0 || !strings.HasPrefix(p.hosts[0], fakeHost) {
		t.Fatalf("proxy saw %v, want the overridden ssmmessages host", p.hosts)
	}
}
