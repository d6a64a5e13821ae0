package awssim

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// historyStatus waits for the session to reach History and returns its status.
func historyStatus(t *testing.T, s *Sim, id string) types.SessionStatus {
	t.Helper()
	c := ssmAs(s, "ops")
	var got []types.Session
	waitFor(t, func() bool {
		got = describeSessions(t, c, types.SessionStateHistory, types.SessionFilter{Key: types.SessionFilterKeySessionId, Value: aws.String(id)})
		return len(got) == 1
	})
	if a := describeSessions(t, c, types.SessionStateActive, types.SessionFilter{Key: types.SessionFilterKeySessionId, Value: aws.String(id)}); len(a) != 0 {
		t.Fatalf("session %s is both active and history: %+v", id, a)
	}
	if got[0].EndDate == nil {
		t.Fatalf("history entry without EndDate: %+v", got[0])
	}
	return got[0].Status
}

// A refused handshake is a session that never carried a stream: Failed.
func TestSSMHistoryFailedHandshake(t *testing.T) {
	echo := startDCEcho(t, 0)
	s, api, out := dcSession(t, echo.addr, nil, DCFaults{RefuseHandshake: true})
	c := newDCClient(t, api, out, idHealthy, nil)
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.waitHandshake(); ok {
		t.Fatal("HandshakeComplete despite RefuseHandshake")
	}
	if st := historyStatus(t, s, aws.ToString(out.SessionId)); st != types.SessionStatusFailed {
		t.Fatalf("status %q, want Failed", st)
	}
}

// A target port nobody listens on fails the session too.
func TestSSMHistoryFailedTargetPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s, api, out := dcSession(t, addr, &DCOptions{PerMessageDelay: 0}, DCFaults{})
	c := newDCClient(t, api, out, idHealthy, nil)
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	c.waitClosed(30 * time.Second)
	if st := historyStatus(t, s, aws.ToString(out.SessionId)); st != types.SessionStatusFailed {
		t.Fatalf("status %q, want Failed", st)
	}
}

// A stream that ends (the target closes) and a TerminateSession are both
// Terminated, listed Active until then.
func TestSSMHistoryTerminated(t *testing.T) {
	echo := startDCEcho(t, 0)
	s, api, out := dcSession(t, echo.addr, &DCOptions{PerMessageDelay: 0}, DCFaults{})
	id := aws.ToString(out.SessionId)
	c := newDCClient(t, api, out, idHealthy, nil)
	if err := c.start(aws.ToString(out.TokenValue)); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.waitHandshake(); !ok {
		t.Fatal("handshake failed")
	}
	a := describeSessions(t, api, types.SessionStateActive)
	if len(a) != 1 || aws.ToString(a[0].SessionId) != id || a[0].Status != types.SessionStatusConnected || a[0].EndDate != nil {
		t.Fatalf("active: %+v", a)
	}
	if _, err := api.TerminateSession(context.Background(), &ssm.TerminateSessionInput{SessionId: out.SessionId}); err != nil {
		t.Fatal(err)
	}
	c.waitClosed(30 * time.Second)
	if st := historyStatus(t, s, id); st != types.SessionStatusTerminated {
		t.Fatalf("status %q, want Terminated", st)
	}
}
