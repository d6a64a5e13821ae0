package awsapi

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ssmdoctor/ssmdoctor/internal/testnet"
)

// staticOptions point every call at endpoint with test credentials.
func staticOptions(endpoint string, timeout time.Duration) Options {
	return Options{
		Region: "us-east-1", Endpoint: endpoint, ConnectTimeout: timeout, MaxBackoff: 10 * time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	}
}

// callWithin runs GetCallerIdentity through clients loaded with o, and
// fails the test when it takes longer than limit (the test's own bound,
// so that a client without timeouts fails instead of hanging the suite).
func callWithin(t *testing.T, o Options, limit time.Duration) (error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	c, err := Load(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("the call was still waiting after %v: no time limit of its own (err %v)", limit, err)
	}
	return err, took
}

// TestNoAnswerFromEndpoint: an endpoint that accepts and never answers
// fails each attempt after the connect timeout, gets NoAnswerAttempts
// attempts (not the 3 other errors get), and the error names it.
func TestNoAnswerFromEndpoint(t *testing.T) {
	for _, tc := range []struct {
		scheme, stage string
	}{{"http", "response"}, {"https", "TLS handshake"}} {
		t.Run(tc.scheme, func(t *testing.T) {
			addr, accepted := testnet.Silent(t)
			err, took := callWithin(t, staticOptions(tc.scheme+"://"+addr, 300*time.Millisecond), 15*time.Second)
			var na *NoAnswerError
			if !errors.As(err, &na) {
				t.Fatalf("error %v (%T), want a NoAnswerError", err, err)
			}
			want := "sts GetCallerIdentity: no answer within 300ms from " + addr + " (" + tc.stage + ")"
			if na.Error() != want {
				t.Errorf("error %q\nwant  %q", na.Error(), want)
			}
			if !strings.Contains(na.Hint(), "AWS_ENDPOINT_URL") || !strings.Contains(na.Hint(), "--connect-timeout") {
				t.Errorf("hint %q", na.Hint())
			}
			if n := accepted.Load(); n != NoAnswerAttempts {
				t.Errorf("%d connections, want %d attempts", n, NoAnswerAttempts)
			}
			if took > 3*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestNoAnswerFromProxy: an HTTPS proxy that accepts and never answers
// the CONNECT is named, without the password in its URL; the endpoint's
// host name is never resolved (it cannot be: .invalid), so nothing
// leaves the machine.
func TestNoAnswerFromProxy(t *testing.T) {
	addr, accepted := testnet.Silent(t)
	proxy, _ := url.Parse("http://user:s3cr3t-proxy-pass@" + addr)
	base := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.Proxy = http.ProxyURL(proxy) })
	c := &deadlineClient{next: withTimeouts(base, 300*time.Millisecond), timeout: 300 * time.Millisecond}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://ssm.us-east-1.example.invalid/", nil)
	_, err := c.Do(req)
	if ctx.Err() != nil {
		t.Fatal("the CONNECT had no time limit")
	}
	var na *NoAnswerError
	if !errors.As(err, &na) {
		t.Fatalf("error %v, want a NoAnswerError", err)
	}
	want := "no answer within 300ms from the proxy http://" + addr + " (CONNECT ssm.us-east-1.example.invalid:443)"
	if na.Error() != want || strings.Contains(na.Error()+na.Hint(), "s3cr3t") {
		t.Errorf("error %q\nwant  %q", na.Error(), want)
	}
	if !strings.Contains(na.Hint(), "HTTPS_PROXY") {
		t.Errorf("hint %q", na.Hint())
	}
	if accepted.Load() != 1 {
		t.Errorf("%d connections to the proxy, want 1", accepted.Load())
	}
}

// TestSlowBodyIsNotCut: the connect timeout ends at the response headers;
// a body that takes longer still arrives.
func TestSlowBodyIsNotCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		time.Sleep(600 * time.Millisecond)
		w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/me</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	defer srv.Close()
	if err, _ := callWithin(t, staticOptions(srv.URL, 300*time.Millisecond), 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestCustomCABundleStillWorks: AWS_CA_BUNDLE is added to the client that
// carries the timeouts, so an endpoint signed by a private CA answers.
func TestCustomCABundleStillWorks(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/me</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below
	srv.StartTLS()
	defer srv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	if err, _ := callWithin(t, staticOptions(srv.URL, 2*time.Second), 10*time.Second); err != nil {
		t.Fatalf("with AWS_CA_BUNDLE: %v", err)
	}
	t.Setenv("AWS_CA_BUNDLE", "")
	if err, _ := callWithin(t, staticOptions(srv.URL, 2*time.Second), 10*time.Second); err == nil {
		t.Fatal("without the bundle the private CA was trusted: the test proves nothing")
	}
}
