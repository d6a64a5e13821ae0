package awsapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// DetachedBodyClient sends each request with a body of its own.
//
// Why: smithy-go closes the request body as soon as the response headers
// arrive, while net/http's write loop may still be finishing the request
// (its final read for EOF). The write loop then sees an error, closes the
// connection, and the response body being read fails with "use of closed
// network connection" (aws-sdk-go-v2#2737). Against a fast endpoint (the
// simulator on loopback) about one large response in ten failed this way.
// Giving the transport a private copy of the (small) request body makes
// smithy's Close harmless.
type DetachedBodyClient struct {
	Next aws.HTTPClient
}

// NewHTTPClient is the SDK's default HTTP client wrapped in a
// DetachedBodyClient.
func NewHTTPClient() *DetachedBodyClient {
	return &DetachedBodyClient{Next: awshttp.NewBuildableClient()}
}

// Do implements aws.HTTPClient.
func (c *DetachedBodyClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	if c.Next == nil {
		return awshttp.NewBuildableClient().Do(r)
	}
	return c.Next.Do(r)
}
