package awsapi

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ssmdoctor/ssmdoctor/internal/testnet"
)

// TestCallLog: with LogTo every call is one line with service, operation,
// status (and error code), duration, request id and retries, and never
// the credentials or the request's signature.
func TestCallLog(t *testing.T) {
	for _, tc := range []struct {
		name         string
		code         string
		status, fail int
		want         string
	}{
		{"success", "", 200, 0, `^aws: sts GetCallerIdentity 200 \d+ms req=r-2 retries=0$`},
		{"throttled twice", "Throttling", 400, 2, `^aws: sts GetCallerIdentity 200 [0-9.]+m?s req=r-2 retries=2$`},
		{"denied", "AccessDenied", 403, 100, `^aws: sts GetCallerIdentity 403 AccessDenied \d+ms req=r-1 retries=0$`},
		{"lasting 500", "InternalFailure", 500, 100, `^aws: sts GetCallerIdentity 500 InternalFailure \d+ms req=r-1 retries=2$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := stsServer(t, tc.code, tc.status, tc.fail)
			var log bytes.Buffer
			o := staticOptions(url, 5*time.Second)
			o.Credentials = credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret-Kq81", "session-token-Zx77")
			o.LogTo = &log
			c, err := Load(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			c.STS.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
			if len(lines) != 1 || !regexp.MustCompile(tc.want).MatchString(lines[0]) {
				t.Fatalf("log %q, want one line matching %s", log.String(), tc.want)
			}
			for _, secret := range []string{"test-secret-Kq81", "session-token-Zx77", "Signature", "Authorization", "Credential="} {
				if strings.Contains(log.String(), secret) {
					t.Errorf("the log holds %q: %q", secret, log.String())
				}
			}
		})
	}
}

// TestCallLogNoAnswer: a call that got no answer says so, with its retry.
func TestCallLogNoAnswer(t *testing.T) {
	addr, _ := testnet.Silent(t)
	var log bytes.Buffer
	o := staticOptions("http://"+addr, 200*time.Millisecond)
	o.LogTo = &log
	callWithin(t, o, 10*time.Second)
	if !regexp.MustCompile(`^aws: sts GetCallerIdentity no-answer [0-9.]+m?s req=- retries=1\n$`).MatchString(log.String()) {
		t.Fatalf("log %q", log.String())
	}
}

// TestCallLogHostileEndpoint: what the endpoint sends (request id, error
// code) cannot put control characters or lines of its own into the log.
func TestCallLogHostileEndpoint(t *testing.T) {
	if got := logWord("r-1\n\x1b[31maws: fake line\r"); got != "r-131maws:fakeline" {
		t.Fatalf("logWord = %q", got)
	}
}

// TestCallLogConcurrent: lines from concurrent calls stay whole.
func TestCallLogConcurrent(t *testing.T) {
	url, _ := stsServer(t, "", 200, 0)
	var log bytes.Buffer
	o := staticOptions(url, 5*time.Second)
	o.LogTo = &log
	c, err := Load(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.STS.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}) }()
	}
	wg.Wait()
	line := regexp.MustCompile(`^aws: sts GetCallerIdentity 200 \d+ms req=r-2 retries=0$`)
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines, want 20", len(lines))
	}
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Fatalf("line %q", l)
		}
	}
}
