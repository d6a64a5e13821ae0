package tunnel

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"time"
)

// Both peers send and receive one acknowledge per stream message, so the
// ack is the hottest frame of a transfer. These paths build and read the
// canonical form by hand; anything else goes through encoding/json.

const (
	ackKeyType = `{"AcknowledgedMessageType":"`
	ackKeyID   = `","AcknowledgedMessageId":"`
	ackKeySeq  = `","AcknowledgedMessageSequenceNumber":`
	ackKeyLast = `,"IsSequentialMessage":`
)

// AppendAck appends the acknowledge frame for m to b: the same bytes as
// NewAck(m).MarshalBinary() apart from the new message's id and date.
func AppendAck(b []byte, m *Message) []byte { return AppendAckRef(b, AckRefOf(m)) }

// AckRef is what an acknowledge says about the message it answers. A
// reader notes it (no digest, no id, no date to make) and leaves the
// encoding to its writer goroutine, off the path every frame waits on.
type AckRef struct {
	MessageType    string
	MessageID      UUID
	SequenceNumber int64
}

// AckRefOf returns the AckRef of m.
func AckRefOf(m *Message) AckRef {
	return AckRef{MessageType: m.MessageType, MessageID: m.MessageID, SequenceNumber: m.SequenceNumber}
}

// AppendAckRef appends the acknowledge frame for r to b, as AppendAck.
func AppendAckRef(b []byte, r AckRef) []byte {
	if !plainJSON(r.MessageType) {
		f, _ := NewAck(&Message{MessageType: r.MessageType, MessageID: r.MessageID, SequenceNumber: r.SequenceNumber}).MarshalBinary()
		return append(b, f...)
	}
	start := len(b)
	b = appendHeader(b, TypeAcknowledge, 1, uint64(time.Now().UnixMilli()), 0, FlagsAck, NewUUID(), PayloadNone)
	b = append(b, ackKeyType...)
	b = append(b, r.MessageType...)
	b = append(b, ackKeyID...)
	b = appendUUID(b, r.MessageID)
	b = append(b, ackKeySeq...)
	b = strconv.AppendInt(b, r.SequenceNumber, 10)
	b = append(b, ackKeyLast...)
	b = append(b, "true}"...)
	sealFrame(b[start:])
	return b
}

// plainJSON reports whether s needs no escaping in a JSON string (as
// encoding/json escapes: quotes, backslashes, control bytes, <, >, &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func appendUUID(b []byte, u UUID) []byte {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], u[10:16])
	return append(b, s[:]...)
}

// AckedSequence is the AcknowledgedMessageSequenceNumber of an
// acknowledge message, which is all either peer matches acks by
// (docs/session-protocol.md#json-payloads).
func AckedSequence(m *Message) (int64, error) {
	if seq, ok := canonicalAckSeq(m.Payload); ok {
		return seq, nil
	}
	a, err := ParseAck(m)
	return a.AcknowledgedMessageSequenceNumber, err
}

// canonicalAckSeq reads the sequence number from an ack in exactly the
// form encoding/json writes the Acknowledge struct (what the agent, the
// plugin and this package send); false for any other spelling.
func canonicalAckSeq(p []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(p, []byte(ackKeyType))
	if !ok {
		return 0, false
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 || bytes.IndexByte(rest[:i], '\\') >= 0 {
		return 0, false
	}
	if rest, ok = bytes.CutPrefix(rest[i:], []byte(ackKeyID)); !ok || len(rest) < 36 || bytes.IndexByte(rest[:36], '"') >= 0 {
		return 0, false
	}
	if rest, ok = bytes.CutPrefix(rest[36:], []byte(ackKeySeq)); !ok {
		return 0, false
	}
	j := bytes.IndexByte(rest, ',')
	if j < 1 {
		return 0, false
	}
	seq, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	rest, ok = bytes.CutPrefix(rest[j:], []byte(ackKeyLast))
	if !ok || !(bytes.Equal(rest, []byte("true}")) || bytes.Equal(rest, []byte("false}"))) {
		return 0, false
	}
	return seq, true
}
