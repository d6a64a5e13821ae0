package awsfacts

import (
	"bytes"
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The SDK decodes a DescribeInstances page of 1,000 instances with
// encoding/xml into every one of the Instance type's sixty-odd fields; at
// 10,000 instances that was the largest part of the fleet check's CPU
// (docs/benchmarks.md). The pages describeInstancePages reads are decoded
// here instead, into the fields the doctor reads and nothing else:
//
//	Reservation: ReservationId, OwnerId, RequesterId, Groups, Instances
//	Instance:    InstanceId, State, SubnetId, VpcId, PrivateIpAddress,
//	             PublicIpAddress, SecurityGroups, IamInstanceProfile,
//	             Tags, MetadataOptions, KeyName, Platform (each of these
//	             whole), NetworkInterfaces (each interface's Groups only)
//
// The values are the SDK's own for these fields (TestInstancePageDecodeMatchesSDK),
// and TestDoctorReadsOnlyDecodedInstanceFields fails when product code
// reads an Instance field outside them. The call is still the SDK
// client's: only its operation deserializer is wrapped, for a successful
// response, and any body this decoder does not take whole (a comment,
// CDATA, a carriage return, an unknown entity, malformed XML) goes to the
// SDK's deserializer as it arrived, as does every error response.

// withInstancePageDecoder has the call's successful responses decoded by
// decodeInstancePage; apply it after withNextTokenPeek, which it keeps
// inside it.
func withInstancePageDecoder() func(*ec2.Options) {
	return func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, swapDeserializer(func(b []byte) (any, bool) { return decodeInstancePage(b) }))
	}
}

// swapDeserializer wraps the operation's deserializer so that decode
// reads a successful response's body first; what decode does not take
// (ok false), and every error response, the SDK's deserializer reads as
// it arrived.
func swapDeserializer(decode func(body []byte) (any, bool)) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		sdk, ok := st.Deserialize.Get("OperationDeserializer")
		if !ok {
			return nil // nothing to wrap: the SDK's deserializer stays
		}
		_, err := st.Deserialize.Swap("OperationDeserializer", bodyDecoder{sdk: sdk, decode: decode})
		return err
	}
}

type bodyDecoder struct {
	sdk    middleware.DeserializeMiddleware
	decode func([]byte) (any, bool)
}

func (bodyDecoder) ID() string { return "ssmdoctor.BodyDecoder" }

func (m bodyDecoder) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	// replay hands the SDK's deserializer this attempt's response.
	replay := middleware.DeserializeHandlerFunc(func(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
		return out, md, err
	})
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 || resp.Body == nil {
		return m.sdk.HandleDeserialize(ctx, in, replay)
	}
	body, rerr := readBody(resp)
	if rerr == nil {
		if v, ok := m.decode(body); ok {
			out.Result = v
			return out, md, nil
		}
	}
	// The SDK's deserializer meets the body as it came (or a read error
	// as the truncated body), from its start.
	readBody(resp)
	return m.sdk.HandleDeserialize(ctx, in, replay)
}

// decodeInstancePage decodes a DescribeInstances response body; ok is
// false when the body is not one this decoder takes whole.
func decodeInstancePage(body []byte) (out *ec2.DescribeInstancesOutput, ok bool) {
	d := &xmlScan{b: body}
	defer d.recover(&ok)
	root, ok := d.prolog()
	if !ok {
		return &ec2.DescribeInstancesOutput{}, true // empty body: the SDK's answer too
	}
	out = &ec2.DescribeInstancesOutput{}
	d.children(root, func(name []byte) {
		switch {
		case is(name, "reservationSet"):
			if out.Reservations == nil {
				out.Reservations = []ec2types.Reservation{}
			}
			d.items(name, func() {
				var r ec2types.Reservation
				d.reservation(&r)
				out.Reservations = append(out.Reservations, r)
			})
		case is(name, "nextToken"):
			out.NextToken = d.str(name)
		default:
			d.skip(name)
		}
	})
	return out, true
}

func (d *xmlScan) reservation(r *ec2types.Reservation) {
	d.children(d.name, func(name []byte) {
		switch {
		case is(name, "groupSet"):
			r.Groups = d.groups(name, r.Groups)
		case is(name, "instancesSet"):
			if r.Instances == nil {
				r.Instances = []ec2types.Instance{}
			}
			d.items(name, func() {
				var in ec2types.Instance
				d.instance(&in)
				r.Instances = append(r.Instances, in)
			})
		case is(name, "ownerId"):
			r.OwnerId = d.str(name)
		case is(name, "requesterId"):
			r.RequesterId = d.str(name)
		case is(name, "reservationId"):
			r.ReservationId = d.str(name)
		default:
			d.skip(name)
		}
	})
}

func (d *xmlScan) instance(in *ec2types.Instance) {
	d.children(d.name, func(name []byte) {
		switch {
		case is(name, "instanceId"):
			in.InstanceId = d.str(name)
		case is(name, "instanceState"):
			if in.State == nil {
				in.State = &ec2types.InstanceState{}
			}
			d.instanceState(name, in.State)
		case is(name, "subnetId"):
			in.SubnetId = d.str(name)
		case is(name, "vpcId"):
			in.VpcId = d.str(name)
		case is(name, "privateIpAddress"):
			in.PrivateIpAddress = d.str(name)
		case is(name, "ipAddress"):
			in.PublicIpAddress = d.str(name)
		case is(name, "groupSet"):
			in.SecurityGroups = d.groups(name, in.SecurityGroups)
		case is(name, "keyName"):
			in.KeyName = d.str(name)
		case is(name, "platform"):
			in.Platform = ec2types.PlatformValues(d.text(name))
		case is(name, "networkInterfaceSet"):
			if in.NetworkInterfaces == nil {
				in.NetworkInterfaces = []ec2types.InstanceNetworkInterface{}
			}
			d.items(name, func() {
				var ni ec2types.InstanceNetworkInterface
				d.children(d.name, func(f []byte) {
					switch {
					case is(f, "groupSet"):
						ni.Groups = d.groups(f, ni.Groups)
					default:
						d.skip(f)
					}
				})
				in.NetworkInterfaces = append(in.NetworkInterfaces, ni)
			})
		case is(name, "iamInstanceProfile"):
			if in.IamInstanceProfile == nil {
				in.IamInstanceProfile = &ec2types.IamInstanceProfile{}
			}
			p := in.IamInstanceProfile
			d.children(name, func(f []byte) {
				switch {
				case is(f, "arn"):
					p.Arn = d.str(f)
				case is(f, "id"):
					p.Id = d.str(f)
				default:
					d.skip(f)
				}
			})
		case is(name, "tagSet"):
			if in.Tags == nil {
				in.Tags = []ec2types.Tag{}
			}
			d.items(name, func() {
				var t ec2types.Tag
				d.children(d.name, func(f []byte) {
					switch {
					case is(f, "key"):
						t.Key = d.str(f)
					case is(f, "value"):
						t.Value = d.str(f)
					default:
						d.skip(f)
					}
				})
				in.Tags = append(in.Tags, t)
			})
		case is(name, "metadataOptions"):
			if in.MetadataOptions == nil {
				in.MetadataOptions = &ec2types.InstanceMetadataOptionsResponse{}
			}
			m := in.MetadataOptions
			d.children(name, func(f []byte) {
				switch {
				case is(f, "httpEndpoint"):
					m.HttpEndpoint = ec2types.InstanceMetadataEndpointState(d.text(f))
				case is(f, "httpProtocolIpv6"):
					m.HttpProtocolIpv6 = ec2types.InstanceMetadataProtocolState(d.text(f))
				case is(f, "httpPutResponseHopLimit"):
					m.HttpPutResponseHopLimit = d.int32(f)
				case is(f, "httpTokens"):
					m.HttpTokens = ec2types.HttpTokensState(d.text(f))
				case is(f, "instanceMetadataTags"):
					m.InstanceMetadataTags = ec2types.InstanceMetadataTagsState(d.text(f))
				case is(f, "state"):
					m.State = ec2types.InstanceMetadataOptionsState(d.text(f))
				default:
					d.skip(f)
				}
			})
		default:
			d.skip(name)
		}
	})
}

// instanceState reads an instance state's code and name (both pages
// carry it whole).
func (d *xmlScan) instanceState(name []byte, s *ec2types.InstanceState) {
	d.children(name, func(f []byte) {
		switch {
		case is(f, "code"):
			s.Code = d.int32(f)
		case is(f, "name"):
			s.Name = ec2types.InstanceStateName(d.text(f))
		default:
			d.skip(f)
		}
	})
}

func (d *xmlScan) groups(name []byte, gs []ec2types.GroupIdentifier) []ec2types.GroupIdentifier {
	if gs == nil {
		gs = []ec2types.GroupIdentifier{}
	}
	d.items(name, func() {
		var g ec2types.GroupIdentifier
		d.children(d.name, func(f []byte) {
			switch {
			case is(f, "groupId"):
				g.GroupId = d.str(f)
			case is(f, "groupName"):
				g.GroupName = d.str(f)
			default:
				d.skip(f)
			}
		})
		gs = append(gs, g)
	})
	return gs
}

// is matches an element name as the SDK does: its local part, any case.
func is(name []byte, want string) bool {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if len(name) != len(want) {
		return false
	}
	for i := range len(name) {
		a, b := name[i], want[i]
		if a >= 'A' && a <= 'Z' {
			a += 'a' - 'A'
		}
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// exact matches an element name as a decoder that compares names exactly
// would, and bails on a name only a case-blind decoder would take: either
// way the answer is the SDK's.
func exact(name []byte, want string) bool {
	if !is(name, want) {
		return false
	}
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if string(name) != want {
		bail()
	}
	return true
}

// xmlScan reads the subset of XML that AWS's query protocols send:
// elements, attributes (read past), text with the five named entities and
// character references, a leading declaration. Anything else panics with
// xmlBail, which decodeInstancePage turns into "not mine".
type xmlScan struct {
	b []byte
	i int
	// The token just read (next): a start or end tag's name, or text (val).
	kind tokKind
	name []byte
	val  []byte
	// selfClosed: the start tag just read was <name/>; its end tag is
	// the next token.
	selfClosed bool
}

type tokKind int

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
	tokEOF
)

type xmlBail struct{}

// recover turns a bail into *ok = false; deferred by each decoder.
func (d *xmlScan) recover(ok *bool) {
	if r := recover(); r != nil {
		if _, bail := r.(xmlBail); !bail {
			panic(r)
		}
		*ok = false
	}
}

func bail() { panic(xmlBail{}) }

// prolog reads up to the root element; ok is false for a body without one.
func (d *xmlScan) prolog() (root []byte, ok bool) {
	for {
		switch d.next(); d.kind {
		case tokEOF:
			return nil, false
		case tokStart:
			return d.name, true
		case tokText:
			if len(bytes.TrimSpace(d.val)) > 0 {
				bail()
			}
		default:
			bail()
		}
	}
}

// children calls f for each child element of the element name just
// opened, with f's start tag read; f must read through the child's end
// tag. Text between children is ignored, as the SDK ignores it.
func (d *xmlScan) children(name []byte, f func(child []byte)) {
	for {
		switch d.next(); d.kind {
		case tokStart:
			f(d.name)
		case tokEnd:
			if !bytes.Equal(d.name, name) {
				bail()
			}
			return
		case tokText:
		default:
			bail()
		}
	}
}

// items calls f for each <item> child of the list element name, with its
// start tag read; other children are skipped.
func (d *xmlScan) items(name []byte, f func()) {
	d.children(name, func(child []byte) {
		if is(child, "item") {
			f()
		} else {
			d.skip(child)
		}
	})
}

// skip reads through the end of the element name just opened.
func (d *xmlScan) skip(name []byte) {
	d.children(name, func(child []byte) { d.skip(child) })
}

// text is the value of a leaf element just opened, through its end tag:
// "" for <a/> and <a></a>; an element with children is not a value.
func (d *xmlScan) text(name []byte) string {
	var v string
	d.next()
	if d.kind == tokText {
		v = string(d.val)
		d.next()
	}
	if d.kind != tokEnd || !bytes.Equal(d.name, name) {
		bail()
	}
	return v
}

func (d *xmlScan) str(name []byte) *string {
	v := d.text(name)
	return &v
}

func (d *xmlScan) int32(name []byte) *int32 {
	n, err := strconv.ParseInt(d.text(name), 10, 64)
	if err != nil {
		bail()
	}
	v := int32(n)
	return &v
}

// next reads one token.
func (d *xmlScan) next() {
	if d.selfClosed {
		d.selfClosed = false
		d.kind = tokEnd // d.name is still the start tag's
		return
	}
	b := d.b
	if d.i >= len(b) {
		d.kind = tokEOF
		return
	}
	if b[d.i] != '<' {
		d.kind = tokText
		d.val = d.readText()
		return
	}
	d.i++
	if d.i >= len(b) {
		bail()
	}
	switch b[d.i] {
	case '?':
		// The declaration, only before the root (encoding/xml rejects a
		// non-UTF-8 encoding it has no reader for; so does this).
		end := bytes.Index(b[d.i:], []byte("?>"))
		if end < 0 || len(bytes.TrimSpace(b[:d.i-1])) > 0 {
			bail()
		}
		decl := b[d.i : d.i+end]
		if enc := bytes.Index(decl, []byte("encoding")); enc >= 0 {
			rest := bytes.ToLower(decl[enc:])
			if !bytes.Contains(rest, []byte("utf-8")) {
				bail()
			}
		}
		d.i += end + 2
		d.next()
		return
	case '!':
		bail() // comments, CDATA, DOCTYPE: the SDK's
	case '/':
		d.i++
		d.kind = tokEnd
		d.name = d.readName()
		d.spaces()
		if d.i >= len(b) || b[d.i] != '>' {
			bail()
		}
		d.i++
		return
	}
	d.kind = tokStart
	d.name = d.readName()
	for {
		d.spaces()
		if d.i >= len(b) {
			bail()
		}
		switch b[d.i] {
		case '>':
			d.i++
			return
		case '/':
			if d.i+1 >= len(b) || b[d.i+1] != '>' {
				bail()
			}
			d.i += 2
			d.selfClosed = true
			return
		}
		d.attr()
	}
}

// attr reads past one attribute: name="value" or name='value'.
func (d *xmlScan) attr() {
	b := d.b
	d.readName()
	d.spaces()
	if d.i >= len(b) || b[d.i] != '=' {
		bail()
	}
	d.i++
	d.spaces()
	if d.i >= len(b) || b[d.i] != '"' && b[d.i] != '\'' {
		bail()
	}
	q := b[d.i]
	end := bytes.IndexByte(b[d.i+1:], q)
	if end < 0 {
		bail()
	}
	v := b[d.i+1 : d.i+1+end]
	if bytes.IndexByte(v, '<') >= 0 || bytes.IndexByte(v, '&') >= 0 && !entitiesOK(v) {
		bail()
	}
	d.i += end + 2
}

func entitiesOK(v []byte) bool {
	_, ok := unescape(v)
	return ok
}

func (d *xmlScan) spaces() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n':
			d.i++
		default:
			return
		}
	}
}

// readName reads an element or attribute name: ASCII letters, digits and
// - _ . : (AWS's names; anything else is the SDK's).
func (d *xmlScan) readName() []byte {
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' ||
			d.i > start && (c >= '0' && c <= '9' || c == '-' || c == '.') {
			d.i++
			continue
		}
		break
	}
	if d.i == start {
		bail()
	}
	return d.b[start:d.i]
}

// readText reads text up to the next '<', entities replaced. A carriage
// return (which encoding/xml folds), a control character, an invalid
// UTF-8 sequence or an unknown entity bails.
func (d *xmlScan) readText() []byte {
	start := d.i
	end := bytes.IndexByte(d.b[start:], '<')
	if end < 0 {
		end = len(d.b) - start
	}
	raw := d.b[start : start+end]
	d.i = start + end
	ascii := true
	for _, c := range raw {
		if c < 0x20 && c != '\t' && c != '\n' {
			bail()
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii {
		for _, r := range string(raw) {
			if r == utf8.RuneError || !xmlChar(r) {
				bail() // invalid UTF-8 or a character XML does not allow
			}
		}
	}
	if bytes.Contains(raw, []byte("]]>")) {
		bail() // encoding/xml refuses it outside CDATA
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return raw
	}
	v, ok := unescape(raw)
	if !ok {
		bail()
	}
	return v
}

// unescape replaces the five named entities and character references;
// a reference to a carriage return is refused (encoding/xml folds it).
func unescape(raw []byte) ([]byte, bool) {
	out := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		amp := bytes.IndexByte(raw, '&')
		if amp < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:amp]...)
		raw = raw[amp+1:]
		semi := bytes.IndexByte(raw, ';')
		if semi < 0 {
			return nil, false
		}
		ent := raw[:semi]
		raw = raw[semi+1:]
		switch string(ent) {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				return nil, false
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
			}
			r := rune(n)
			if err != nil || !xmlChar(r) || r == '\r' {
				return nil, false
			}
			out = utf8.AppendRune(out, r)
		}
	}
	return out, true
}

// xmlChar: the characters XML allows (encoding/xml's isInCharacterRange).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
