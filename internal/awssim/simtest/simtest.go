// Package simtest starts the simulated AWS account for tests in other
// packages and points SDK clients at it. Only tests import it.
package simtest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// Start serves st on a loopback port until the test ends.
func Start(tb testing.TB, st *awssim.State, o awssim.Options) *awssim.Sim {
	tb.Helper()
	s, err := awssim.New(st, o)
	if err != nil {
		tb.Fatalf("load the simulated account: %v", err)
	}
	if err := s.Start(""); err != nil {
		tb.Fatalf("start the simulator: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Clients returns SDK clients in us-east-1 that sign with st's access key
// keyID and call s. o may set retries; its region, endpoint and
// credentials are replaced. MaxAttempts 0 means one attempt: tests see
// each error as the simulator returned it.
func Clients(tb testing.TB, s *awssim.Sim, st *awssim.State, keyID string, o awsapi.Options) *awsapi.Clients {
	tb.Helper()
	key := st.AccessKeys[keyID]
	if key == nil {
		tb.Fatalf("the scenario has no access key %s", keyID)
	}
	o.Region, o.Endpoint = "us-east-1", s.URL()
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 1
	}
	creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret, SessionToken: key.SessionToken, Source: "simtest"}
	o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
	c, err := awsapi.Load(context.Background(), o)
	if err != nil {
		tb.Fatalf("load SDK clients for the simulator: %v", err)
	}
	return c
}
