package awsfacts

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestClassify: each kind of failure the checks tell apart, through the
// wrapping the facts add (CallError, fmt.Errorf %w).
func TestClassify(t *testing.T) {
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	cases := []struct {
		err  error
		want ErrorKind
	}{
		{api("AccessDenied"), Denied},
		{api("UnauthorizedOperation"), Denied},
		{api("ThrottlingException"), Throttled},
		{api("RequestLimitExceeded"), Throttled},
		{api("ExpiredToken"), Expired},
		{errors.New("operation error STS: the security token has expired"), Expired},
		{api("InvalidInstanceID.NotFound"), NotFound},
		{api("NoSuchEntity"), NotFound},
		{context.Canceled, NoAnswer},
		{context.DeadlineExceeded, NoAnswer},
		{&smithyhttp.RequestSendError{Err: errors.New("connection refused")}, NoAnswer},
		{api("InternalFailure"), Failed},
		{errors.New("parse policy p: bad"), Failed},
	}
	for _, c := range cases {
		wrapped := fmt.Errorf("resolve x: %w", callErr("ec2:DescribeInstances", c.err))
		if got := Classify(wrapped); got != c.want {
			t.Errorf("%v: %s, want %s", c.err, got, c.want)
		}
		if got := FailedCall(wrapped); got != "ec2:DescribeInstances" {
			t.Errorf("%v: FailedCall %q", c.err, got)
		}
	}
	if FailedCall(errors.New("x")) != "" {
		t.Error("FailedCall of a plain error")
	}
}
