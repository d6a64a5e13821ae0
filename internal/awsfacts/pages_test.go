package awsfacts

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestPeekNextToken(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`<DescribeInstancesResponse><reservationSet/><nextToken>abc+/=</nextToken></DescribeInstancesResponse>`, "abc+/="},
		{`<R><nextToken>a&amp;b&#x3c;c</nextToken></R>`, "a&b<c"},
		{`<R><reservationSet/></R>`, ""},
		// Text never holds a raw '<': a tag value that spells the element is escaped.
		{`<R><tagSet><item><value>&lt;nextToken&gt;x&lt;/nextToken&gt;</value></item></tagSet></R>`, ""},
		{`<R><nextToken>unterminated`, ""},
	} {
		if got := peekNextToken([]byte(c.body)); got != c.want {
			t.Errorf("peekNextToken(%s) = %q, want %q", c.body, got, c.want)
		}
	}
}

// pagesAPI serves DescribeInstances pages by token through a real
// middleware stack, so that the peek runs as it does in the SDK: raw
// holds each page's body as sent (its nextToken may lie), decoded the
// output the SDK's deserializer would return.
type pagesAPI struct {
	EC2API
	raw     map[string]string
	decoded map[string]*ec2.DescribeInstancesOutput

	mu     sync.Mutex
	asked  []string
	intact []bool // the deserializer read each body whole after the peek
}

func (p *pagesAPI) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	tok := aws.ToString(in.NextToken)
	p.mu.Lock()
	p.asked = append(p.asked, tok)
	p.mu.Unlock()
	body, ok := p.raw[tok]
	if !ok {
		<-ctx.Done() // a token that names no page: wait to be abandoned
		return nil, ctx.Err()
	}
	var o ec2.Options
	for _, fn := range optFns {
		fn(&o)
	}
	st := middleware.NewStack("DescribeInstances", smithyhttp.NewStackRequest)
	st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("OperationDeserializer", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		if err == nil {
			b, _ := io.ReadAll(out.RawResponse.(*smithyhttp.Response).Body)
			p.mu.Lock()
			p.intact = append(p.intact, string(b) == body)
			p.mu.Unlock()
			out.Result = p.decoded[tok]
		}
		return out, md, err
	}), middleware.After)
	for _, apply := range o.APIOptions {
		if err := apply(st); err != nil {
			return nil, err
		}
	}
	out, _, err := st.HandleMiddleware(ctx, in, middleware.HandlerFunc(func(context.Context, any) (any, middleware.Metadata, error) {
		return &smithyhttp.Response{Response: &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}}, middleware.Metadata{}, nil
	}))
	if err != nil {
		return nil, err
	}
	return out.(*ec2.DescribeInstancesOutput), nil
}

func page(next string, ids ...string) *ec2.DescribeInstancesOutput {
	out := &ec2.DescribeInstancesOutput{}
	if next != "" {
		out.NextToken = aws.String(next)
	}
	for _, id := range ids {
		out.Reservations = append(out.Reservations, ec2types.Reservation{Instances: []ec2types.Instance{{InstanceId: aws.String(id)}}})
	}
	return out
}

// TestDescribeInstancePagesFollowsDecodedToken: the next page is asked
// for with the token peeked from the body, but when the peek disagrees
// with the decoded token the decoded one is followed, the request made
// with the wrong one is abandoned, and the pages come back whole and in
// order; the SDK's deserializer still reads every body whole.
func TestDescribeInstancePagesFollowsDecodedToken(t *testing.T) {
	p := &pagesAPI{
		// The comment makes the page decoder (bodyDecoder) hand each body to the
		// deserializer the fake stands for, which returns decoded.
		raw: map[string]string{
			"":   `<R><!--sdk--><nextToken>t2</nextToken></R>`,
			"t2": `<R><!--sdk--><nextToken>misread</nextToken></R>`, // decoded: t3
			"t3": `<R><!--sdk--></R>`,
		},
		decoded: map[string]*ec2.DescribeInstancesOutput{
			"":   page("t2", "i-1", "i-2"),
			"t2": page("t3", "i-3"),
			"t3": page("", "i-4"),
		},
	}
	got, err := describeInstancePages(context.Background(), p, &ec2.DescribeInstancesInput{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range got {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	if strings.Join(ids, " ") != "i-1 i-2 i-3 i-4" {
		t.Errorf("instances %v, want i-1 i-2 i-3 i-4 in page order", ids)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	asked := strings.Join(p.asked, ",")
	if asked != ",t2,misread,t3" && asked != ",t2,t3,misread" {
		t.Errorf("tokens asked for: %q, want the first page, t2, the misread token (abandoned) and t3", asked)
	}
	for i, ok := range p.intact {
		if !ok {
			t.Errorf("body %d reached the deserializer altered", i)
		}
	}
}
