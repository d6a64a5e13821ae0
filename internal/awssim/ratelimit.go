package awssim

import (
	"sync"
	"time"
)

// rateLimits throttles by rate, as AWS does: every API operation has its own
// token bucket per account, refilled at a steady rate up to a burst size.
// Throttle (sim.go) only fails "the next n calls", which cannot show whether
// a client that backs off actually gets through.
//
// Real time drives the buckets, not Options.Now: scenario clocks are often
// frozen or jumped, and a frozen clock would never refill a bucket. Tests in
// this package may set clock.
type rateLimits struct {
	mu    sync.Mutex
	clock func() time.Time
	// limits: "service.Operation" or "*" -> the limit set by RateLimit.
	limits map[string]rateLimit
	// buckets: "service.Operation" -> its bucket; "*" lends its limit to
	// every operation that has none of its own, each in a bucket of its own.
	buckets   map[string]*rateBucket
	throttled map[string]int
}

type rateLimit struct {
	perSecond float64
	burst     int
}

type rateBucket struct {
	limit  rateLimit
	tokens float64
	last   time.Time
}

// RateLimit throttles op ("ssm.DescribeInstanceInformation", or "*" for
// every operation, each with a bucket of its own) to perSecond calls a
// second after an initial burst: a bucket holds at most burst calls, starts
// full and refills at perSecond. A call finding it empty fails with the
// service's throttling error (ThrottlingException, RequestLimitExceeded or
// Throttling) and does not consume a token. perSecond 0 never refills; burst
// below 1 removes the limit. A limit named for an operation wins over "*".
// Setting a limit refills the buckets it governs.
func (s *Sim) RateLimit(op string, perSecond float64, burst int) {
	r := &s.rate
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.limits == nil {
		r.limits = map[string]rateLimit{}
		r.buckets = map[string]*rateBucket{}
		r.throttled = map[string]int{}
	}
	if burst < 1 {
		delete(r.limits, op)
	} else {
		r.limits[op] = rateLimit{perSecond: max(perSecond, 0), burst: burst}
	}
	for k := range r.buckets {
		if _, named := r.limits[k]; k == op || op == "*" && !named {
			delete(r.buckets, k)
		}
	}
}

// Throttled returns how many calls of op the rate limits have refused;
// "*" sums every operation. Calls failed by Throttle are not counted.
func (s *Sim) Throttled(op string) int {
	r := &s.rate
	r.mu.Lock()
	defer r.mu.Unlock()
	if op != "*" {
		return r.throttled[op]
	}
	n := 0
	for _, v := range r.throttled {
		n += v
	}
	return n
}

// rateLimited takes a token for a call of op ("service.Operation") and
// reports whether the call must be throttled instead.
func (s *Sim) rateLimited(op string) bool {
	r := &s.rate
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.limits) == 0 {
		return false
	}
	lim, ok := r.limits[op]
	if !ok {
		if lim, ok = r.limits["*"]; !ok {
			return false
		}
	}
	now := time.Now()
	if r.clock != nil {
		now = r.clock()
	}
	b := r.buckets[op]
	if b == nil || b.limit != lim {
		b = &rateBucket{limit: lim, tokens: float64(lim.burst), last: now}
		r.buckets[op] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(float64(lim.burst), b.tokens+elapsed.Seconds()*lim.perSecond)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return false
	}
	r.throttled[op]++
	return true
}
