package awssim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Protocol is how a service is spoken on the wire.
type Protocol int

const (
	ProtoEC2   Protocol = iota // EC2 query: form in, EC2 XML out
	ProtoQuery                 // IAM/STS query: form in, <XResponse><XResult> out
	ProtoJSON                  // AWS JSON 1.1
)

// Namespaces of the XML responses.
const (
	xmlnsEC2 = "http://ec2.amazonaws.com/doc/2016-11-15/"
	xmlnsIAM = "https://iam.amazonaws.com/doc/2010-05-08/"
	xmlnsSTS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// jsonTargets maps an X-Amz-Target prefix to the service name used in
// operation keys and IAM actions.
var jsonTargets = map[string]string{
	"AmazonSSM":                    "ssm",
	"AWSEC2InstanceConnectService": "ec2-instance-connect",
	"TrentService":                 "kms",
}

func protocolOf(service string) Protocol {
	switch service {
	case "ec2":
		return ProtoEC2
	case "iam", "sts":
		return ProtoQuery
	default:
		return ProtoJSON
	}
}

// Call is one API request as a handler sees it.
type Call struct {
	Ctx       context.Context
	Service   string // ec2, iam, sts, ssm, ec2-instance-connect, kms
	Op        string // e.g. DescribeInstances
	Region    string
	Principal *Principal
	Form      url.Values // query protocols
	Body      []byte     // JSON protocol (raw)
	RequestID string
	HTTP      *http.Request
}

// opHandler answers one operation. For ProtoEC2 and ProtoQuery it returns
// a struct that is XML-encoded as the body of the response (EC2) or of
// <OpResult> (IAM/STS), or nil for an empty result; for ProtoJSON a value
// that is JSON-encoded. Errors should be *APIError; anything else becomes
// InternalFailure.
type opHandler func(c *Call) (any, error)

// APIError is an AWS error response.
type APIError struct {
	Code    string
	Message string
	Status  int    // HTTP status; 400 when zero
	Fault   string // "Sender" (default) or "Receiver" (query protocols)
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Errf builds an APIError with HTTP 400.
func Errf(code string, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...), Status: 400}
}

// ErrStatus builds an APIError with an explicit status.
func ErrStatus(status int, code string, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ServeHTTP dispatches the data channel, the simulator's own endpoints and
// the AWS APIs.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/data-channel/"):
		s.serveDataChannel(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/_sim/"):
		s.serveAdmin(w, r)
		return
	}
	s.serveAPI(w, r)
}

func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !s.opts.LogRequests || s.opts.Logf == nil {
		s.serveCall(w, r)
		return
	}
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	c := s.serveCall(rec, r)
	svc, op, id := "-", "-", "-"
	if c != nil {
		svc, op, id = c.Service, c.Op, c.RequestID
		if svc == "" {
			svc = "-"
		}
		if op == "" {
			op = "-"
		}
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	// Never the Authorization header, the body or the form: they carry
	// signatures, keys and tokens.
	s.logf("%s %s %s %d %v request %s", r.Method, svc, op, status, time.Since(start).Round(time.Millisecond), id)
}

// statusRecorder remembers the status a handler wrote, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// serveCall answers one API request and returns the call as far as it was
// understood (nil when its body could not be read).
func (s *Sim) serveCall(w http.ResponseWriter, r *http.Request) *Call {
	reqID := newRequestID()
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return nil
	}
	c := &Call{Ctx: r.Context(), RequestID: reqID, HTTP: r, Body: body}

	auth := parseAuthorization(r.Header.Get("Authorization"))
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		svc, ok := jsonTargets[prefix]
		if !ok {
			writeJSONError(w, reqID, ErrStatus(400, "UnknownOperationException", "Unknown target %s", target))
			return c
		}
		c.Service, c.Op = svc, op
	} else {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return c
		}
		// ParseForm consumed nothing we need: the body was read above.
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form body", http.StatusBadRequest)
			return c
		}
		for k, v := range r.URL.Query() {
			form[k] = append(form[k], v...)
		}
		c.Form = form
		c.Op = form.Get("Action")
		c.Service = auth.service
		if c.Service == "" {
			c.Service = serviceFromHost(r.Host)
		}
	}
	if c.Service == "" {
		s.writeError(w, c, ErrStatus(400, "MissingAuthenticationToken", "Request is missing Authentication Token"))
		return c
	}
	c.Region = auth.region
	if c.Region == "" {
		c.Region = s.defaultRegion()
	}
	key := c.Service + "." + c.Op
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.latency())
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return c
		}
	}
	h, ok := s.ops[key]
	if !ok {
		s.countAndThrottle(key)
		s.writeError(w, c, s.unknownOpError(c))
		return c
	}
	if s.countAndThrottle(key) || s.rateLimited(key) {
		s.writeError(w, c, throttleError(c.Service))
		return c
	}
	p, aerr := s.authenticate(r, auth, body, c.Service)
	if aerr != nil {
		s.writeError(w, c, aerr)
		return c
	}
	c.Principal = p
	if c.Service == "iam" {
		// As IAM: input constraints before authorization.
		if ae := validateIAMForm(c.Op, c.Form); ae != nil {
			s.writeError(w, c, ae)
			return c
		}
	}
	out, err := s.invoke(h, c)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			s.logf("awssim: %s: internal error: %v", key, err)
			ae = &APIError{Code: "InternalFailure", Message: "internal error", Status: 500, Fault: "Receiver"}
		}
		s.writeError(w, c, ae)
		return c
	}
	s.writeResult(w, c, out)
	return c
}

func (s *Sim) latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Latency
}

// invoke runs a handler, turning a panic into InternalFailure so that one
// bug does not kill the server.
func (s *Sim) invoke(h opHandler, c *Call) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in %s.%s: %v", c.Service, c.Op, r)
		}
	}()
	return h(c)
}

func (s *Sim) defaultRegion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.DefaultRegion
}

func serviceFromHost(host string) string {
	for _, svc := range []string{"ec2", "iam", "sts"} {
		if strings.HasPrefix(host, svc+".") {
			return svc
		}
	}
	return ""
}

func (s *Sim) unknownOpError(c *Call) *APIError {
	switch protocolOf(c.Service) {
	case ProtoEC2:
		return Errf("InvalidAction", "The action %s is not valid for this web service.", c.Op)
	case ProtoQuery:
		return Errf("InvalidAction", "Could not find operation %s for version %s", c.Op, c.Form.Get("Version"))
	default:
		return Errf("UnknownOperationException", "")
	}
}

func throttleError(service string) *APIError {
	switch service {
	case "ec2":
		return ErrStatus(503, "RequestLimitExceeded", "Request limit exceeded.")
	case "iam", "sts":
		return ErrStatus(400, "Throttling", "Rate exceeded")
	default:
		return ErrStatus(400, "ThrottlingException", "Rate exceeded")
	}
}

func (s *Sim) writeResult(w http.ResponseWriter, c *Call, out any) {
	switch protocolOf(c.Service) {
	case ProtoEC2:
		inner, err := marshalInner(out)
		if err != nil {
			s.logf("awssim: encode %s: %v", c.Op, err)
			s.writeError(w, c, &APIError{Code: "InternalError", Message: "encode", Status: 500})
			return
		}
		var b bytes.Buffer
		b.WriteString(xml.Header)
		fmt.Fprintf(&b, "<%sResponse xmlns=%q>\n  <requestId>%s</requestId>\n", c.Op, xmlnsEC2, c.RequestID)
		b.Write(inner)
		fmt.Fprintf(&b, "\n</%sResponse>", c.Op)
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(200)
		w.Write(b.Bytes())
	case ProtoQuery:
		inner, err := marshalInner(out)
		if err != nil {
			s.logf("awssim: encode %s: %v", c.Op, err)
			s.writeError(w, c, &APIError{Code: "InternalFailure", Message: "encode", Status: 500})
			return
		}
		ns := xmlnsIAM
		if c.Service == "sts" {
			ns = xmlnsSTS
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "<%sResponse xmlns=%q>\n", c.Op, ns)
		if out != nil {
			fmt.Fprintf(&b, "  <%sResult>\n", c.Op)
			b.Write(inner)
			fmt.Fprintf(&b, "\n  </%sResult>\n", c.Op)
		}
		fmt.Fprintf(&b, "  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n", c.RequestID, c.Op)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", c.RequestID)
		w.WriteHeader(200)
		w.Write(b.Bytes())
	default:
		var data []byte
		if out == nil {
			data = []byte("{}")
		} else {
			var err error
			data, err = json.Marshal(out)
			if err != nil {
				s.logf("awssim: encode %s: %v", c.Op, err)
				s.writeError(w, c, &APIError{Code: "InternalServerError", Message: "encode", Status: 500})
				return
			}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", c.RequestID)
		w.WriteHeader(200)
		w.Write(data)
	}
}

// marshalInner XML-encodes v and strips its outer element, so handlers
// return plain structs whose fields are the response's children.
func marshalInner(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	var b bytes.Buffer
	enc := xml.NewEncoder(&b)
	if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
		return nil, err
	}
	out := b.Bytes()
	out = bytes.TrimPrefix(out, []byte("<x>"))
	out = bytes.TrimSuffix(out, []byte("</x>"))
	if bytes.Equal(out, []byte("<x></x>")) {
		return nil, nil
	}
	return out, nil
}

func (s *Sim) writeError(w http.ResponseWriter, c *Call, e *APIError) {
	status := e.Status
	if status == 0 {
		status = 400
	}
	switch protocolOf(c.Service) {
	case ProtoEC2:
		var b bytes.Buffer
		b.WriteString(xml.Header)
		b.WriteString("<Response><Errors><Error><Code>")
		xml.EscapeText(&b, []byte(e.Code))
		b.WriteString("</Code><Message>")
		xml.EscapeText(&b, []byte(e.Message))
		fmt.Fprintf(&b, "</Message></Error></Errors><RequestID>%s</RequestID></Response>", c.RequestID)
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(status)
		w.Write(b.Bytes())
	case ProtoQuery:
		fault := e.Fault
		if fault == "" {
			fault = "Sender"
		}
		ns := xmlnsIAM
		if c.Service == "sts" {
			ns = xmlnsSTS
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "<ErrorResponse xmlns=%q>\n  <Error>\n    <Type>%s</Type>\n    <Code>", ns, fault)
		xml.EscapeText(&b, []byte(e.Code))
		b.WriteString("</Code>\n    <Message>")
		xml.EscapeText(&b, []byte(e.Message))
		fmt.Fprintf(&b, "</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n", c.RequestID)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", c.RequestID)
		w.WriteHeader(status)
		w.Write(b.Bytes())
	default:
		writeJSONError(w, c.RequestID, e)
	}
}

func writeJSONError(w http.ResponseWriter, reqID string, e *APIError) {
	status := e.Status
	if status == 0 {
		status = 400
	}
	body := map[string]string{"__type": e.Code}
	if e.Message != "" {
		body["message"] = e.Message
	}
	data, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.Header().Set("X-Amzn-Errortype", e.Code)
	w.WriteHeader(status)
	w.Write(data)
}

// DecodeJSON unmarshals a JSON request body into v, answering malformed
// input as AWS does.
func (c *Call) DecodeJSON(v any) error {
	if len(bytes.TrimSpace(c.Body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.Body, v); err != nil {
		return Errf("SerializationException", "Start of structure or map found where not expected.")
	}
	return nil
}

// FormList returns the members of a query-protocol list parameter, in
// order: name.1, name.2, ... (EC2 also uses name.N without .member; IAM
// uses name.member.N).
func (c *Call) FormList(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := c.Form[name+"."+strconv.Itoa(i)]
		if !ok {
			v, ok = c.Form[name+".member."+strconv.Itoa(i)]
		}
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// EC2Filter is one Filter.N of an EC2 request.
type EC2Filter struct {
	Name   string
	Values []string
}

// EC2Filters parses Filter.N.Name / Filter.N.Value.M.
func (c *Call) EC2Filters() []EC2Filter {
	var out []EC2Filter
	for i := 1; ; i++ {
		p := "Filter." + strconv.Itoa(i)
		name, ok := c.Form[p+".Name"]
		if !ok {
			return out
		}
		out = append(out, EC2Filter{Name: name[0], Values: c.FormList(p + ".Value")})
	}
}

// Page cuts [0,n) into a page: it returns the start and end indices and
// the next token (empty on the last page). Tokens are opaque to clients and
// bound to the operation, so a token from another call is rejected.
func Page(op string, n, maxResults int, token string) (start, end int, next string, err *APIError) {
	if token != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(token)
		prefix := op + ":"
		if derr != nil || !strings.HasPrefix(string(raw), prefix) {
			return 0, 0, "", Errf("InvalidNextToken", "The specified token is invalid or has expired.")
		}
		v, cerr := strconv.Atoi(strings.TrimPrefix(string(raw), prefix))
		if cerr != nil || v < 0 || v > n {
			return 0, 0, "", Errf("InvalidNextToken", "The specified token is invalid or has expired.")
		}
		start = v
	}
	end = n
	if maxResults > 0 && start+maxResults < n {
		end = start + maxResults
		next = base64.RawURLEncoding.EncodeToString([]byte(op + ":" + strconv.Itoa(end)))
	}
	return start, end, next, nil
}

// EpochSeconds renders a time as the JSON protocols do (fractional epoch
// seconds).
func EpochSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// ISOTime renders a time as the XML protocols do.
func ISOTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
