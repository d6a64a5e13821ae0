package tunnel

import "sync/atomic"

type sessionStats struct {
	sent, resent, received, duplicates, reconnects atomic.Int64
}

// Stats counts a session's traffic in messages; it tells a slow transfer
// caused by retransmissions from one limited by the peer.
type Stats struct {
	Sent       int64 // stream messages sent once
	Resent     int64 // retransmissions (RTO expiry or reconnect)
	Received   int64 // payloads delivered to stdout
	Duplicates int64 // inbound messages seen again (re-acknowledged)
	Reconnects int64 // successful ResumeSession reconnects
}

func (s *Session) Stats() Stats {
	return Stats{
		Sent:       s.stats.sent.Load(),
		Resent:     s.stats.resent.Load(),
		Received:   s.stats.received.Load(),
		Duplicates: s.stats.duplicates.Load(),
		Reconnects: s.stats.reconnects.Load(),
	}
}
