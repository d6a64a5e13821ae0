package awsapi

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Isolated reads nothing of the environment: a profile that does not
// exist, another region and another endpoint there change nothing.
func TestIsolatedReadsNoEnvironment(t *testing.T) {
	t.Setenv("AWS_PROFILE", "nosuch")
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"}, nil
	})
	if _, err := Load(context.Background(), Options{Region: "us-west-2", Credentials: creds}); err == nil {
		t.Fatal("the default chain loaded a profile that does not exist: the test's environment is not read")
	}
	c, err := Load(context.Background(), Options{Isolated: true, Region: "us-west-2", Credentials: creds, Endpoint: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatalf("isolated: %v", err)
	}
	if c.Region != "us-west-2" || c.Config.BaseEndpoint == nil || *c.Config.BaseEndpoint != "http://127.0.0.1:9" {
		t.Fatalf("isolated: region %q endpoint %v", c.Region, c.Config.BaseEndpoint)
	}
	got, err := c.Config.Credentials.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKIAEXAMPLE" {
		t.Fatalf("credentials %+v %v", got, err)
	}
}
