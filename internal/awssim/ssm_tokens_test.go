package awssim

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"weak"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// TestIssuedSessionTokens: every token StartSession and ResumeSession
// returned is recorded, in order, including tokens already consumed by a
// websocket open and tokens of sessions since terminated; calls that
// return no token add nothing.
func TestIssuedSessionTokens(t *testing.T) {
	s, _ := startSSMSim(t)
	c := ssmAs(s, "ops")
	ctx := context.Background()
	if got := s.IssuedSessionTokens(); len(got) != 0 {
		t.Fatalf("tokens before any session: %d", len(got))
	}
	a := startSSH(t, c, idHealthy)
	b := startSSH(t, c, idHealthy)
	idA := aws.ToString(a.SessionId)
	res, err := c.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: a.SessionId})
	if err != nil {
		t.Fatalf("ResumeSession: %v", err)
	}
	// Consumed by a websocket open: gone from the session, still recorded.
	if _, ok := s.lookupSessionToken(idA, aws.ToString(a.TokenValue)); !ok {
		t.Fatal("the first token did not open the data channel")
	}
	want := []string{aws.ToString(a.TokenValue), aws.ToString(b.TokenValue), aws.ToString(res.TokenValue)}

	// No token: a refused StartSession, a resume of a terminated session.
	if _, err := c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idConnLost), DocumentName: aws.String("AWS-StartSSHSession")}); apiCode(err) != "TargetNotConnected" {
		t.Fatalf("StartSession on a disconnected instance: %v, want TargetNotConnected", err)
	}
	if _, err := c.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: a.SessionId}); err != nil {
		t.Fatalf("TerminateSession: %v", err)
	}
	if r, err := c.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: a.SessionId}); err != nil || aws.ToString(r.TokenValue) != "" {
		t.Fatalf("ResumeSession after terminate: %v, token %d bytes", err, len(aws.ToString(r.TokenValue)))
	}
	got := s.IssuedSessionTokens()
	if !slices.Equal(got, want) {
		t.Fatalf("recorded %d tokens, want the %d returned, in order", len(got), len(want))
	}
	for _, tok := range want {
		if len(tok) < 32 {
			t.Fatalf("token of %d bytes", len(tok))
		}
	}
	// The caller's copy is its own.
	got[0] = "changed"
	if s.IssuedSessionTokens()[0] != want[0] {
		t.Fatal("IssuedSessionTokens returned the record itself")
	}
}

// TestIssuedSessionTokensPerSim: two simulators keep separate records,
// and a collected simulator's record goes with it.
func TestIssuedSessionTokensPerSim(t *testing.T) {
	s1, _ := startSSMSim(t)
	s2, _ := startSSMSim(t)
	startSSH(t, ssmAs(s1, "ops"), idHealthy)
	if n1, n2 := len(s1.IssuedSessionTokens()), len(s2.IssuedSessionTokens()); n1 != 1 || n2 != 0 {
		t.Fatalf("records: %d and %d tokens, want 1 and 0", n1, n2)
	}

	tmp, err := New(ssmFixture(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := weak.Make(tmp)
	tmp = nil
	for i := 0; i < 20 && key.Value() != nil; i++ {
		runtime.GC()
	}
	if key.Value() != nil {
		t.Skip("skipping: the unreferenced simulator was not collected")
	}
	// Cleanups run on their own goroutine after collection.
	for i := 0; i < 200; i++ {
		issuedLogs.mu.Lock()
		_, held := issuedLogs.bySim[key]
		issuedLogs.mu.Unlock()
		if !held {
			return
		}
		runtime.GC()
		runtime.Gosched()
	}
	t.Fatal("the record of a collected simulator is still held")
}
