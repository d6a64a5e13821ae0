package awssim

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func startSSH(t *testing.T, c *ssm.Client, target string) *ssm.StartSessionOutput {
	t.Helper()
	out, err := c.StartSession(context.Background(), &ssm.StartSessionInput{Target: aws.String(target), DocumentName: aws.String("AWS-StartSSHSession"),
		Parameters: map[string][]string{"portNumber": {"22"}}})
	if err != nil {
		t.Fatalf("StartSession %s: %v", target, err)
	}
	return out
}

func describeSessions(t *testing.T, c *ssm.Client, state types.SessionState, filters ...types.SessionFilter) []types.Session {
	t.Helper()
	out, err := c.DescribeSessions(context.Background(), &ssm.DescribeSessionsInput{State: state, Filters: filters})
	if err != nil {
		t.Fatalf("DescribeSessions %s: %v", state, err)
	}
	return out.Sessions
}

// TestSSMSessionLifecycle: Start -> Describe Active -> Resume (new token)
// -> Terminate -> Resume without token -> Describe History.
func TestSSMSessionLifecycle(t *testing.T) {
	s, clk := startSSMSim(t)
	c := ssmAs(s, "ops")
	ctx := context.Background()
	start := startSSH(t, c, idHealthy)
	id := aws.ToString(start.SessionId)
	if !regexp.MustCompile(`^ops-[0-9a-f]{17}$`).MatchString(id) {
		t.Fatalf("session id %q", id)
	}
	wantURL := "ws://" + strings.TrimPrefix(s.URL(), "http://") + "/v1/data-channel/" + id + "?role=publish_subscribe"
	if aws.ToString(start.StreamUrl) != wantURL || len(aws.ToString(start.TokenValue)) < 32 {
		t.Fatalf("StreamUrl %q (want %q), token length %d", aws.ToString(start.StreamUrl), wantURL, len(aws.ToString(start.TokenValue)))
	}
	active := describeSessions(t, c, types.SessionStateActive)
	if len(active) != 1 || aws.ToString(active[0].SessionId) != id || aws.ToString(active[0].Target) != idHealthy || active[0].Status != types.SessionStatusConnected ||
		aws.ToString(active[0].DocumentName) != "AWS-StartSSHSession" || aws.ToString(active[0].Owner) != "arn:aws:iam::123456789012:user/ops" ||
		!aws.ToTime(active[0].StartDate).Equal(ssmT0) {
		t.Fatalf("active sessions: %+v", active)
	}
	if h := describeSessions(t, c, types.SessionStateHistory); len(h) != 0 {
		t.Fatalf("history before terminate: %+v", h)
	}

	res, err := c.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	tok2 := aws.ToString(res.TokenValue)
	if tok2 == "" || tok2 == aws.ToString(start.TokenValue) || aws.ToString(res.StreamUrl) != wantURL {
		t.Fatalf("resume: %+v", res)
	}
	// Both tokens open the channel once each.
	for _, tok := range []string{aws.ToString(start.TokenValue), tok2} {
		if _, ok := s.lookupSessionToken(id, tok); !ok {
			t.Fatal("valid token refused")
		}
		if _, ok := s.lookupSessionToken(id, tok); ok {
			t.Fatal("token accepted twice")
		}
	}

	clk.Advance(90 * time.Second)
	if _, err := c.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	res, err = c.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String(id)})
	if err != nil || aws.ToString(res.TokenValue) != "" || aws.ToString(res.SessionId) != id {
		t.Fatalf("resume after terminate: %v %+v", err, res)
	}
	if a := describeSessions(t, c, types.SessionStateActive); len(a) != 0 {
		t.Fatalf("active after terminate: %+v", a)
	}
	h := describeSessions(t, c, types.SessionStateHistory)
	if len(h) != 1 || h[0].Status != types.SessionStatusTerminated || !aws.ToTime(h[0].EndDate).Equal(ssmT0.Add(90*time.Second)) {
		t.Fatalf("history: %+v", h)
	}
	// Terminating twice is harmless.
	if _, err := c.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String("ops-00000000000000000")})
	iamWantErr(t, err, "DoesNotExistException", 400, "")
	_, err = c.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String("ops-00000000000000000")})
	iamWantErr(t, err, "DoesNotExistException", 400, "")
}

func TestSSMDescribeSessionsFiltersAndPages(t *testing.T) {
	s, clk := startSSMSim(t)
	c := ssmAs(s, "ops")
	var ids []string
	for i := 0; i < 5; i++ {
		target := idHealthy
		if i%2 == 1 {
			target = idDHMC
		}
		ids = append(ids, aws.ToString(startSSH(t, c, target).SessionId))
		clk.Advance(time.Minute)
	}
	if got := describeSessions(t, c, types.SessionStateActive, types.SessionFilter{Key: types.SessionFilterKeyTargetId, Value: aws.String(idDHMC)}); len(got) != 2 {
		t.Errorf("Target filter: %d sessions", len(got))
	}
	after := ssmT0.Add(150 * time.Second).Format(time.RFC3339)
	if got := describeSessions(t, c, types.SessionStateActive, types.SessionFilter{Key: types.SessionFilterKeyInvokedAfter, Value: aws.String(after)}); len(got) != 2 ||
		aws.ToString(got[0].SessionId) != ids[4] {
		t.Errorf("InvokedAfter filter: %+v", got)
	}
	if got := describeSessions(t, c, types.SessionStateActive, types.SessionFilter{Key: types.SessionFilterKeySessionId, Value: aws.String(ids[2])}); len(got) != 1 {
		t.Errorf("SessionId filter: %d", len(got))
	}
	p := ssm.NewDescribeSessionsPaginator(c, &ssm.DescribeSessionsInput{State: types.SessionStateActive, MaxResults: aws.Int32(2)})
	var order []string
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, ss := range page.Sessions {
			order = append(order, aws.ToString(ss.SessionId))
		}
	}
	if len(order) != 5 || order[0] != ids[4] || order[4] != ids[0] {
		t.Errorf("paged order %v, started %v", order, ids)
	}
	_, err := c.DescribeSessions(context.Background(), &ssm.DescribeSessionsInput{State: "Sometime"})
	iamWantErr(t, err, "ValidationException", 400, "")
	_, err = c.DescribeSessions(context.Background(), &ssm.DescribeSessionsInput{State: types.SessionStateActive, Filters: []types.SessionFilter{{Key: types.SessionFilterKeyInvokedAfter, Value: aws.String("yesterday")}}})
	iamWantErr(t, err, "InvalidFilterValue", 400, "")
}

func TestSSMStartSessionErrors(t *testing.T) {
	s, _ := startSSMSim(t)
	c := ssmAs(s, "ops")
	ctx := context.Background()
	for _, id := range []string{idStopped, idConnLost, idPrivate, idNoProfile, "i-0fffffffffffffff0", idOtherRegion} {
		_, err := c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(id), DocumentName: aws.String("AWS-StartSSHSession")})
		iamWantErr(t, err, "TargetNotConnected", 400, id+" is not connected.")
	}
	_, err := c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHybrid), DocumentName: aws.String("AWS-StartSSHSession")})
	iamWantErr(t, err, "BadRequest", 400, "Enable advanced-instances tier to use Session Manager with your on-premises instances")
	if _, err := c.UpdateServiceSetting(ctx, &ssm.UpdateServiceSettingInput{SettingId: aws.String(settingTier), SettingValue: aws.String("advanced")}); err != nil {
		t.Fatal(err)
	}
	startSSH(t, c, idHybrid)

	_, err = c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHealthy), DocumentName: aws.String("AWS-NoSuchDoc")})
	iamWantErr(t, err, "InvalidDocument", 400, "Document with name AWS-NoSuchDoc does not exist.")

	s.SetSessionFaults(SessionFaults{FailStartSession: "TargetNotConnected"})
	_, err = c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHealthy), DocumentName: aws.String("AWS-StartSSHSession")})
	iamWantErr(t, err, "TargetNotConnected", 400, idHealthy+" is not connected.")
	s.SetSessionFaults(SessionFaults{})
	startSSH(t, c, idHealthy)
}

// TestSSMSessionRuntimeAPI covers what the data channel relies on.
func TestSSMSessionRuntimeAPI(t *testing.T) {
	st := ssmFixture()
	st.SessionPreferences.KMSKeyID = "1234abcd-12ab-34cd-56ef-1234567890ab"
	s := startSim(t, st, Options{})
	c := ssmAs(s, "ops")
	ctx := context.Background()
	out := startSSH(t, c, idHealthy)
	id, tok := aws.ToString(out.SessionId), aws.ToString(out.TokenValue)
	if _, ok := s.lookupSessionToken("other", tok); ok {
		t.Fatal("token accepted for another session id")
	}
	ss, ok := s.lookupSessionToken(id, tok)
	if !ok || ss.Target != idHealthy || ss.Port != "22" || ss.DocumentName != "AWS-StartSSHSession" || ss.KMSKeyID != st.SessionPreferences.KMSKeyID ||
		ss.Owner != "arn:aws:iam::123456789012:user/ops" || ss.Region != "us-east-1" {
		t.Fatalf("session %+v", ss)
	}
	if addr, err := s.sessionTargetAddr(ss); err != nil || addr != "127.0.0.1:1" {
		t.Fatalf("target addr %q %v", addr, err)
	}
	// A remote host maps through "host:port"; an unmapped port is an error.
	rh, err := c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHealthy), DocumentName: aws.String("AWS-StartPortForwardingSessionToRemoteHost"),
		Parameters: map[string][]string{"host": {"10.0.0.99"}, "portNumber": {"5432"}}})
	if err != nil {
		t.Fatal(err)
	}
	rss, _ := s.lookupSessionToken(aws.ToString(rh.SessionId), aws.ToString(rh.TokenValue))
	if addr, err := s.sessionTargetAddr(rss); err != nil || addr != "127.0.0.1:2" || rss.Host != "10.0.0.99" {
		t.Fatalf("remote host addr %q %v", addr, err)
	}
	pf, err := c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHealthy), DocumentName: aws.String("AWS-StartPortForwardingSession")})
	if err != nil {
		t.Fatal(err)
	}
	pss, _ := s.lookupSessionToken(aws.ToString(pf.SessionId), aws.ToString(pf.TokenValue))
	if pss.Port != "80" {
		t.Fatalf("default port %q", pss.Port)
	}
	if _, err := s.sessionTargetAddr(pss); err == nil || !strings.Contains(err.Error(), "80") {
		t.Fatalf("unmapped port: %v", err)
	}

	select {
	case <-ss.Done():
		t.Fatal("terminate closed early")
	default:
	}
	if _, err := c.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ss.Done():
	default:
		t.Fatal("TerminateSession did not close the terminate channel")
	}
	// endSession moves a session to history without TerminateSession.
	s.endSession(aws.ToString(pf.SessionId), false)
	h := describeSessions(t, c, types.SessionStateHistory)
	if len(h) != 2 {
		t.Fatalf("history after endSession: %+v", h)
	}
	if _, ok := s.lookupSessionToken(aws.ToString(pf.SessionId), "x"); ok {
		t.Fatal("ended session accepts tokens")
	}
	// Shell sessions default to the preferences document.
	sh, err := c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHealthy)})
	if err != nil {
		t.Fatal(err)
	}
	shs, _ := s.lookupSessionToken(aws.ToString(sh.SessionId), aws.ToString(sh.TokenValue))
	if shs.DocumentName != "SSM-SessionManagerRunShell" || shs.Port != "" {
		t.Fatalf("shell session %+v", shs)
	}
}
