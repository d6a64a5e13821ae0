package tunnel

// inbox restores the agent's order. Messages ahead of the expected one
// wait in a bounded buffer; when it is full they are dropped unacked and
// the agent's resend timer brings them back.
type inbox struct {
	expected int64
	held     map[int64]*Message
	bytes    int
	maxMsgs  int
	maxBytes int
}

func newInbox(maxMsgs int) *inbox {
	return &inbox{held: make(map[int64]*Message), maxMsgs: maxMsgs, maxBytes: maxMsgs * 4096}
}

// hold keeps a copy of an early message; false means no room (do not
// ack it).
func (in *inbox) hold(m *Message) bool {
	if _, dup := in.held[m.SequenceNumber]; dup {
		return true
	}
	if len(in.held) >= in.maxMsgs || in.bytes+len(m.Payload) > in.maxBytes {
		return false
	}
	// The reader reuses its frame buffer; a held message keeps a copy.
	c := *m
	c.Payload = append([]byte(nil), m.Payload...)
	in.held[m.SequenceNumber] = &c
	in.bytes += len(m.Payload)
	return true
}

// next pops the held message that is now expected, if any.
func (in *inbox) next() *Message {
	m, ok := in.held[in.expected]
	if !ok {
		return nil
	}
	delete(in.held, in.expected)
	in.bytes -= len(m.Payload)
	return m
}
