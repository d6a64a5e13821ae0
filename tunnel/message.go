// Package tunnel speaks the Session Manager data channel: the binary
// ClientMessage frame, the handshake, sequencing, acknowledgement and
// retransmission, reconnection, and a stdio bridge for ssh's ProxyCommand.
// It knows nothing of checks.
package tunnel

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Frame layout (docs/session-protocol.md#frame-layout). All integers
// big-endian.
const (
	offHeaderLength  = 0
	offMessageType   = 4
	offSchemaVersion = 36
	offCreatedDate   = 40
	offSequence      = 48
	offFlags         = 56
	offMessageID     = 64
	offDigest        = 80
	offPayloadType   = 112
	offPayloadLength = 116
	// HeaderSize is the fixed size of the header in bytes; the payload
	// starts here.
	HeaderSize = 120
	// HeaderLengthValue is what every sender puts in the HeaderLength
	// field: the offset of PayloadLength, not the full header size.
	HeaderLengthValue = 116
	messageTypeLen    = 32
)

// Message types (docs/session-protocol.md#message-types-payload-types-and-flags).
const (
	TypeInputStreamData   = "input_stream_data"
	TypeOutputStreamData  = "output_stream_data"
	TypeAcknowledge       = "acknowledge"
	TypeChannelClosed     = "channel_closed"
	TypeStartPublication  = "start_publication"
	TypePausePublication  = "pause_publication"
	TypeAgentSessionState = "agent_session_state"
)

// PayloadType values (docs/session-protocol.md#message-types-payload-types-and-flags).
type PayloadType uint32

const (
	PayloadNone                 PayloadType = 0
	PayloadOutput               PayloadType = 1
	PayloadError                PayloadType = 2
	PayloadSize                 PayloadType = 3
	PayloadParameter            PayloadType = 4
	PayloadHandshakeRequest     PayloadType = 5
	PayloadHandshakeResponse    PayloadType = 6
	PayloadHandshakeComplete    PayloadType = 7
	PayloadEncChallengeRequest  PayloadType = 8
	PayloadEncChallengeResponse PayloadType = 9
	PayloadFlag                 PayloadType = 10
	PayloadStdErr               PayloadType = 11
	PayloadExitCode             PayloadType = 12
)

// Flag payload values (PayloadType 10).
const (
	FlagDisconnectToPort   uint32 = 1
	FlagTerminateSession   uint32 = 2
	FlagConnectToPortError uint32 = 3
)

// Header Flags values (docs/session-protocol.md#message-types-payload-types-and-flags).
const (
	FlagsNone uint64 = 0
	FlagsSYN  uint64 = 1
	FlagsFIN  uint64 = 2
	FlagsAck  uint64 = 3 // acks and control messages: SYN|FIN
)

// UUID is a 16-byte UUID in canonical byte order.
type UUID [16]byte

// NewUUID returns a random (version 4) UUID.
func NewUUID() UUID {
	var u UUID
	if _, err := rand.Read(u[:]); err != nil {
		panic("tunnel: crypto/rand failed: " + err.Error())
	}
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// String formats the UUID lowercase and hyphenated.
func (u UUID) String() string {
	var b [36]byte
	return string(appendUUID(b[:0], u))
}

// ParseUUID parses the hyphenated (or plain 32-hex-digit) form.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return u, fmt.Errorf("parse uuid %q: want 32 hex digits", s)
	}
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("parse uuid %q: %w", s, err)
	}
	return u, nil
}

// Message is one ClientMessage frame.
type Message struct {
	// HeaderLength as read from the wire; Marshal always writes 116.
	HeaderLength   uint32
	MessageType    string
	SchemaVersion  uint32
	CreatedDate    time.Time // millisecond precision on the wire
	SequenceNumber int64
	Flags          uint64
	MessageID      UUID
	// PayloadDigest as read from the wire; Marshal computes it.
	PayloadDigest [32]byte
	PayloadType   PayloadType
	// PayloadLength as read from the wire (a decoded frame's always equals
	// len(Payload)); Marshal computes it.
	PayloadLength uint32
	Payload       []byte
}

// NewMessage builds a message with a fresh id, schema version 1 and the
// current time.
func NewMessage(msgType string, seq int64, flags uint64, pt PayloadType, payload []byte) *Message {
	return &Message{
		HeaderLength:   HeaderLengthValue,
		MessageType:    msgType,
		SchemaVersion:  1,
		CreatedDate:    time.Now(),
		SequenceNumber: seq,
		Flags:          flags,
		MessageID:      NewUUID(),
		PayloadType:    pt,
		Payload:        payload,
	}
}

// Errors returned by the codec.
var (
	ErrShortFrame      = errors.New("frame shorter than the 120-byte header")
	ErrBadHeaderLength = errors.New("header length is zero or points past the frame")
	ErrEmptyType       = errors.New("message type is empty")
	ErrNoCreatedDate   = errors.New("created date is zero")
	ErrDigestMismatch  = errors.New("payload digest does not match the payload")
	ErrTypeTooLong     = errors.New("message type longer than 32 bytes")
	// ErrPayloadLength: the header's PayloadLength is not the number of
	// payload bytes. The real agent and plugin check the digest when
	// PayloadLength is non-zero, this decoder when the payload is
	// non-empty; such a frame would be judged differently by each, and no
	// conformant sender makes one, so it is refused.
	ErrPayloadLength = errors.New("PayloadLength does not match the payload bytes")
)

// MarshalBinary encodes m: HeaderLength 116, space-padded type, swapped
// UUID halves and the SHA-256 digest of the payload.
func (m *Message) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, HeaderSize+len(m.Payload)))
}

// AppendBinary appends the encoding of m to b.
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	if len(m.MessageType) > messageTypeLen {
		return b, ErrTypeTooLong
	}
	// A zero time means "no date" (control frames built by hand); the
	// wire says that with 0, not with year 1 in milliseconds.
	var created uint64
	if !m.CreatedDate.IsZero() {
		created = uint64(m.CreatedDate.UnixMilli())
	}
	start := len(b)
	b = appendHeader(b, m.MessageType, m.SchemaVersion, created, m.SequenceNumber, m.Flags, m.MessageID, m.PayloadType)
	b = append(b, m.Payload...)
	sealFrame(b[start:])
	return b, nil
}

const typePadding = "                                " // messageTypeLen spaces

// appendHeader appends a header whose digest and PayloadLength are left
// for sealFrame, so that a payload can be encoded straight after it.
// msgType must fit in 32 bytes.
func appendHeader(b []byte, msgType string, schema uint32, createdMs uint64, seq int64, flags uint64, id UUID, pt PayloadType) []byte {
	b = binary.BigEndian.AppendUint32(b, HeaderLengthValue)
	b = append(b, msgType...)
	b = append(b, typePadding[len(msgType):]...)
	b = binary.BigEndian.AppendUint32(b, schema)
	b = binary.BigEndian.AppendUint64(b, createdMs)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = binary.BigEndian.AppendUint64(b, flags)
	b = append(b, id[8:16]...) // the wire swaps the UUID halves
	b = append(b, id[0:8]...)
	b = append(b, make([]byte, 32)...)
	b = binary.BigEndian.AppendUint32(b, uint32(pt))
	return append(b, 0, 0, 0, 0)
}

// sealFrame fills PayloadDigest and PayloadLength of a whole frame.
func sealFrame(f []byte) {
	p := f[HeaderSize:]
	d := sha256.Sum256(p)
	copy(f[offDigest:offDigest+32], d[:])
	binary.BigEndian.PutUint32(f[offPayloadLength:], uint32(len(p)))
}

// AppendFrame appends a complete frame with a fresh id, schema version 1
// and the current time: NewMessage and AppendBinary without the Message.
// msgType must be one of the Type constants.
func AppendFrame(b []byte, msgType string, seq int64, flags uint64, pt PayloadType, payload []byte) []byte {
	start := len(b)
	b = appendHeader(b, msgType, 1, uint64(time.Now().UnixMilli()), seq, flags, NewUUID(), pt)
	b = append(b, payload...)
	sealFrame(b[start:])
	return b
}

// UnmarshalMessage decodes a frame without validating it. The payload is
// everything from HeaderLength+4 to the end of the frame, as receivers
// of the real protocol do; a PayloadLength that disagrees with it is an
// error (ErrPayloadLength). The payload aliases b.
func UnmarshalMessage(b []byte) (*Message, error) {
	m := &Message{}
	if err := DecodeMessage(b, m); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeMessage is UnmarshalMessage into a Message the caller owns (a
// reader reuses one for every frame); every field of m is overwritten.
// On ErrPayloadLength every field is filled all the same, so that the
// caller can say which frame it refused.
func DecodeMessage(b []byte, m *Message) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("decode frame: %w (%d bytes)", ErrShortFrame, len(b))
	}
	hl := binary.BigEndian.Uint32(b[offHeaderLength:])
	if hl == 0 || uint64(hl)+4 > uint64(len(b)) {
		return fmt.Errorf("decode frame: %w (%d)", ErrBadHeaderLength, hl)
	}
	m.HeaderLength = hl
	m.MessageType = decodeType(b[offMessageType : offMessageType+messageTypeLen])
	m.SchemaVersion = binary.BigEndian.Uint32(b[offSchemaVersion:])
	m.CreatedDate = time.Time{}
	if ms := binary.BigEndian.Uint64(b[offCreatedDate:]); ms != 0 {
		m.CreatedDate = time.UnixMilli(int64(ms))
	}
	m.SequenceNumber = int64(binary.BigEndian.Uint64(b[offSequence:]))
	m.Flags = binary.BigEndian.Uint64(b[offFlags:])
	m.MessageID = getSwappedUUID(b[offMessageID : offMessageID+16])
	copy(m.PayloadDigest[:], b[offDigest:offDigest+32])
	m.PayloadType = PayloadType(binary.BigEndian.Uint32(b[offPayloadType:]))
	m.PayloadLength = binary.BigEndian.Uint32(b[offPayloadLength:])
	m.Payload = b[m.HeaderLength+4:]
	if uint64(m.PayloadLength) != uint64(len(m.Payload)) {
		return fmt.Errorf("decode %s frame seq %d: %w (PayloadLength %d, %d payload bytes)",
			m.MessageType, m.SequenceNumber, ErrPayloadLength, m.PayloadLength, len(m.Payload))
	}
	return nil
}

// Validate applies the receiver's checks in the real order: HeaderLength,
// MessageType, CreatedDate, then the digest (only for a non-empty
// payload, which for a decoded frame is the real receivers' "PayloadLength
// non-zero": DecodeMessage refuses a frame where the two disagree).
// start_publication and pause_publication skip validation.
func (m *Message) Validate() error {
	if m.MessageType == TypeStartPublication || m.MessageType == TypePausePublication {
		return nil
	}
	if m.HeaderLength == 0 {
		return ErrBadHeaderLength
	}
	if m.MessageType == "" {
		return ErrEmptyType
	}
	if m.CreatedDate.IsZero() {
		return ErrNoCreatedDate
	}
	if len(m.Payload) > 0 && sha256.Sum256(m.Payload) != m.PayloadDigest {
		return ErrDigestMismatch
	}
	return nil
}

// decodeType trims the padding; the known types come back as constants,
// so that a frame's type costs no allocation.
func decodeType(field []byte) string {
	t := bytes.TrimSpace(bytes.TrimRight(field, " \x00"))
	switch string(t) {
	case TypeInputStreamData:
		return TypeInputStreamData
	case TypeOutputStreamData:
		return TypeOutputStreamData
	case TypeAcknowledge:
		return TypeAcknowledge
	case TypeChannelClosed:
		return TypeChannelClosed
	case TypeStartPublication:
		return TypeStartPublication
	case TypePausePublication:
		return TypePausePublication
	case TypeAgentSessionState:
		return TypeAgentSessionState
	}
	return string(t)
}

// The wire carries bytes 8..15 of the canonical UUID first, then 0..7.
func getSwappedUUID(src []byte) UUID {
	var u UUID
	copy(u[8:16], src[0:8])
	copy(u[0:8], src[8:16])
	return u
}
