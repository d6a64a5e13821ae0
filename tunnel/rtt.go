package tunnel

import "time"

// rttEstimator is the Jacobson estimator both ends of the real protocol
// use (docs/session-protocol.md#rtt-and-rto-estimation), so our
// retransmission timing matches what the agent expects.
type rttEstimator struct {
	rtt, rttvar, rto time.Duration
}

const (
	initialRTT = 100 * time.Millisecond
	initialRTO = 200 * time.Millisecond
	minRTOVar  = 10 * time.Millisecond
	maxRTO     = time.Second
)

func newRTTEstimator() rttEstimator {
	return rttEstimator{rtt: initialRTT, rto: initialRTO}
}

func (r *rttEstimator) sample(s time.Duration) {
	diff := r.rtt - s
	if diff < 0 {
		diff = -diff
	}
	r.rttvar = time.Duration(0.75*float64(r.rttvar) + 0.25*float64(diff))
	r.rtt = time.Duration(0.875*float64(r.rtt) + 0.125*float64(s))
	r.rto = r.rtt + max(minRTOVar, 4*r.rttvar)
	if r.rto > maxRTO {
		r.rto = maxRTO
	}
}
