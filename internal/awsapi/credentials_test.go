package awsapi_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
)

// The probe must see an SSO profile as SSO (so the fix is `aws sso login`)
// without any network: the missing token cache fails first.
func TestCredentialsProbeSSOProfile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = ap-south-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
	} {
		t.Setenv(k, v)
	}
	ctx := t.Context()
	clients, err := awsapi.Load(ctx, awsapi.Options{Profile: "dev"})
	info, err := awsapi.CredentialsProbe("dev", clients, err, os.Getenv)(ctx)
	if err == nil || !info.SSO || info.Profile != "dev" || info.Region != "ap-south-1" {
		t.Fatalf("info %+v err %v", info, err)
	}
	env := &checks.Env{Options: checks.Options{Profile: "dev"}, Local: checks.NewLocalEnv()}
	env.Local.Credentials = func(context.Context) (checks.CredentialsInfo, error) { return info, err }
	out := checks.Run(ctx, env, checks.All()[:1], checks.RunOptions{})
	if r := out[0].Result; r.Status != checks.StatusFail || r.Fix != "aws sso login --profile dev" {
		t.Fatalf("%+v", r)
	}
}

func TestCredentialsProbeMissingProfile(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
	} {
		t.Setenv(k, v)
	}
	ctx := t.Context()
	clients, err := awsapi.Load(ctx, awsapi.Options{Profile: "nope"})
	probe := awsapi.CredentialsProbe("nope", clients, err, os.Getenv)
	env := &checks.Env{Options: checks.Options{Profile: "nope"}, Local: checks.NewLocalEnv()}
	env.Local.Credentials = probe
	out := checks.Run(ctx, env, checks.All()[:1], checks.RunOptions{})
	if r := out[0].Result; r.Status != checks.StatusFail || r.Message != "profile nope is not in AWS_CONFIG_FILE ("+filepath.Join(dir, "config")+"), which defines no profile: run aws configure --profile nope" || r.Fix != "aws configure --profile nope" {
		t.Fatalf("%+v", r)
	}
}
