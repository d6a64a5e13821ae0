package awsapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// DefaultThrottleAttempts is how many attempts a call gets, first included,
// while AWS answers it with a throttling error, when Options leave both
// attempt counts at 0.
//
// Measured with the simulator's per-API rate limits (checks'
// BenchmarkFleetCheckThrottled1000 and ...Shared4x1000): the adaptive
// retryer's own 3 attempts get one fleet check of 1,000 instances through,
// but not four at once sharing the account's limits, as other tools on a
// real account share them. Each of 3 such runs with 3 attempts lost a call:
// once a role's simulation (175 results undetermined), twice a
// DescribeInstanceInformation page, which sends the whole fleet to per-target
// calls (4 and 7 minutes instead of about 30 s). With 5 attempts, 4 runs
// lost nothing, none slower than 40 s. Five keep the longest throttling
// back-off (jittered 1+2+4+8 s, plus the adaptive rate's waits) under a
// check's 30 s default timeout, so a check that stays throttled still says
// so instead of timing out; it says so after about 15 s instead of 6.
const DefaultThrottleAttempts = 5

// throttleRetryer gives throttling errors more attempts than other errors,
// and an endpoint that does not answer fewer.
// AWS throttles per account and API, so a call refused now is very likely
// to succeed a few seconds later, while a 5xx or a broken connection that
// failed 3 times is no more likely to pass on a 4th try, and each attempt
// at a silent endpoint costs the whole connect timeout.
type throttleRetryer struct {
	aws.RetryerV2
	attempts, throttleAttempts int
	throttle                   retry.IsErrorThrottle
}

func newThrottleRetryer(inner aws.RetryerV2, attempts, throttleAttempts int) aws.RetryerV2 {
	return &throttleRetryer{
		RetryerV2: inner, attempts: attempts, throttleAttempts: max(attempts, throttleAttempts),
		throttle: retry.IsErrorThrottles(retry.DefaultThrottles),
	}
}

// MaxAttempts is the SDK's stop for every error; GetRetryToken stops the
// others sooner.
func (r *throttleRetryer) MaxAttempts() int { return r.throttleAttempts }

func (r *throttleRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if n, ok := ctx.Value(attemptCountKey{}).(*int); ok {
		*n++
	}
	return r.RetryerV2.GetAttemptToken(ctx)
}

// GetRetryToken refuses another attempt to an error that is not throttling
// once it has had its attempts, and to an endpoint that did not answer
// after NoAnswerAttempts; refusing here, before the retry quota is drawn,
// costs the quota nothing. Without the counter (a client built without
// Load's middleware) every retryable error gets throttleAttempts.
func (r *throttleRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	if n, ok := ctx.Value(attemptCountKey{}).(*int); ok {
		var na *NoAnswerError
		if errors.As(opErr, &na) && *n >= NoAnswerAttempts {
			return nil, fmt.Errorf("exceeded maximum number of attempts for an endpoint that does not answer, %d", *n)
		}
		if *n >= r.attempts && !r.throttle.IsErrorThrottle(opErr).Bool() {
			return nil, fmt.Errorf("exceeded maximum number of attempts, %d", *n)
		}
	}
	return r.RetryerV2.GetRetryToken(ctx, opErr)
}

// attemptCountKey holds a call's attempt counter: the SDK keeps the attempt
// number in the context under a key only it can read.
type attemptCountKey struct{}

// countAttempts gives every operation call a fresh counter just outside the
// SDK's retry loop, which throttleRetryer advances and reads (and the call
// log reports).
func countAttempts(stack *middleware.Stack) error {
	// Presigning and some credential calls run without the retry loop.
	if _, ok := stack.Finalize.Get("Retry"); !ok {
		return nil
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("ssmdoctorAttemptCount",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			n := new(int)
			if cs, ok := ctx.Value(callStatsKey{}).(*callStats); ok && cs.attempts == nil {
				cs.attempts = n
			}
			return next.HandleFinalize(context.WithValue(ctx, attemptCountKey{}, n), in)
		}), "Retry", middleware.Before)
}
