package awssim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func TestSSMServiceSettings(t *testing.T) {
	st := ssmFixture()
	delete(st.ServiceSettings, "us-east-1")
	clk := &ssmClock{t: ssmT0}
	s := startSim(t, st, Options{Now: clk.Now})
	c := ssmAs(s, "ops")
	ctx := context.Background()
	get := func(id string) *types.ServiceSetting {
		t.Helper()
		out, err := c.GetServiceSetting(ctx, &ssm.GetServiceSettingInput{SettingId: aws.String(id)})
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		return out.ServiceSetting
	}
	d := get(settingDHMCRole)
	if aws.ToString(d.SettingValue) != "$None" || aws.ToString(d.Status) != "Default" || aws.ToString(d.LastModifiedUser) != "System" ||
		aws.ToString(d.ARN) != "arn:aws:ssm:us-east-1:123456789012:servicesetting/ssm/managed-instance/default-ec2-instance-management-role" ||
		aws.ToString(d.SettingId) != settingDHMCRole {
		t.Errorf("default DHMC setting: %+v", d)
	}
	if v := aws.ToString(get("arn:aws:ssm:us-east-1:123456789012:servicesetting" + settingTier).SettingValue); v != "standard" {
		t.Errorf("tier by ARN = %q", v)
	}
	dhmcOnline := func() bool {
		out, err := c.GetConnectionStatus(ctx, &ssm.GetConnectionStatusInput{Target: aws.String(idDHMC)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Status == "connected"
	}
	if dhmcOnline() {
		t.Fatal("DHMC node online before DHMC is enabled")
	}
	clk.Advance(time.Minute)
	if _, err := c.UpdateServiceSetting(ctx, &ssm.UpdateServiceSettingInput{SettingId: aws.String(settingDHMCRole),
		SettingValue: aws.String("service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole")}); err != nil {
		t.Fatal(err)
	}
	d = get(settingDHMCRole)
	if aws.ToString(d.Status) != "Customized" || aws.ToString(d.LastModifiedUser) != "arn:aws:iam::123456789012:user/ops" ||
		!aws.ToTime(d.LastModifiedDate).Equal(ssmT0.Add(time.Minute)) {
		t.Errorf("after update: %+v", d)
	}
	if !dhmcOnline() {
		t.Fatal("DHMC node not online after enabling DHMC")
	}
	// Settings are per region.
	if v := aws.ToString(func() *types.ServiceSetting {
		out, err := ssmAsRegion(s, "ops", "us-west-2").GetServiceSetting(ctx, &ssm.GetServiceSettingInput{SettingId: aws.String(settingDHMCRole)})
		if err != nil {
			t.Fatal(err)
		}
		return out.ServiceSetting
	}().SettingValue); v != "$None" {
		t.Errorf("us-west-2 DHMC = %q", v)
	}

	_, err := c.GetServiceSetting(ctx, &ssm.GetServiceSettingInput{SettingId: aws.String("/ssm/nope")})
	iamWantErr(t, err, "ServiceSettingNotFound", 400, "")
	_, err = c.UpdateServiceSetting(ctx, &ssm.UpdateServiceSettingInput{SettingId: aws.String("/ssm/nope"), SettingValue: aws.String("x")})
	iamWantErr(t, err, "ServiceSettingNotFound", 400, "")
	_, err = c.UpdateServiceSetting(ctx, &ssm.UpdateServiceSettingInput{SettingId: aws.String(settingTier), SettingValue: aws.String("premium")})
	iamWantErr(t, err, "ValidationException", 400, "")
}
