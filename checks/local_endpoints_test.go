package checks

import (
	"bufio"
	"context"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// tlsEndpoint is a loopback TLS server and a CA bundle file that trusts
// it (its certificate names 127.0.0.1 and example.com).
func tlsEndpoint(t *testing.T) (srv *httptest.Server, bundle string) {
	t.Helper()
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	bundle = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, bundle
}

// connectProxy is a loopback HTTP proxy that tunnels every CONNECT to
// upstream, whatever host was asked for, and counts the tunnels.
func connectProxy(t *testing.T, upstream string) (addr string, tunnels *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	tunnels = &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				up, err := net.Dial("tcp", upstream)
				if err != nil {
					c.Write([]byte("HTTP/1.1 502 Bad Gateway\r\n\r\n"))
					return
				}
				defer up.Close()
				tunnels.Add(1)
				c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
				go io.Copy(up, c)
				io.Copy(c, up)
			}()
		}
	}()
	return ln.Addr().String(), tunnels
}

func endpointEnv(vars map[string]string, o Options) *Env {
	m := newFakeMachine()
	for k, v := range vars {
		m.env[k] = v
	}
	l := m.local()
	l.ReadFile = os.ReadFile
	return &Env{Local: l, Options: o}
}

func TestLocalEndpoints(t *testing.T) {
	srv, bundle := tlsEndpoint(t)
	closed := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		a := ln.Addr().String()
		ln.Close()
		return a
	}()
	proxyAddr, tunnels := connectProxy(t, srv.Listener.Addr().String())
	cases := []struct {
		name   string
		vars   map[string]string
		opts   Options
		status Status
		msg    string
	}{
		{"both answer", map[string]string{"AWS_ENDPOINT_URL_SSM": srv.URL, "AWS_CA_BUNDLE": bundle},
			Options{Region: "eu-west-1", StreamEndpoint: "wss://" + srv.Listener.Addr().String()}, StatusPass, "directly"},
		{"custom SSM endpoint, no stream endpoint", map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_CA_BUNDLE": bundle},
			Options{Region: "eu-west-1"}, StatusPass, srv.Listener.Addr().String()},
		{"untrusted certificate (no bundle)", map[string]string{"AWS_ENDPOINT_URL_SSM": srv.URL},
			Options{Region: "eu-west-1"}, StatusFail, "failed at TLS"},
		{"nothing listens", map[string]string{"AWS_ENDPOINT_URL_SSM": "https://" + closed},
			Options{Region: "eu-west-1"}, StatusFail, "failed at TCP"},
		{"stream endpoint from the environment", map[string]string{"AWS_ENDPOINT_URL_SSM": srv.URL, "AWS_CA_BUNDLE": bundle, "SSMDOCTOR_STREAM_ENDPOINT": "wss://" + closed},
			Options{Region: "eu-west-1"}, StatusFail, closed},
		{"through the proxy", map[string]string{"AWS_ENDPOINT_URL_SSM": "https://example.com", "HTTPS_PROXY": "http://user:secret@" + proxyAddr, "AWS_CA_BUNDLE": bundle},
			Options{Region: "eu-west-1"}, StatusPass, "through http://" + proxyAddr + " (credentials hidden)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := localEndpointsCheck().Run(context.Background(), endpointEnv(tc.vars, tc.opts))
			if r.Status != tc.status || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s %q %q, want %s containing %q", r.Status, r.Message, r.Details, tc.status, tc.msg)
			}
			if strings.Contains(r.Message+strings.Join(r.Details, " "), "secret") {
				t.Fatalf("proxy password in output: %q", r.Message)
			}
		})
	}
	if tunnels.Load() != 1 {
		t.Errorf("the proxy opened %d tunnels, want 1", tunnels.Load())
	}
}

// NO_PROXY and loopback hosts go direct, as the SDK's transport does
// (no dial here: the names are not resolved).
func TestProxyFor(t *testing.T) {
	vars := map[string]string{"HTTPS_PROXY": "http://proxy.internal:3128", "NO_PROXY": ".corp.example,ssm.eu-west-1.amazonaws.com"}
	env := endpointEnv(vars, Options{})
	for host, want := range map[string]string{
		"ssm.eu-west-1.amazonaws.com":         "",
		"ssmmessages.eu-west-1.amazonaws.com": "proxy.internal:3128",
		"api.corp.example":                    "",
		"127.0.0.1":                           "",
		"localhost":                           "",
	} {
		u, err := proxyFor(env, host)
		got := ""
		if u != nil {
			got = u.Host
		}
		if err != nil || got != want {
			t.Errorf("proxy for %s: %q %v, want %q", host, got, err, want)
		}
	}
}

func TestLocalInstanceConnect(t *testing.T) {
	srv, bundle := tlsEndpoint(t)
	vars := map[string]string{"AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT": srv.URL, "AWS_CA_BUNDLE": bundle}
	if r := localInstanceConnectCheck().Run(context.Background(), endpointEnv(vars, Options{})); r.Status != StatusSkip {
		t.Errorf("without one-time keys: %s %q", r.Status, r.Message)
	}
	if r := localInstanceConnectCheck().Run(context.Background(), endpointEnv(vars, Options{Ephemeral: true})); r.Status != StatusPass {
		t.Errorf("reachable: %s %q", r.Status, r.Message)
	}
	delete(vars, "AWS_CA_BUNDLE")
	if r := localInstanceConnectCheck().Run(context.Background(), endpointEnv(vars, Options{Ephemeral: true})); r.Status != StatusFail || !strings.Contains(r.Message, "failed at TLS") {
		t.Errorf("untrusted: %s %q", r.Status, r.Message)
	}
}
