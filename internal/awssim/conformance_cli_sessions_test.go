package awssim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// TestConformanceCLISessionsAndRevoke drives DescribeSessions (both
// states, a Target filter, the CLI's own pagination) and
// RevokeSecurityGroupIngress (the CLI's shorthand, then an unknown rule)
// with the AWS CLI v1, and checks what it parsed against the state.
func TestConformanceCLISessionsAndRevoke(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	s := startSim(t, DemoScenario(), Options{Now: func() time.Time { return now }})
	_, key := cliAdminKey(t, s)
	cli := newAWSCLI(t, s, key.ID, key.Secret)
	api := ssm.NewFromConfig(awsConfig(s, key.ID, key.Secret, ""))
	ctx := context.Background()
	var ids []string
	for _, target := range []string{"i-0a11600d000000001", "i-0a11600d000000001", "i-0a11600d000000009"} {
		out, err := api.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(target), DocumentName: aws.String("AWS-StartSSHSession")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.SessionId))
	}
	if _, err := api.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(ids[0])}); err != nil {
		t.Fatal(err)
	}
	type session struct {
		SessionId, Target, Status, DocumentName, Owner string
		StartDate                                      float64
		EndDate                                        *float64
	}
	var active, history struct {
		Sessions  []session
		NextToken string
	}
	cli.json(t, &active, "ssm", "describe-sessions", "--state", "Active", "--page-size", "1")
	if len(active.Sessions) != 2 || active.NextToken != "" || active.Sessions[0].Status != "Connected" || active.Sessions[0].EndDate != nil ||
		active.Sessions[0].StartDate != float64(now.Unix()) || active.Sessions[0].DocumentName != "AWS-StartSSHSession" ||
		!strings.HasSuffix(active.Sessions[0].Owner, ":user/"+key.UserName) {
		t.Fatalf("describe-sessions Active: %+v", active)
	}
	cli.json(t, &history, "ssm", "describe-sessions", "--state", "History", "--filters", "key=Target,value=i-0a11600d000000001")
	if len(history.Sessions) != 1 || history.Sessions[0].SessionId != ids[0] || history.Sessions[0].Status != "Terminated" || history.Sessions[0].EndDate == nil {
		t.Fatalf("describe-sessions History: %+v", history)
	}
	if r := cli.run(t, "ssm", "describe-sessions", "--state", "Active", "--filters", "key=InvokedAfter,value=yesterday"); r.code == 0 || !strings.Contains(string(r.stderr), "InvalidFilterValue") {
		t.Fatalf("a bad InvokedAfter: exit %d %s", r.code, r.stderr)
	}

	const sg = "sg-0bad000000000000b"
	var revoked struct {
		Return                    bool
		RevokedSecurityGroupRules []struct{ SecurityGroupRuleId, CidrIpv4, CidrIpv6 string }
	}
	cli.json(t, &revoked, "ec2", "revoke-security-group-ingress", "--group-id", sg, "--ip-permissions",
		"IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}],Ipv6Ranges=[{CidrIpv6=::/0}]")
	if !revoked.Return || len(revoked.RevokedSecurityGroupRules) != 2 || revoked.RevokedSecurityGroupRules[0].CidrIpv4 != "0.0.0.0/0" ||
		revoked.RevokedSecurityGroupRules[1].CidrIpv6 != "::/0" || !strings.HasPrefix(revoked.RevokedSecurityGroupRules[0].SecurityGroupRuleId, "sgr-") {
		t.Fatalf("revoke-security-group-ingress: %+v", revoked)
	}
	s.WithState(func(st *State) {
		if in := st.SecurityGroups[sg].Ingress; len(in) != 1 || in[0].FromPort != 443 {
			t.Errorf("left in the group: %+v", in)
		}
	})
	r := cli.run(t, "ec2", "revoke-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
	if r.code == 0 || !strings.Contains(string(r.stderr), "InvalidPermission.NotFound") {
		t.Fatalf("revoking it again: exit %d %s", r.code, r.stderr)
	}
}
