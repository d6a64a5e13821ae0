package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// callStats is what the call log learns from further down the stack: the
// attempt counter countAttempts gives the call.
type callStats struct{ attempts *int }

type callStatsKey struct{}

// logCalls writes one line to w per operation call, once it is over:
//
//	aws: ssm DescribeInstanceInformation 200 43ms req=5f1c... retries=0
//	aws: ssm StartSession 400 TargetNotConnected 12ms req=8a2b... retries=0
//	aws: ec2 DescribeInstances no-answer 2.1s req=- retries=1
//
// service, operation, HTTP status (and AWS's error code, or what kept the
// call from getting an answer), duration including retries and their
// back-off, request id and retries. Nothing of the request or its headers
// is printed: no key, token or signature can reach the line.
func logCalls(w io.Writer) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		// After: inside the service's own initialize steps, which record
		// the service and operation names in the context.
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ssmdoctorCallLog",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				cs := &callStats{}
				start := time.Now()
				out, md, err := next.HandleInitialize(context.WithValue(ctx, callStatsKey{}, cs), in)
				retries := 0
				if cs.attempts != nil && *cs.attempts > 0 {
					retries = *cs.attempts - 1
				}
				fmt.Fprintf(w, "aws: %s %s %s %s req=%s retries=%d\n",
					serviceName(awsmiddleware.GetServiceID(ctx)), logWord(awsmiddleware.GetOperationName(ctx)),
					callOutcome(md, err), formatDuration(time.Since(start)), requestID(md, err), retries)
				return out, md, err
			}), middleware.After)
	}
}

// callOutcome is the HTTP status, followed on failure by AWS's error code;
// "no-answer" for an endpoint that did not answer, "canceled" or
// "deadline" when the caller gave up, "error" for other failures before a
// response.
func callOutcome(md middleware.Metadata, err error) string {
	if err == nil {
		if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && r != nil {
			return fmt.Sprint(r.StatusCode)
		}
		return "ok"
	}
	var na *NoAnswerError
	var re *smithyhttp.ResponseError
	var ae smithy.APIError
	switch {
	case errors.As(err, &na):
		return "no-answer"
	case errors.As(err, &re):
		if errors.As(err, &ae) {
			return fmt.Sprintf("%d %s", re.HTTPStatusCode(), logWord(ae.ErrorCode()))
		}
		return fmt.Sprint(re.HTTPStatusCode())
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.As(err, &ae):
		return "error " + logWord(ae.ErrorCode())
	}
	return "error"
}

func requestID(md middleware.Metadata, err error) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(md)
	var re *awshttp.ResponseError
	if id == "" && errors.As(err, &re) {
		id = re.ServiceRequestID()
	}
	if id = logWord(id); id == "" {
		return "-"
	}
	return id
}

// logWord keeps what an endpoint sent (error codes, request ids) to the
// characters such words are made of, so a hostile endpoint cannot write
// control characters or whole lines into the log.
func logWord(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-_.:/", r):
			return r
		}
		return -1
	}, s)
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// lockedWriter serialises whole writes: calls run concurrently and each
// line must stay in one piece.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
