package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// stsServer answers GetCallerIdentity with failure (an STS error code and
// HTTP status) for its first fail calls and with success after; calls
// counts every request it received.
func stsServer(t *testing.T, code string, status, fail int) (url string, calls *atomic.Int32) {
	t.Helper()
	calls = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		if int(calls.Add(1)) <= fail {
			w.Header().Set("X-Amzn-RequestId", "r-1")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`, code)
			return
		}
		w.Header().Set("X-Amzn-RequestId", "r-2")
		fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/me</Arn><UserId>AIDAME</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

// stsWith is an STS client for url whose retryer is newThrottleRetryer over
// standard retries without back-off, so that only attempt counts matter.
func stsWith(url string, attempts, throttleAttempts int) *sts.Client {
	inner := retry.NewStandard(func(s *retry.StandardOptions) {
		s.MaxAttempts = attempts
		s.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
	return sts.NewFromConfig(aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		Retryer:     func() aws.Retryer { return newThrottleRetryer(inner, attempts, throttleAttempts) },
		APIOptions:  []func(*middleware.Stack) error{countAttempts},
	})
}

func callerIdentity(c *sts.Client) error {
	_, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	return err
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestThrottleRetryerAttempts: throttling gets throttleAttempts tries,
// every other retryable error its usual attempts, and a call that gets
// through within its attempts succeeds.
func TestThrottleRetryerAttempts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		code      string
		status    int
		fail      int
		wantCalls int32
		wantCode  string // "" for success
	}{
		{"lasting throttling", "Throttling", 400, 100, 5, "Throttling"},
		{"throttled 4 times then through", "Throttling", 400, 4, 5, ""},
		{"lasting 500", "InternalFailure", 500, 100, 3, "InternalFailure"},
		{"500 twice then through", "InternalFailure", 500, 2, 3, ""},
		{"not retryable", "AccessDenied", 403, 100, 1, "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, calls := stsServer(t, tc.code, tc.status, tc.fail)
			err := callerIdentity(stsWith(url, 3, 5))
			if got := errorCode(err); got != tc.wantCode || (tc.wantCode == "" && err != nil) {
				t.Fatalf("error %v (code %q), want code %q", err, got, tc.wantCode)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("%d requests, want %d", got, tc.wantCalls)
			}
		})
	}
}

// TestLoadInstallsAttemptCounter: through Load, a 5xx stops at MaxAttempts
// although throttling may have more, which only the counter Load installs
// makes possible.
func TestLoadInstallsAttemptCounter(t *testing.T) {
	url, calls := stsServer(t, "InternalFailure", 500, 100)
	c, err := Load(context.Background(), Options{
		Region: "us-east-1", Endpoint: url, MaxAttempts: 2, ThrottleAttempts: 4, MaxBackoff: time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := callerIdentity(c.STS); errorCode(err) != "InternalFailure" {
		t.Fatalf("want InternalFailure, got %v", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("%d requests for a lasting 500, want MaxAttempts 2", got)
	}
}

// TestNewRetryerAttempts: the command's zero Options give throttling
// DefaultThrottleAttempts and other errors the SDK's 3; an explicit
// MaxAttempts alone is exact for every error.
func TestNewRetryerAttempts(t *testing.T) {
	for _, tc := range []struct {
		o                    Options
		attempts, throttling int
	}{
		{Options{}, retry.DefaultMaxAttempts, DefaultThrottleAttempts},
		{Options{MaxAttempts: 1}, 1, 1},
		{Options{MaxAttempts: 3, ThrottleAttempts: 5}, 3, 5},
		{Options{MaxAttempts: 6, ThrottleAttempts: 2}, 6, 6},
	} {
		r := newRetryer(tc.o)
		if got := r.MaxAttempts(); got != tc.throttling {
			t.Errorf("%+v: MaxAttempts() = %d, want %d (the throttling attempts)", tc.o, got, tc.throttling)
		}
		// Always wrapped: a silent endpoint gets NoAnswerAttempts whatever
		// the other counts.
		if tr, ok := r.(*throttleRetryer); !ok || tr.attempts != tc.attempts {
			t.Errorf("%+v: retryer %T %+v, want %d attempts for other errors", tc.o, r, r, tc.attempts)
		}
	}
}
