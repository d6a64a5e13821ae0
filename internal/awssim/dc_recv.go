package awssim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// handleFrame processes one binary frame from the client.
func (ch *dcChannel) handleFrame(conn *dcConn, data []byte) {
	// One Message per socket, reused for every frame: what outlives the
	// frame (an early message) is copied.
	m := &conn.rmsg
	err := tunnel.DecodeMessage(data, m)
	if err != nil && !errors.Is(err, tunnel.ErrPayloadLength) {
		ch.s.dcWarn(ch.id, "undecodable frame dropped: %v", err)
		return
	}
	// A PayloadLength mismatch still decodes every field: warn about all
	// that is wrong with the frame, then drop it.
	ch.checkFrame(data, m)
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		// As the real receivers: a frame that fails validation is dropped
		// without an ack, so the sender must resend it.
		ch.s.dcWarn(ch.id, "%s seq %d dropped: %v", m.MessageType, m.SequenceNumber, err)
		return
	}
	switch m.MessageType {
	case tunnel.TypeAcknowledge:
		ch.onAck(m)
	case tunnel.TypeInputStreamData:
		ch.onInput(conn, m)
	default:
		ch.s.dcWarn(ch.id, "unexpected message type %q from the client", m.MessageType)
	}
}

// checkFrame raises the conformance warnings that decoding hides
// (docs/session-protocol.md#conformance-warnings).
func (ch *dcChannel) checkFrame(data []byte, m *tunnel.Message) {
	if m.HeaderLength != tunnel.HeaderLengthValue {
		ch.s.dcWarn(ch.id, "%s seq %d: HeaderLength %d, want %d", m.MessageType, m.SequenceNumber, m.HeaderLength, tunnel.HeaderLengthValue)
	}
	typeField := data[4:36]
	if pad := typeField[len(m.MessageType):]; len(bytes.Trim(pad, " ")) != 0 || bytes.IndexByte(typeField, 0) >= 0 {
		ch.s.dcWarn(ch.id, "%s seq %d: MessageType not padded with spaces", m.MessageType, m.SequenceNumber)
	}
	if got, want := binary.BigEndian.Uint32(data[116:120]), len(data)-tunnel.HeaderSize; int(got) != want {
		ch.s.dcWarn(ch.id, "%s seq %d: PayloadLength %d but %d payload bytes", m.MessageType, m.SequenceNumber, got, want)
	}
	if len(m.Payload) == 0 {
		ch.s.dcWarn(ch.id, "%s seq %d: empty payload (the plugin never sends one)", m.MessageType, m.SequenceNumber)
	}
}

// onInput applies the receiver rules (docs/session-protocol.md#receiving),
// re-acking duplicates.
func (ch *dcChannel) onInput(conn *dcConn, m *tunnel.Message) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	seq := m.SequenceNumber
	if conn.seenInput && seq > conn.maxInSeq+1 {
		ch.s.dcWarn(ch.id, "input_stream_data seq %d after %d: sequence numbers skipped", seq, conn.maxInSeq)
	}
	if !conn.seenInput || seq > conn.maxInSeq {
		conn.maxInSeq = seq
	}
	conn.seenInput = true

	switch {
	case seq < ch.inExpected:
		ch.ack(conn, m)
	case seq > ch.inExpected:
		if _, ok := ch.inBuf[seq]; !ok {
			if len(ch.inBuf) >= ch.opts.MaxInboundBuffer {
				return // full: no ack, the client resends later
			}
			// The reader reuses its frame buffer: keep a copy.
			c := *m
			c.Payload = append([]byte(nil), m.Payload...)
			ch.inBuf[seq] = &c
		}
		ch.ack(conn, m)
	default:
		handshake := m.PayloadType == tunnel.PayloadHandshakeResponse || m.PayloadType == tunnel.PayloadEncChallengeResponse
		if handshake {
			ch.ack(conn, m)
		}
		if !ch.process(m, false) {
			ch.refused++
			return // not accepted: no ack and no advance, so it comes again
		}
		if !handshake {
			ch.ack(conn, m)
		}
		ch.inExpected++
		for {
			b, ok := ch.inBuf[ch.inExpected]
			if !ok {
				break
			}
			delete(ch.inBuf, ch.inExpected)
			ch.process(b, true)
			ch.inExpected++
		}
		if ch.tcp != nil {
			conn.tcp.Store(ch.tcp) // woken with the writer (readerDry)
		}
	}
}

// ack answers m on the socket it came from: queued on the reader's
// goroutine, sent when the reader has handled what it read (readerDry).
// ch.mu held.
func (ch *dcChannel) ack(conn *dcConn, m *tunnel.Message) {
	if d := ch.faults.DelayAcks; d > 0 {
		frame := tunnel.AppendAck(nil, m)
		time.AfterFunc(d, func() {
			if conn.ctx.Err() == nil {
				conn.push(dcItem{frame: frame})
			}
		})
		return
	}
	conn.putAck(m)
}

// process acts on an in-order client message. force (a message already
// acked from the buffer) means it must be taken even when the TCP queue is
// full. It reports whether the message was accepted. ch.mu held.
func (ch *dcChannel) process(m *tunnel.Message, force bool) bool {
	switch m.PayloadType {
	case tunnel.PayloadHandshakeResponse:
		ch.onHandshakeResponse(m)
	case tunnel.PayloadEncChallengeResponse:
		ch.onChallengeResponse(m)
	case tunnel.PayloadOutput:
		if ch.isShell() {
			return ch.shellInput(m, force)
		}
		if ch.stage != hsDone {
			// The agent acks and drops data that precedes HandshakeComplete.
			ch.s.dcWarn(ch.id, "input_stream_data seq %d: data before HandshakeComplete dropped", m.SequenceNumber)
			return true
		}
		payload := m.Payload
		if ch.dec != nil {
			p, err := dcOpen(ch.dec, payload)
			if err != nil {
				ch.s.dcWarn(ch.id, "input_stream_data seq %d: decrypt: %v; dropped", m.SequenceNumber, err)
				return true
			}
			payload = p
		}
		return ch.writeTCP(payload, force) // copies: payload is the reader's buffer
	case tunnel.PayloadFlag:
		flag, err := tunnel.ParseFlag(m.Payload)
		if err != nil {
			ch.s.dcWarn(ch.id, "input_stream_data seq %d: %v", m.SequenceNumber, err)
			return true
		}
		switch flag {
		case tunnel.FlagDisconnectToPort:
			// A multiplexing agent has no one connection to close.
			if ch.tcp != nil && ch.mode != tunnel.ForwardMux {
				ch.tcp.disconnect()
				ch.tcp = nil
			}
		case tunnel.FlagTerminateSession:
			go ch.finish("")
		}
	case tunnel.PayloadSize:
		// Shell sessions only; a port session has no terminal to size.
		return ch.shellResize(m)
	default:
		ch.s.dcWarn(ch.id, "input_stream_data seq %d: unexpected PayloadType %d", m.SequenceNumber, m.PayloadType)
	}
	return true
}
