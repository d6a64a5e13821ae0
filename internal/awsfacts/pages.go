package awsfacts

import (
	"bytes"
	"context"
	"encoding/xml"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DescribeInstances pages follow each other: a page's request needs the
// NextToken of the page before. Decoding a page of 1,000 instances costs
// the doctor about as long as the next page's round trip, so
// describeInstancePages asks for the next page as soon as a page's body
// has arrived, reading its NextToken from the raw XML, and decodes the
// page while the next one is on its way. The decoded NextToken has the
// last word: a request made with a token that turns out different is
// cancelled and its page is asked for again with the right one, so the
// pages and their order are the paginator's. At most two requests are in
// flight; the calls are the paginator's calls.

// pageStart is what a page's request learned early: the next page's token
// (ok: read from the body before decoding; "" when the page is the last).
type pageStart struct {
	token string
	ok    bool
}

type pageCall struct {
	token  *string // the token this page was asked for with
	start  chan pageStart
	done   chan pageDone
	cancel context.CancelFunc
}

type pageDone struct {
	out *ec2.DescribeInstancesOutput
	err error
}

// describeInstancePages returns every instance of every page of in, in
// page order.
func describeInstancePages(ctx context.Context, api EC2API, in *ec2.DescribeInstancesInput, onPage func([]ec2types.Instance)) ([]ec2types.Instance, error) {
	launch := func(token *string) *pageCall {
		cctx, cancel := context.WithCancel(ctx)
		pc := &pageCall{token: token, start: make(chan pageStart, 1), done: make(chan pageDone, 1), cancel: cancel}
		params := *in
		params.NextToken = token
		go func() {
			peeked := false
			out, err := api.DescribeInstances(cctx, &params, withNextTokenPeek(func(t string) {
				if !peeked {
					peeked = true
					pc.start <- pageStart{token: t, ok: true}
				}
			}), withInstancePageDecoder())
			if !peeked {
				pc.start <- pageStart{}
			}
			pc.done <- pageDone{out, err}
		}()
		return pc
	}
	abandon := func(pc *pageCall) {
		if pc != nil {
			pc.cancel()
			<-pc.done
		}
	}

	var all []ec2types.Instance
	cur := launch(nil)
	for {
		var next *pageCall
		if s := <-cur.start; s.ok && s.token != "" {
			next = launch(aws.String(s.token))
		}
		d := <-cur.done
		cur.cancel()
		if d.err != nil {
			abandon(next)
			return nil, d.err
		}
		n := len(all)
		for _, r := range d.out.Reservations {
			all = append(all, r.Instances...)
		}
		if onPage != nil && len(all) > n {
			onPage(all[n:])
		}
		real := aws.ToString(d.out.NextToken)
		if next != nil && aws.ToString(next.token) != real {
			abandon(next) // the peek misread the body: ask with the decoded token
			next = nil
		}
		if real == "" {
			abandon(next)
			return all, nil
		}
		if next == nil {
			next = launch(aws.String(real))
		}
		cur = next
	}
}

// withNextTokenPeek hands report the NextToken of a successful response
// ("" when there is none) before the SDK decodes it.
func withNextTokenPeek(report func(token string)) func(*ec2.Options) {
	return func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Insert(nextTokenPeek{report}, "OperationDeserializer", middleware.After)
		})
	}
}

// nextTokenPeek sits just inside the operation's deserializer: it sees each
// attempt's raw response first, and leaves the body as it found it.
type nextTokenPeek struct{ report func(string) }

func (nextTokenPeek) ID() string { return "ssmdoctor.NextTokenPeek" }

func (m nextTokenPeek) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 || resp.Body == nil {
		return out, md, err
	}
	body, rerr := readBody(resp)
	if rerr != nil {
		// The deserializer meets the same truncated body and says so.
		return out, md, err
	}
	m.report(peekNextToken(body))
	return out, md, err
}

// peekNextToken is the text of the response's nextToken element, "" when
// it has none. In EC2's query protocol that element occurs once, as a
// child of the root, and every '<' in text is escaped, so the byte search
// cannot match inside an instance's data.
func peekNextToken(body []byte) string {
	const open, closing = "<nextToken>", "</nextToken>"
	i := bytes.LastIndex(body, []byte(open))
	if i < 0 {
		return ""
	}
	j := bytes.Index(body[i:], []byte(closing))
	if j < 0 {
		return ""
	}
	var v struct {
		Text string `xml:",chardata"`
	}
	if xml.Unmarshal(body[i:i+j+len(closing)], &v) != nil {
		return ""
	}
	return v.Text
}

// readBody reads resp's body whole and leaves it in resp as a
// bufferedBody, so that the next reader (the peek, a decoder, the SDK's
// deserializer) reads it again from memory; a body already read is not
// copied. The buffer is sized from Content-Length.
func readBody(resp *smithyhttp.Response) ([]byte, error) {
	if b, ok := resp.Body.(*bufferedBody); ok {
		b.Reset(b.all)
		return b.all, nil
	}
	size := int64(bytes.MinRead)
	if resp.ContentLength > 0 && resp.ContentLength < 64<<20 {
		size += resp.ContentLength
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(resp.Body)
	resp.Body.Close()
	resp.Body = &bufferedBody{Reader: bytes.NewReader(buf.Bytes()), all: buf.Bytes()}
	return buf.Bytes(), err
}

// bufferedBody is a response body already read into memory.
type bufferedBody struct {
	*bytes.Reader
	all []byte
}

func (*bufferedBody) Close() error { return nil }
