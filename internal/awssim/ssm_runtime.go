package awssim

import (
	"fmt"
	"sync"
	"time"
)

// ssmRuntime holds Session Manager sessions, which live outside the
// scenario. Guarded by Sim.mu.
type ssmRuntime struct {
	sessions map[string]*simSession
	faults   SessionFaults
	// settingChanges: region+setting id -> last UpdateServiceSetting.
	settingChanges map[string]settingChange
}

// SessionFaults make StartSession fail on purpose (tests of error paths).
// Data channel faults belong to the data channel's own knobs.
type SessionFaults struct {
	// FailStartSession, when set, is the error code every StartSession
	// answers with after authorization, e.g. "TargetNotConnected".
	FailStartSession string
}

// SetSessionFaults replaces the StartSession faults.
func (s *Sim) SetSessionFaults(f SessionFaults) {
	s.mu.Lock()
	s.ext.ssm.faults = f
	s.mu.Unlock()
}

// simSession is one Session Manager session as the service knows it.
//
// Contract with the data channel (dc_*.go):
//   - ID, Region, Target, DocumentName, Port, Host, Owner, KMSKeyID, Started,
//     Reason and
//     terminate never change after StartSession; read them freely.
//   - Tokens, Terminated, Failed, Ended and ClientID change; read or write them only
//     with s.mu held. The data channel sets ClientID on the first open and
//     compares it on reconnects.
//   - terminate is closed exactly once, by TerminateSession (not by
//     endSession): select on Done() to send channel_closed and drop TCP.
type simSession struct {
	ID, Target, DocumentName string
	Region                   string
	// Port is the portNumber parameter (the document's default when the
	// caller gave none); empty for shell sessions.
	Port string
	// Host is the host parameter of AWS-StartPortForwardingSessionToRemoteHost.
	Host string
	// Params are the document's parameters, defaults filled in: the
	// handshake's properties are the document's with these substituted.
	Params map[string]string
	// Owner is the caller's ARN.
	Owner      string
	ClientID   string
	Tokens     map[string]bool // valid, unused data channel tokens
	Terminated bool
	// Failed: the session ended without carrying a stream (the handshake
	// failed or timed out, the target's port refused): History says
	// Failed instead of Terminated.
	Failed  bool
	Started time.Time
	Ended   time.Time
	// KMSKeyID is the session preferences' key when set: the data channel
	// then asks for KMSEncryption and plays the agent with kmsDecryptDataKey.
	KMSKeyID string
	Reason   string

	terminate chan struct{}
	once      sync.Once
}

// Done is closed when the session is terminated through the API.
func (ss *simSession) Done() <-chan struct{} { return ss.terminate }

func (ss *simSession) closeTerminate() { ss.once.Do(func() { close(ss.terminate) }) }

// lookupSessionToken consumes a data channel token of a live session: each
// token opens the websocket once, as the service's are single use.
func (s *Sim) lookupSessionToken(sessionID, token string) (*simSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.ext.ssm.sessions[sessionID]
	if !ok || ss.Terminated || token == "" || !ss.Tokens[token] {
		return nil, false
	}
	delete(ss.Tokens, token)
	return ss, true
}

// sessionTargetAddr is the real TCP address behind the session's target and
// port (Instance.Ports; for a remote host, the key "host:port" first).
func (s *Sim) sessionTargetAddr(ss *simSession) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, ok := s.state.Instances[ss.Target]
	if !ok {
		return "", fmt.Errorf("session %s: target %s does not exist", ss.ID, ss.Target)
	}
	if ss.Host != "" && !isInstanceItself(ss.Host) {
		return s.remoteHostAddrLocked(inst, ss.Host, ss.Port)
	}
	if addr, ok := inst.Ports[ss.Port]; ok {
		return addr, nil
	}
	return "", fmt.Errorf("session %s: no TCP address for %s port %q (Instance.Ports)", ss.ID, ss.Target, ss.Port)
}

// endSession moves a session to history when its stream ends on its own
// (TCP EOF, idle timeout, a failed handshake); it is idempotent: the first
// end, by TerminateSession or here, decides the status.
func (s *Sim) endSession(id string, failed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.ext.ssm.sessions[id]; ok && !ss.Terminated {
		ss.Terminated = true
		ss.Failed = failed
		ss.Ended = s.now()
		ss.Tokens = map[string]bool{}
	}
}
