package awsfacts

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// CallError is a failed AWS call, named by its IAM action (which for every
// read the doctor makes is also the API name), e.g. "ec2:DescribeInstances".
type CallError struct {
	Call string
	Err  error
}

func (e *CallError) Error() string { return e.Call + ": " + e.Err.Error() }
func (e *CallError) Unwrap() error { return e.Err }

func callErr(call string, err error) error {
	if err == nil {
		return nil
	}
	var ce *CallError
	if errors.As(err, &ce) {
		return err
	}
	return &CallError{Call: call, Err: err}
}

// ErrorCode is the AWS error code of err, or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// ErrorKind is what a failed call means for the question it was to
// answer. The facts return errors; the checks turn the kind into a
// verdict ("could not determine", with what to do about it).
type ErrorKind int

const (
	// Failed is any other failure: a server error, an answer that cannot
	// be read.
	Failed ErrorKind = iota
	// Denied: the caller may not make the call; the permission is named by
	// the CallError.
	Denied
	// Throttled: still throttled after the SDK's retries.
	Throttled
	// Expired: the credentials were rejected, expired or unknown.
	Expired
	// NotFound: what the call was about does not exist.
	NotFound
	// NoAnswer: no answer came: the call was cancelled, ran out of time,
	// or could not be sent.
	NoAnswer
)

func (k ErrorKind) String() string {
	switch k {
	case Denied:
		return "denied"
	case Throttled:
		return "throttled"
	case Expired:
		return "expired"
	case NotFound:
		return "not found"
	case NoAnswer:
		return "no answer"
	}
	return "failed"
}

// Classify says what kind of failure err is; nil is Failed too, but no
// fact returns a nil error for a failure.
func Classify(err error) ErrorKind {
	code := ErrorCode(err)
	var send *smithyhttp.RequestSendError
	switch {
	case isDenied(err):
		return Denied
	case isThrottled(err):
		return Throttled
	case isExpired(err):
		return Expired
	case strings.HasSuffix(code, "NotFound") || code == "NoSuchEntity":
		return NotFound
	case IsCancellation(err) || errors.As(err, &send):
		return NoAnswer
	}
	return Failed
}

// FailedCall is the IAM action of the call err comes from, "" when err is
// not a CallError.
func FailedCall(err error) string {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Call
	}
	return ""
}

// isDenied: the caller may not make the call.
func isDenied(err error) bool {
	switch ErrorCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "Forbidden":
		return true
	}
	return false
}

// isThrottled: the call was throttled (after the SDK's retries).
func isThrottled(err error) bool {
	switch ErrorCode(err) {
	case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
		"ThrottledException", "RequestThrottled", "RequestThrottledException", "SlowDown":
		return true
	}
	return false
}

// isExpired: the credentials were rejected, expired or unknown.
func isExpired(err error) bool {
	switch ErrorCode(err) {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId", "UnrecognizedClientException":
		return true
	}
	return strings.Contains(strings.ToLower(errString(err)), "token has expired")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ConciseAPIError keeps the code and message of an API error without the
// SDK's request-id noise.
func ConciseAPIError(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return errString(err)
}
