package tunnel

import (
	"bytes"
	"testing"
)

// FuzzDecode: the decoder must never panic, and whatever it accepts must
// re-encode to a frame that decodes to the same fields.
func FuzzDecode(f *testing.F) {
	t := &testing.T{}
	for _, v := range []vecFrame{ackVector(), handshakeVector(), channelClosedVector()} {
		f.Add(v.bytes(t))
	}
	f.Add(make([]byte, 120))
	f.Add([]byte{0, 0, 0, 116})
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := UnmarshalMessage(raw)
		if err != nil {
			return
		}
		_ = m.Validate()
		if len(m.MessageType) > 32 {
			t.Fatalf("decoded type longer than the field: %q", m.MessageType)
		}
		enc, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := UnmarshalMessage(enc)
		if err != nil {
			t.Fatalf("decode of re-encoded frame: %v", err)
		}
		if m2.SequenceNumber != m.SequenceNumber || m2.Flags != m.Flags || m2.PayloadType != m.PayloadType ||
			m2.MessageID != m.MessageID || !bytes.Equal(m2.Payload, m.Payload) || m2.CreatedDate.UnixMilli() != m.CreatedDate.UnixMilli() {
			t.Fatalf("fields changed across re-encode")
		}
		if len(m2.Payload) > 0 {
			if err := m2.Validate(); err != nil && m2.MessageType != "" && !m2.CreatedDate.IsZero() {
				t.Fatalf("re-encoded frame fails validation: %v", err)
			}
		}
	})
}
