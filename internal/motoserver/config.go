package motoserver

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
)

// Config is an SDK config that reaches this server as accountID (12
// digits, e.g. from NewAccountID) with moto's dummy static credentials.
// Retries are off: moto's 500 for an unimplemented operation is then seen
// once instead of after the SDK's backoff.
func (s *Server) Config(accountID string) aws.Config {
	return s.ConfigWithKey(accountID, "AKIAMOTOTESTING00001", "testing-secret", "")
}

// ConfigWithKey is Config signed with a given key, e.g. one that moto's
// CreateAccessKey or AssumeRole returned, so that STS answers for that
// principal.
func (s *Server) ConfigWithKey(accountID, keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token, Source: "motoserver"}, nil
		}),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
		// DetachedBodyClient: see its comment (a client-side race on fast servers).
		HTTPClient: &awsapi.DetachedBodyClient{Next: &http.Client{Transport: accountHeader{account: accountID, next: http.DefaultTransport}}},
	}
}

// accountHeader selects the moto account of every request. It is added
// after signing, which is harmless: moto does not verify signatures.
type accountHeader struct {
	account string
	next    http.RoundTripper
}

func (a accountHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("x-moto-account-id", a.account)
	return a.next.RoundTrip(r)
}
