package awssim

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
)

// startSim starts a simulator over st on a random loopback port and stops
// it when the test ends.
func startSim(t testing.TB, st *State, opts Options) *Sim {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	s, err := New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// awsConfig is an SDK config that reaches s with the given access key.
// Every service client built from it (ec2.NewFromConfig, ...) talks to the
// simulator; retries are off so that tests see each error once.
func awsConfig(s *Sim, keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		// Without it about one large response in ten fails on loopback
		// (see awsapi.DetachedBodyClient).
		HTTPClient: awsapi.NewHTTPClient(),
	}
}

// apiCode returns the AWS error code of err, or "" when err is not an API
// error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
