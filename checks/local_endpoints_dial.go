package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// What local-endpoints and local-instance-connect share: reaching an AWS
// endpoint from this workstation the way the SDK and the data channel do
// (the proxy from HTTPS_PROXY unless NO_PROXY covers the host, the CA
// bundle from AWS_CA_BUNDLE), as far as a TLS handshake, with a deadline.

const defaultEndpointWait = 10 * time.Second

// endpointProbe is one endpoint's outcome.
type endpointProbe struct {
	URL   string
	Stage string // where it failed: DNS, TCP, proxy, TLS; "" on success
	Err   error
	Via   string // "directly", or the proxy (redacted)
	Note  string
}

// endpointHost is the host and port to reach for raw (https://, wss://,
// http://, ws://, or a bare host).
func endpointHost(raw string) (host, port string, tlsOn bool, err error) {
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "", "", false, fmt.Errorf("not an endpoint URL: %q", raw)
	}
	switch u.Scheme {
	case "https", "wss":
		tlsOn = true
	case "http", "ws":
	default:
		return "", "", false, fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	port = u.Port()
	if port == "" {
		port = map[bool]string{true: "443", false: "80"}[tlsOn]
	}
	return u.Hostname(), port, tlsOn, nil
}

// proxyFor is the proxy the SDK's transport would use for host: the HTTPS
// proxy variables, unless NO_PROXY covers the host or the host is
// loopback (Go never proxies those).
func proxyFor(env *Env, host string) (*url.URL, error) {
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		return nil, nil
	}
	noProxy := env.Local.Getenv("NO_PROXY")
	if noProxy == "" {
		noProxy = env.Local.Getenv("no_proxy")
	}
	if noProxyCovers(noProxy, strings.ToLower(host)) {
		return nil, nil
	}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy"} {
		v := env.Local.Getenv(k)
		if v == "" {
			continue
		}
		if !strings.Contains(v, "://") {
			v = "http://" + v
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%s is not a proxy URL", k)
		}
		return u, nil
	}
	return nil, nil
}

// caPool is the system's roots plus AWS_CA_BUNDLE's, as the SDK trusts.
func caPool(env *Env) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if f := env.Local.Getenv("AWS_CA_BUNDLE"); f != "" {
		read := env.Local.ReadFile
		if read == nil {
			read = os.ReadFile
		}
		b, err := read(f)
		if err != nil {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("AWS_CA_BUNDLE %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

func endpointWait(env *Env) time.Duration {
	if env.Sessions != nil && env.Sessions.ConnectTimeout > 0 {
		return env.Sessions.ConnectTimeout
	}
	return defaultEndpointWait
}

// probeEndpoint resolves, connects (through the proxy in use) and shakes
// hands with raw.
func probeEndpoint(ctx context.Context, env *Env, raw string) endpointProbe {
	p := endpointProbe{URL: raw, Via: "directly"}
	host, port, tlsOn, err := endpointHost(raw)
	if err != nil {
		p.Stage, p.Err = "URL", err
		return p
	}
	ctx, cancel := context.WithTimeout(ctx, endpointWait(env))
	defer cancel()
	proxy, err := proxyFor(env, host)
	if err != nil {
		p.Stage, p.Err = "proxy", err
		return p
	}
	var d net.Dialer
	var conn net.Conn
	target := net.JoinHostPort(host, port)
	if proxy != nil {
		p.Via = "through " + redactProxy(proxy.String())
		conn, err = connectThrough(ctx, &d, proxy, target)
		if err != nil {
			p.Stage, p.Err = "proxy", err
			return p
		}
	} else {
		if net.ParseIP(host) == nil {
			if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
				p.Stage, p.Err = "DNS", err
				return p
			}
		}
		conn, err = d.DialContext(ctx, "tcp", target)
		if err != nil {
			p.Stage, p.Err = "TCP", err
			return p
		}
	}
	defer conn.Close()
	if !tlsOn {
		p.Note = "plain HTTP: no TLS to check"
		return p
	}
	pool, err := caPool(env)
	if err != nil {
		p.Stage, p.Err = "TLS", err
		return p
	}
	tc := tls.Client(conn, &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		p.Stage, p.Err = "TLS", err
		return p
	}
	return p
}

// connectThrough opens a CONNECT tunnel to target through an HTTP proxy.
func connectThrough(ctx context.Context, d *net.Dialer, proxy *url.URL, target string) (net.Conn, error) {
	if proxy.Scheme != "http" && proxy.Scheme != "https" {
		return nil, fmt.Errorf("proxy scheme %q is not checked (only http:// and https:// proxies)", proxy.Scheme)
	}
	addr := proxy.Host
	if proxy.Port() == "" {
		addr = net.JoinHostPort(proxy.Hostname(), map[string]string{"http": "80", "https": "443"}[proxy.Scheme])
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("reach the proxy %s: %w", redactProxy(proxy.String()), err)
	}
	if proxy.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: proxy.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS to the proxy: %w", err)
		}
		conn = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	req := "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n"
	if proxy.User != nil {
		pw, _ := proxy.User.Password()
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(proxy.User.Username()+":"+pw)) + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		conn.Close()
		return nil, fmt.Errorf("CONNECT through the proxy: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("CONNECT through the proxy: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("the proxy refused CONNECT %s: %s", target, resp.Status)
	}
	if br.Buffered() > 0 {
		conn.Close()
		return nil, errors.New("the proxy sent bytes before the tunnel opened")
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// awsEndpoint is the URL the SDK calls for a service: its
// AWS_ENDPOINT_URL_<ID> or AWS_ENDPOINT_URL, else the public endpoint;
// custom reports whether an override applied.
func awsEndpoint(env *Env, serviceEnvID, prefix, region string) (string, bool) {
	if !strings.EqualFold(env.Local.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		if v := env.Local.Getenv("AWS_ENDPOINT_URL_" + serviceEnvID); v != "" {
			return v, true
		}
		if v := env.Local.Getenv("AWS_ENDPOINT_URL"); v != "" {
			return v, true
		}
	}
	return publicEndpoint(prefix, region), false
}

// publicEndpoint is a service's public HTTPS endpoint in region.
func publicEndpoint(prefix, region string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://" + prefix + "." + region + "." + suffix
}

// localRegion is the region the local checks speak of.
func localRegion(ctx context.Context, env *Env) string {
	region := env.Options.Region
	if region == "" && env.Target != nil {
		region = env.Target.Region
	}
	if region == "" && env.Local.Credentials != nil {
		info, _ := env.Local.Creds(ctx)
		region = info.Region
	}
	if region == "" {
		region = "us-east-1"
	}
	return region
}

func (p endpointProbe) describe() string {
	h, port, _, _ := endpointHost(p.URL)
	return net.JoinHostPort(h, port)
}

func (p endpointProbe) failure() string {
	hint := map[string]string{
		"DNS":   "the name does not resolve here: a VPN or split DNS for interface endpoints would explain it",
		"TCP":   "no TCP connection: a firewall or a missing route",
		"proxy": "the proxy in use did not open a tunnel",
		"TLS":   "the TLS handshake failed: a TLS-inspecting proxy whose CA is not in AWS_CA_BUNDLE would explain it",
		"URL":   "the configured endpoint cannot be read",
	}[p.Stage]
	return fmt.Sprintf("%s (%s) failed at %s: %v; %s", p.describe(), p.Via, p.Stage, p.Err, hint)
}
