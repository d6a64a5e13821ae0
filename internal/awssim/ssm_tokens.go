package awssim

import (
	"runtime"
	"sync"
	"weak"
)

// A test proving that no data channel token leaks needs every token the
// service handed out. A session only keeps its unused tokens (opening the
// websocket consumes one, ending the session drops the rest), so the two
// calls that mint tokens are wrapped, in routes.go's table, to remember
// what they returned.
//
// The record lives beside the Sim rather than in it so that the SSM
// runtime's files stay untouched; it is keyed weakly and dropped when the
// Sim is collected.

// maxIssuedTokens bounds the record of a long-running simulator
// (ssmdoctor sim); the oldest tokens go first.
const maxIssuedTokens = 10000

type issuedTokenLog struct {
	tokens []string // guarded by the Sim's mu, like the sessions
}

var issuedLogs struct {
	mu    sync.Mutex
	bySim map[weak.Pointer[Sim]]*issuedTokenLog
}

func issuedLogFor(s *Sim) *issuedTokenLog {
	key := weak.Make(s)
	issuedLogs.mu.Lock()
	defer issuedLogs.mu.Unlock()
	if issuedLogs.bySim == nil {
		issuedLogs.bySim = map[weak.Pointer[Sim]]*issuedTokenLog{}
	}
	log := issuedLogs.bySim[key]
	if log == nil {
		log = &issuedTokenLog{}
		issuedLogs.bySim[key] = log
		runtime.AddCleanup(s, func(k weak.Pointer[Sim]) {
			issuedLogs.mu.Lock()
			delete(issuedLogs.bySim, k)
			issuedLogs.mu.Unlock()
		}, key)
	}
	return log
}

func (s *Sim) rememberTokens(log *issuedTokenLog, h opHandler) opHandler {
	return func(c *Call) (any, error) {
		res, err := h(c)
		if m, ok := res.(map[string]string); ok && err == nil && m["TokenValue"] != "" {
			s.mu.Lock()
			if len(log.tokens) >= maxIssuedTokens {
				log.tokens = append(log.tokens[:0], log.tokens[1:]...)
			}
			log.tokens = append(log.tokens, m["TokenValue"])
			s.mu.Unlock()
		}
		return res, err
	}
}

// IssuedSessionTokens returns every data channel token StartSession and
// ResumeSession have returned so far, oldest first (at most the last
// 10,000). Tests grep outputs and logs for them: they are secrets.
func (s *Sim) IssuedSessionTokens() []string {
	issuedLogs.mu.Lock()
	log := issuedLogs.bySim[weak.Make(s)]
	issuedLogs.mu.Unlock()
	if log == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), log.tokens...)
}
