package checks

import (
	"errors"
	"fmt"
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

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isDenied(err error) bool {
	switch errorCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "Forbidden":
		return true
	}
	return false
}

func isThrottled(err error) bool {
	switch errorCode(err) {
	case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
		"ThrottledException", "RequestThrottled", "RequestThrottledException", "SlowDown":
		return true
	}
	return false
}

func isExpired(err error) bool {
	switch errorCode(err) {
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

// undetermined turns a failed lookup into the "could not determine" result:
// the permission to ask for when denied, a retry hint when throttled, a
// login hint when the credentials are no longer valid.
func undetermined(err error) Result {
	call := "AWS API"
	var ce *CallError
	if errors.As(err, &ce) {
		call = ce.Call
	}
	code := errorCode(err)
	switch {
	case isDenied(err):
		return Undetermined(call, "could not determine: %s denied (%s)", call, call).
			WithDetails(fmt.Sprintf("ask for the read permission %s; %s", call, conciseAPIError(err)))
	case isThrottled(err):
		return Undetermined(call, "could not determine: %s still throttled after retries (%s)", call, code).
			WithDetails("AWS throttled the call even with adaptive retries; run again later or check fewer instances at once")
	case isExpired(err):
		return Undetermined(call, "could not determine: credentials rejected by %s (%s)", call, code).
			WithFix("aws sso login   # or refresh the credentials of your profile", "")
	}
	return Undetermined(call, "could not determine: %s failed", call).WithDetails(conciseAPIError(err))
}

// conciseAPIError keeps the code and message of an API error without the
// SDK's request-id noise.
func conciseAPIError(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return errString(err)
}
