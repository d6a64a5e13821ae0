package tunnel

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
)

// AWS serves the data channel over wss://. Batched frames must travel
// inside TLS: a session moves data both ways byte for byte.
func TestSessionOverTLS(t *testing.T) {
	a := newFakeAgentTLS(t)
	mustEcho(t, a, Options{HTTPClient: a.srv.Client()}, 4<<20)
}

// Through an HTTPS proxy the transport opens a CONNECT tunnel and does TLS
// itself above the conn it dialed: frames must then go through the
// websocket library's writer, not onto the proxy connection in the clear.
func TestSessionOverTLSThroughConnectProxy(t *testing.T) {
	a := newFakeAgentTLS(t)
	var connects atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		connects.Add(1)
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		down, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { io.Copy(up, down); up.Close() }()
		io.Copy(down, up)
		down.Close()
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	tr := a.srv.Client().Transport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(pu)
	mustEcho(t, a, Options{HTTPClient: &http.Client{Transport: tr}}, 4<<20)
	if connects.Load() == 0 {
		t.Fatal("the session did not go through the proxy")
	}
}
