package awsfacts

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
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

func IsDenied(err error) bool {
	switch ErrorCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "Forbidden":
		return true
	}
	return false
}

func IsThrottled(err error) bool {
	switch ErrorCode(err) {
	case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
		"ThrottledException", "RequestThrottled", "RequestThrottledException", "SlowDown":
		return true
	}
	return false
}

func IsExpired(err error) bool {
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
