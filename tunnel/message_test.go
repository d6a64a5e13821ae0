package tunnel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Vectors are assembled field by field from docs/session-protocol.md#frame-layout,
// never with the encoder under test, so a symmetric bug in encode and
// decode cannot hide.

const (
	vecMessageID = "dd01e56b-ff48-483e-a508-b5f073f31b16"
	// The same id as it travels: bytes 8..15 first, then 0..7.
	vecMessageIDWire = "a508b5f073f31b16" + "dd01e56bff48483e"
	vecCreated       = 1503434274948 // 0x0000015e0baa7884
	vecCreatedHex    = "0000015e0baa7884"
	vecAckPayload    = `{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"dd01e56b-ff48-483e-a508-b5f073f31b16","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":true}`
	// sha256 of vecAckPayload, computed outside Go.
	vecAckDigest = "713a0a17057de630213f7292907ce38462812ea213a29366f537f68c6ab60e85"
)

type vecFrame struct {
	headerLen string // 8 hex digits
	msgType   string // raw 32 bytes after padding
	schema    string
	created   string
	seq       string
	flags     string
	id        string
	digest    string // 64 hex digits; "" = sha256(payload)
	ptype     string
	plen      string // "" = len(payload)
	payload   []byte
}

func padType(t string, pad byte) string {
	return t + strings.Repeat(string(pad), 32-len(t))
}

func hex32(n uint32) string {
	return hex.EncodeToString([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

func (f vecFrame) bytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	put := func(h string, size int) {
		raw, err := hex.DecodeString(h)
		if err != nil || len(raw) != size {
			t.Fatalf("bad vector field %q (want %d bytes): %v", h, size, err)
		}
		b.Write(raw)
	}
	put(f.headerLen, 4)
	if len(f.msgType) != 32 {
		t.Fatalf("vector type %q is not 32 bytes", f.msgType)
	}
	b.WriteString(f.msgType)
	put(f.schema, 4)
	put(f.created, 8)
	put(f.seq, 8)
	put(f.flags, 8)
	put(f.id, 16)
	d := f.digest
	if d == "" {
		s := sha256.Sum256(f.payload)
		d = hex.EncodeToString(s[:])
	}
	put(d, 32)
	put(f.ptype, 4)
	pl := f.plen
	if pl == "" {
		pl = hex32(uint32(len(f.payload)))
	}
	put(pl, 4)
	b.Write(f.payload)
	return b.Bytes()
}

func ackVector() vecFrame {
	return vecFrame{
		headerLen: "00000074",
		msgType:   padType("acknowledge", ' '),
		schema:    "00000001",
		created:   vecCreatedHex,
		seq:       "0000000000000000",
		flags:     "0000000000000003",
		id:        vecMessageIDWire,
		digest:    vecAckDigest,
		ptype:     "00000000",
		payload:   []byte(vecAckPayload),
	}
}

func handshakeVector() vecFrame {
	return vecFrame{
		headerLen: "00000074",
		msgType:   padType("output_stream_data", ' '),
		schema:    "00000001",
		created:   vecCreatedHex,
		seq:       "0000000000000000",
		flags:     "0000000000000001",
		id:        vecMessageIDWire,
		ptype:     "00000005",
		payload:   []byte(`{"AgentVersion":"3.3.0.0","RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Port","Properties":{"portNumber":"22"}}}]}`),
	}
}

func channelClosedVector() vecFrame {
	return vecFrame{
		headerLen: "00000074",
		msgType:   padType("channel_closed", ' '),
		schema:    "00000001",
		created:   vecCreatedHex,
		seq:       "0000000000000000",
		flags:     "0000000000000003",
		id:        vecMessageIDWire,
		ptype:     "00000000",
		payload:   []byte(`{"MessageId":"dd01e56b-ff48-483e-a508-b5f073f31b16","CreatedDate":"2017-08-22T20:37:54.948Z","DestinationId":"destination-id","SessionId":"s-0123","MessageType":"channel_closed","SchemaVersion":1,"Output":"session was terminated"}`),
	}
}

func TestCodecGoodVectors(t *testing.T) {
	wantID, _ := ParseUUID(vecMessageID)
	wantCreated := time.UnixMilli(vecCreated)
	cases := []struct {
		name     string
		frame    vecFrame
		typ      string
		seq      int64
		flags    uint64
		pt       PayloadType
		roundTrp bool // encode(decode(x)) == x
		check    func(t *testing.T, m *Message)
	}{
		{name: "good_ack", frame: ackVector(), typ: TypeAcknowledge, flags: FlagsAck, roundTrp: true,
			check: func(t *testing.T, m *Message) {
				a, err := ParseAck(m)
				if err != nil {
					t.Fatal(err)
				}
				if a.AcknowledgedMessageID != vecMessageID || a.AcknowledgedMessageType != TypeOutputStreamData || !a.IsSequentialMessage {
					t.Fatalf("ack payload = %+v", a)
				}
			}},
		{name: "good_handshake_request", frame: handshakeVector(), typ: TypeOutputStreamData, flags: FlagsSYN, pt: PayloadHandshakeRequest, roundTrp: true,
			check: func(t *testing.T, m *Message) {
				hr, err := parseHandshakeRequest(m.Payload)
				if err != nil {
					t.Fatal(err)
				}
				if len(hr.RequestedClientActions) != 1 || hr.RequestedClientActions[0].ActionType != ActionSessionType {
					t.Fatalf("handshake = %+v", hr)
				}
			}},
		{name: "good_channel_closed", frame: channelClosedVector(), typ: TypeChannelClosed, flags: FlagsAck, roundTrp: true,
			check: func(t *testing.T, m *Message) {
				cc, err := parseChannelClosed(m.Payload)
				if err != nil {
					t.Fatal(err)
				}
				if cc.Output != "session was terminated" || cc.SessionID != "s-0123" {
					t.Fatalf("channel_closed = %+v", cc)
				}
			}},
		{name: "good_nul_padded_type", typ: TypeOutputStreamData, pt: PayloadOutput,
			frame: func() vecFrame {
				f := handshakeVector()
				f.msgType = padType("output_stream_data", 0)
				f.flags = "0000000000000000"
				f.seq = "0000000000000007"
				f.ptype = "00000001"
				f.payload = []byte("testPayload7")
				return f
			}(), seq: 7},
		{name: "good_start_publication_zero_fields_skips_validation", typ: TypeStartPublication,
			frame: vecFrame{
				headerLen: "00000074", msgType: padType("start_publication", ' '), schema: "00000000",
				created: "0000000000000000", seq: "0000000000000000", flags: "0000000000000000",
				id: strings.Repeat("00", 16), digest: strings.Repeat("00", 32), ptype: "00000000", plen: "00000000",
			}},
		{name: "good_negative_sequence", typ: TypeInputStreamData, pt: PayloadOutput, seq: -2, roundTrp: true,
			frame: func() vecFrame {
				f := handshakeVector()
				f.msgType = padType("input_stream_data", ' ')
				f.seq = "fffffffffffffffe"
				f.flags = "0000000000000000"
				f.ptype = "00000001"
				f.payload = []byte{0, 1, 2, 0xff}
				return f
			}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.frame.bytes(t)
			m, err := UnmarshalMessage(raw)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := m.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if m.MessageType != tc.typ || m.SequenceNumber != tc.seq || m.Flags != tc.flags || m.PayloadType != tc.pt {
				t.Fatalf("decoded type=%q seq=%d flags=%d pt=%d", m.MessageType, m.SequenceNumber, m.Flags, m.PayloadType)
			}
			if !bytes.Equal(m.Payload, tc.frame.payload) {
				t.Fatalf("payload = %q, want %q", m.Payload, tc.frame.payload)
			}
			if tc.typ != TypeStartPublication {
				if m.MessageID != wantID {
					t.Fatalf("message id = %s, want %s", m.MessageID, wantID)
				}
				if !m.CreatedDate.Equal(wantCreated) {
					t.Fatalf("created = %v, want %v", m.CreatedDate, wantCreated)
				}
			}
			if tc.check != nil {
				tc.check(t, m)
			}
			if tc.roundTrp {
				again, err := m.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, raw) {
					t.Fatalf("encode(decode(x)) != x\n got %x\nwant %x", again, raw)
				}
			}
		})
	}
}

func TestCodecFailVectors(t *testing.T) {
	cases := []struct {
		name      string
		raw       func(t *testing.T) []byte
		decodeErr error // nil: decodes, then Validate must fail with validErr
		validErr  error
	}{
		{name: "fail_short_frame", decodeErr: ErrShortFrame,
			raw: func(t *testing.T) []byte { return ackVector().bytes(t)[:119] }},
		{name: "fail_empty_frame", decodeErr: ErrShortFrame,
			raw: func(t *testing.T) []byte { return nil }},
		{name: "fail_header_length_zero", decodeErr: ErrBadHeaderLength,
			raw: func(t *testing.T) []byte { f := ackVector(); f.headerLen = "00000000"; return f.bytes(t) }},
		{name: "fail_header_length_past_end", decodeErr: ErrBadHeaderLength,
			raw: func(t *testing.T) []byte { f := ackVector(); f.headerLen = "0000ffff"; return f.bytes(t) }},
		{name: "fail_bad_digest", validErr: ErrDigestMismatch,
			raw: func(t *testing.T) []byte { f := ackVector(); f.digest = strings.Repeat("ab", 32); return f.bytes(t) }},
		{name: "fail_payload_flipped_bit", validErr: ErrDigestMismatch,
			raw: func(t *testing.T) []byte { b := ackVector().bytes(t); b[len(b)-2] ^= 1; return b }},
		{name: "fail_empty_type", validErr: ErrEmptyType,
			raw: func(t *testing.T) []byte { f := ackVector(); f.msgType = padType("", ' '); return f.bytes(t) }},
		{name: "fail_zero_created_date", validErr: ErrNoCreatedDate,
			raw: func(t *testing.T) []byte { f := ackVector(); f.created = "0000000000000000"; return f.bytes(t) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := UnmarshalMessage(tc.raw(t))
			if tc.decodeErr != nil {
				if !errors.Is(err, tc.decodeErr) {
					t.Fatalf("decode error = %v, want %v", err, tc.decodeErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := m.Validate(); !errors.Is(err, tc.validErr) {
				t.Fatalf("validate error = %v, want %v", err, tc.validErr)
			}
		})
	}
}

// An empty payload skips the digest check (docs/session-protocol.md#frame-layout)
// whatever the digest says.
func TestCodecEmptyPayloadSkipsDigest(t *testing.T) {
	f := ackVector()
	f.payload = nil
	f.digest = strings.Repeat("ee", 32)
	m, err := UnmarshalMessage(f.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// A frame whose PayloadLength disagrees with its payload bytes is refused
// by the decoder, whatever the rest of it says: the real agent and plugin
// check the digest when PayloadLength is non-zero, Validate when the
// payload is non-empty, so such a frame would be judged differently by
// each side (docs/session-protocol.md#frame-layout). Hand-built frames, not through
// the simulator, which decodes with this same code.
func TestCodecPayloadLengthMismatchRefused(t *testing.T) {
	cases := []struct {
		name  string
		frame func() vecFrame
	}{
		{"zero_length_with_bytes", func() vecFrame {
			f := ackVector()
			f.plen = "00000000"
			return f
		}},
		{"zero_length_with_bytes_wrong_digest", func() vecFrame {
			// The agent skips the digest (PayloadLength 0) and takes the
			// bytes; Validate used to check it and drop the frame.
			f := ackVector()
			f.plen = "00000000"
			f.digest = strings.Repeat("ee", 32)
			return f
		}},
		{"five_with_no_bytes", func() vecFrame {
			// The agent checks the digest of nothing; Validate used to
			// skip it and accept the frame.
			f := ackVector()
			f.payload = nil
			f.plen = "00000005"
			f.digest = strings.Repeat("ee", 32)
			return f
		}},
		{"one_with_many", func() vecFrame {
			f := handshakeVector()
			f.plen = "00000001"
			return f
		}},
		{"one_too_many", func() vecFrame {
			f := handshakeVector()
			f.plen = hex32(uint32(len(f.payload) + 1))
			return f
		}},
		{"start_publication_five_with_none", func() vecFrame {
			// start_publication skips Validate; the length is checked
			// before that.
			return vecFrame{
				headerLen: "00000074", msgType: padType("start_publication", ' '), schema: "00000001",
				created: vecCreatedHex, seq: "0000000000000000", flags: "0000000000000003",
				id: vecMessageIDWire, digest: strings.Repeat("00", 32), ptype: "00000000", plen: "00000005",
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.frame().bytes(t)
			m, err := UnmarshalMessage(raw)
			if !errors.Is(err, ErrPayloadLength) {
				t.Fatalf("decode error = %v, want %v (message %+v)", err, ErrPayloadLength, m)
			}
			if m != nil {
				t.Fatalf("UnmarshalMessage returned a message with the error")
			}
			var reused Message
			err = DecodeMessage(raw, &reused)
			if !errors.Is(err, ErrPayloadLength) {
				t.Fatalf("DecodeMessage error = %v", err)
			}
			// The error says which frame and both numbers.
			want := fmt.Sprintf("PayloadLength %d, %d payload bytes", reused.PayloadLength, len(raw)-HeaderSize)
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), reused.MessageType) {
				t.Fatalf("error %q does not name the type and %q", err, want)
			}
		})
	}
	// A frame whose PayloadLength is right still decodes, with it.
	f := handshakeVector()
	m, err := UnmarshalMessage(f.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if int(m.PayloadLength) != len(f.payload) || !bytes.Equal(m.Payload, f.payload) {
		t.Fatalf("PayloadLength %d, payload %d bytes; want %d", m.PayloadLength, len(m.Payload), len(f.payload))
	}
}

func TestCodecEncodeMatchesVector(t *testing.T) {
	id, _ := ParseUUID(vecMessageID)
	m := &Message{MessageType: TypeAcknowledge, SchemaVersion: 1, CreatedDate: time.UnixMilli(vecCreated),
		Flags: FlagsAck, MessageID: id, Payload: []byte(vecAckPayload)}
	got, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if want := ackVector().bytes(t); !bytes.Equal(got, want) {
		t.Fatalf("encode\n got %x\nwant %x", got, want)
	}
	if _, err := (&Message{MessageType: strings.Repeat("x", 33)}).MarshalBinary(); !errors.Is(err, ErrTypeTooLong) {
		t.Fatalf("33-byte type: err = %v", err)
	}
}

func TestUUIDRoundTrip(t *testing.T) {
	u, err := ParseUUID(vecMessageID)
	if err != nil {
		t.Fatal(err)
	}
	if u.String() != vecMessageID {
		t.Fatalf("round trip %s", u)
	}
	n := NewUUID()
	if n[6]>>4 != 4 || n[8]>>6 != 2 {
		t.Fatalf("NewUUID %s is not version 4", n)
	}
	for _, bad := range []string{"", "dd01e56b", strings.Repeat("z", 32)} {
		if _, err := ParseUUID(bad); err == nil {
			t.Fatalf("ParseUUID(%q) accepted", bad)
		}
	}
}
