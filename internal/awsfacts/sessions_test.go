package awsfacts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

type fakeSessions struct {
	calls []*ssm.DescribeSessionsInput
	pages [][]ssmtypes.Session
	err   error
}

func (f *fakeSessions) DescribeSessions(_ context.Context, in *ssm.DescribeSessionsInput, _ ...func(*ssm.Options)) (*ssm.DescribeSessionsOutput, error) {
	f.calls = append(f.calls, in)
	if f.err != nil {
		return nil, f.err
	}
	i := len(f.calls) - 1
	out := &ssm.DescribeSessionsOutput{Sessions: f.pages[i]}
	if i+1 < len(f.pages) {
		out.NextToken = aws.String("next")
	}
	return out, nil
}

func (f *fakeSessions) TerminateSession(context.Context, *ssm.TerminateSessionInput, ...func(*ssm.Options)) (*ssm.TerminateSessionOutput, error) {
	return nil, f.err
}

// ListSessions sends AWS's filters, reads every page, sorts newest first
// and names the session kind; a failure names ssm:DescribeSessions.
func TestListSessions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sess := func(id, doc string, at int) ssmtypes.Session {
		return ssmtypes.Session{SessionId: aws.String(id), DocumentName: aws.String(doc), StartDate: aws.Time(t0.Add(time.Duration(at) * time.Minute))}
	}
	f := &fakeSessions{pages: [][]ssmtypes.Session{
		{sess("a", "AWS-StartSSHSession", 1), sess("b", "AWS-StartPortForwardingSessionToRemoteHost", 3)},
		{sess("c", "", 2), sess("d", "Custom-Doc", 0)},
	}}
	got, err := ListSessions(context.Background(), f, SessionQuery{State: ssmtypes.SessionStateHistory, Target: "i-1", Owner: "arn:aws:iam::1:user/a", Since: t0})
	if err != nil {
		t.Fatal(err)
	}
	order := ""
	for _, s := range got {
		order += s.ID + ":" + string(s.Kind) + " "
	}
	if order != "b:port-forwarding c:shell a:ssh d:other " || got[0].State != ssmtypes.SessionStateHistory {
		t.Fatalf("sessions %q", order)
	}
	in := f.calls[0]
	if len(f.calls) != 2 || aws.ToInt32(in.MaxResults) != 200 || in.State != ssmtypes.SessionStateHistory || len(in.Filters) != 3 ||
		in.Filters[0].Key != ssmtypes.SessionFilterKeyTargetId || in.Filters[1].Key != ssmtypes.SessionFilterKeyOwner ||
		in.Filters[2].Key != ssmtypes.SessionFilterKeyInvokedAfter || aws.ToString(in.Filters[2].Value) != "2026-01-01T00:00:00Z" ||
		aws.ToString(f.calls[1].NextToken) != "next" {
		t.Fatalf("requests %+v", f.calls)
	}
	f = &fakeSessions{err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}}
	_, err = ListSessions(context.Background(), f, SessionQuery{State: ssmtypes.SessionStateActive})
	var ce *CallError
	if !errors.As(err, &ce) || ce.Call != "ssm:DescribeSessions" || Classify(err) != Denied {
		t.Fatalf("error %v", err)
	}
	if err := TerminateSession(context.Background(), f, "x"); FailedCall(err) != "ssm:TerminateSession" {
		t.Fatalf("terminate error %v", err)
	}
}
