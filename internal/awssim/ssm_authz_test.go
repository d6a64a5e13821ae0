package awssim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// TestSSMAccessDenied: every SSM operation answers AWS's AccessDenied, with
// the resource AWS names, for a user under an explicit deny.
func TestSSMAccessDenied(t *testing.T) {
	s, _ := startSSMSim(t)
	sid := aws.ToString(startSSH(t, ssmAs(s, "ops"), idHealthy).SessionId)
	c := ssmAs(s, "denied")
	ctx := context.Background()
	const acct = "arn:aws:ssm:us-east-1:123456789012:"
	cases := []struct {
		action, resource string
		call             func() error
	}{
		{"ssm:DescribeInstanceInformation", acct + "*", func() error {
			_, err := c.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
			return err
		}},
		{"ssm:GetConnectionStatus", acct + "*", func() error {
			_, err := c.GetConnectionStatus(ctx, &ssm.GetConnectionStatusInput{Target: aws.String(idHealthy)})
			return err
		}},
		{"ssm:GetDocument", "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession", func() error {
			_, err := c.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String("AWS-StartSSHSession")})
			return err
		}},
		{"ssm:GetServiceSetting", acct + "servicesetting" + settingTier, func() error {
			_, err := c.GetServiceSetting(ctx, &ssm.GetServiceSettingInput{SettingId: aws.String(settingTier)})
			return err
		}},
		{"ssm:UpdateServiceSetting", acct + "servicesetting" + settingTier, func() error {
			_, err := c.UpdateServiceSetting(ctx, &ssm.UpdateServiceSettingInput{SettingId: aws.String(settingTier), SettingValue: aws.String("advanced")})
			return err
		}},
		{"ssm:StartSession", "arn:aws:ec2:us-east-1:123456789012:instance/" + idHealthy, func() error {
			_, err := c.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHealthy), DocumentName: aws.String("AWS-StartSSHSession")})
			return err
		}},
		{"ssm:ResumeSession", acct + "session/" + sid, func() error {
			_, err := c.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String(sid)})
			return err
		}},
		{"ssm:TerminateSession", acct + "session/" + sid, func() error {
			_, err := c.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(sid)})
			return err
		}},
		{"ssm:DescribeSessions", acct + "*", func() error {
			_, err := c.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: "Active"})
			return err
		}},
	}
	for _, tc := range cases {
		iamWantErr(t, tc.call(), "AccessDeniedException", 400,
			"User: arn:aws:iam::123456789012:user/denied is not authorized to perform: "+tc.action+" on resource: "+tc.resource+" with an explicit deny in an identity-based policy")
	}
	// Nothing changed: the session is alive and the tier is standard.
	if _, ok := s.lookupSessionToken(sid, "none"); ok {
		t.Fatal("bogus token accepted")
	}
	var tier string
	s.WithState(func(st *State) { tier = st.settingValue("us-east-1", settingTier) })
	if tier != "standard" {
		t.Fatalf("tier changed by a denied call: %s", tier)
	}
}

// TestSSMStartSessionPolicies: the document ARN is checked apart from the
// instance, tag conditions see the instance's tags, and session ids carry
// the user name so session/${aws:username}-* works.
func TestSSMStartSessionPolicies(t *testing.T) {
	s, _ := startSSMSim(t)
	ctx := context.Background()
	_, err := ssmAs(s, "nodoc").StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idHealthy), DocumentName: aws.String("AWS-StartSSHSession")})
	iamWantErr(t, err, "AccessDeniedException", 400, "User: arn:aws:iam::123456789012:user/nodoc is not authorized to perform: ssm:StartSession on resource: arn:aws:ssm:us-east-1::document/AWS-StartSSHSession because no identity-based policy allows the ssm:StartSession action")

	tagged := ssmAs(s, "tagged")
	startSSH(t, tagged, idHealthy) // Env=prod
	_, err = tagged.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(idOldAgent), DocumentName: aws.String("AWS-StartSSHSession")})
	iamWantErr(t, err, "AccessDeniedException", 400, "User: arn:aws:iam::123456789012:user/tagged is not authorized to perform: ssm:StartSession on resource: arn:aws:ec2:us-east-1:123456789012:instance/"+idOldAgent+" because no identity-based policy allows the ssm:StartSession action")

	self := ssmAs(s, "self")
	own := aws.ToString(startSSH(t, self, idHealthy).SessionId)
	other := aws.ToString(startSSH(t, ssmAs(s, "ops"), idHealthy).SessionId)
	if _, err := self.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: aws.String(own)}); err != nil {
		t.Fatalf("resume own session: %v", err)
	}
	if _, err := self.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(own)}); err != nil {
		t.Fatalf("terminate own session: %v", err)
	}
	_, err = self.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(other)})
	iamWantErr(t, err, "AccessDeniedException", 400, "User: arn:aws:iam::123456789012:user/self is not authorized to perform: ssm:TerminateSession on resource: arn:aws:ssm:us-east-1:123456789012:session/"+other+" because no identity-based policy allows the ssm:TerminateSession action")
}
