package tunnel

import (
	"bytes"
	"testing"
)

// The hand-built ack must be the bytes encoding/json would give, and the
// hand-read one must agree with encoding/json or defer to it.
func TestAckFastPaths(t *testing.T) {
	for _, typ := range []string{TypeOutputStreamData, TypeInputStreamData, `odd"type<`} {
		m := NewMessage(typ, 1234567, FlagsNone, PayloadOutput, []byte("x"))
		fast, err := UnmarshalMessage(AppendAck([]byte("prefix"), m)[len("prefix"):])
		if err != nil || fast.Validate() != nil {
			t.Fatalf("%s: decode hand-built ack: %v", typ, err)
		}
		slow := NewAck(m)
		if !bytes.Equal(fast.Payload, slow.Payload) || fast.MessageType != TypeAcknowledge || fast.Flags != FlagsAck ||
			fast.SequenceNumber != 0 || fast.PayloadType != PayloadNone || fast.SchemaVersion != 1 || fast.CreatedDate.IsZero() {
			t.Fatalf("%s: hand-built ack\n%+v\nwant payload %s", typ, fast, slow.Payload)
		}
		if seq, err := AckedSequence(fast); err != nil || seq != 1234567 {
			t.Fatalf("%s: AckedSequence = %d, %v", typ, seq, err)
		}
	}
	for _, c := range []struct {
		payload string
		seq     int64
		ok      bool
	}{
		// Another field order or spacing: not canonical, decoded by
		// encoding/json all the same.
		{`{"AcknowledgedMessageSequenceNumber":7,"AcknowledgedMessageType":"output_stream_data"}`, 7, true},
		{`{ "AcknowledgedMessageType":"a","AcknowledgedMessageId":"x","AcknowledgedMessageSequenceNumber": 9 }`, 9, true},
		{`{"AcknowledgedMessageType":"a","AcknowledgedMessageId":"0123456789abcdef0123456789abcdef0123","AcknowledgedMessageSequenceNumber":-1,"IsSequentialMessage":false}`, -1, true},
		{`{"AcknowledgedMessageType":"a","AcknowledgedMessageId":"0123456789abcdef0123456789abcdef0123","AcknowledgedMessageSequenceNumber":12x,"IsSequentialMessage":true}`, 0, false},
		{`not json`, 0, false},
	} {
		seq, err := AckedSequence(&Message{Payload: []byte(c.payload)})
		if (err == nil) != c.ok || seq != c.seq {
			t.Fatalf("%s: got %d, %v", c.payload, seq, err)
		}
	}
}

// AppendFrame and Message.AppendBinary write the same header.
func TestAppendFrameMatchesMessage(t *testing.T) {
	f := AppendFrame(nil, TypeInputStreamData, 42, FlagsSYN, PayloadOutput, []byte("hello"))
	m, err := UnmarshalMessage(f)
	if err != nil || m.Validate() != nil {
		t.Fatalf("decode: %v", err)
	}
	again, _ := m.MarshalBinary()
	if !bytes.Equal(f, again) {
		t.Fatalf("AppendFrame\n%x\nMarshalBinary\n%x", f, again)
	}
}
