package tunnel

import (
	"context"
	"encoding/json"
	"fmt"
)

// handle dispatches one valid inbound frame; true means the session is
// over and the reader should stop.
func (s *Session) handle(ctx context.Context, m *Message, q *outputQueue) bool {
	switch m.MessageType {
	case TypeAcknowledge:
		seq, err := AckedSequence(m)
		if err != nil {
			s.opts.Logf("dropped an acknowledge: %v", err)
			return false
		}
		s.out.ack(seq)
	case TypePausePublication:
		s.opts.Logf("service paused the session; holding input")
		s.out.setPaused(true)
	case TypeStartPublication:
		s.out.setPaused(false)
	case TypeChannelClosed:
		s.closedByService.Store(true)
		var err error
		if cc, perr := parseChannelClosed(m.Payload); perr == nil && cc.Output != "" {
			err = &ClosedError{SessionID: s.id, Output: cc.Output}
		}
		q.end(err)
		return true
	case TypeOutputStreamData:
		return s.receive(ctx, m, q)
	}
	return false
}

func isHandshake(pt PayloadType) bool {
	return pt == PayloadHandshakeRequest || pt == PayloadHandshakeComplete || pt == PayloadEncChallengeRequest
}

// receive applies the receiver rules (docs/session-protocol.md#receiving).
// Duplicates are acknowledged again: the agent only stops resending what
// it sees acked.
func (s *Session) receive(ctx context.Context, m *Message, q *outputQueue) bool {
	in := s.in
	switch {
	case m.SequenceNumber < in.expected:
		s.stats.duplicates.Add(1)
		s.sq.queueAck(m)
		return false
	case m.SequenceNumber > in.expected:
		if in.hold(m) {
			s.sq.queueAck(m)
		}
		return false
	}
	// Handshake messages are acknowledged before the (possibly slow, KMS)
	// processing so the agent does not resend them meanwhile.
	if isHandshake(m.PayloadType) {
		s.sq.pushAck(m)
	}
	if s.process(ctx, m, q) {
		return true
	}
	if !isHandshake(m.PayloadType) {
		s.sq.queueAck(m)
	}
	in.expected++
	for n := in.next(); n != nil; n = in.next() {
		if s.process(ctx, n, q) {
			return true
		}
		in.expected++
	}
	return false
}

// process acts on an in-order stream message; true ends the session.
func (s *Session) process(ctx context.Context, m *Message, q *outputQueue) bool {
	fail := func(err error) bool {
		q.end(err)
		return true
	}
	switch m.PayloadType {
	case PayloadHandshakeRequest:
		if err := s.answerHandshake(ctx, m.Payload); err != nil {
			return fail(err)
		}
	case PayloadEncChallengeRequest:
		if err := s.answerChallenge(ctx, m.Payload); err != nil {
			return fail(err)
		}
	case PayloadHandshakeComplete:
		var hc HandshakeComplete
		_ = json.Unmarshal(m.Payload, &hc)
		if !s.sessionTypeOK {
			return fail(fmt.Errorf("session %s: handshake completed without a session type", s.id))
		}
		if hc.CustomerMessage != "" {
			s.opts.Logf("%s", hc.CustomerMessage)
		}
		s.readyOnce.Do(func() { close(s.ready) })
	case PayloadOutput:
		p := m.Payload
		if k := s.cipher.Load(); k != nil {
			var err error
			if p, err = k.open(p); err != nil {
				return fail(fmt.Errorf("session %s: message %d: %w", s.id, m.SequenceNumber, err))
			}
		}
		s.shellOutputBeforeReady()
		if len(p) > 0 && !q.put(ctx, p) {
			return true
		}
	case PayloadStdErr, PayloadExitCode:
		p := m.Payload
		if k := s.cipher.Load(); k != nil {
			p, _ = k.open(p)
		}
		if !s.shellPayload(m.PayloadType, p) {
			s.opts.Logf("agent payload type %d: %s", m.PayloadType, p)
		}
	case PayloadFlag:
		// Never written to stdout: it would corrupt the SSH stream
		// (docs/session-protocol.md#flag-messages).
		f, err := ParseFlag(m.Payload)
		if err == nil && s.onFlag != nil {
			s.onFlag(f)
			return false
		}
		if err == nil && f == FlagConnectToPortError {
			return fail(fmt.Errorf("session %s: the agent could not connect to port %d on %s", s.id, s.opts.Port, s.opts.Target))
		}
	}
	return false
}

// answerHandshake replies to a HandshakeRequest: one processed action per
// requested action, in order (docs/session-protocol.md#json-payloads).
func (s *Session) answerHandshake(ctx context.Context, payload []byte) error {
	hr, err := parseHandshakeRequest(payload)
	if err != nil {
		return fmt.Errorf("session %s: %w", s.id, err)
	}
	s.agentVersion = hr.AgentVersion
	resp := HandshakeResponse{ClientVersion: s.opts.ClientVersion}
	var fatal error
	for _, a := range hr.RequestedClientActions {
		pa := ProcessedClientAction{ActionType: a.ActionType}
		switch a.ActionType {
		case ActionSessionType:
			var st SessionTypeRequest
			_ = json.Unmarshal(a.ActionParameters, &st)
			if refusal := s.checkSessionType(st.SessionType); refusal != "" {
				pa.ActionStatus = ActionFailed
				pa.Error = refusal
				fatal = fmt.Errorf("session %s: handshake: %s", s.id, pa.Error)
			} else {
				pa.ActionStatus = ActionSuccess
				s.sessionTypeOK = true
				s.sessionType, s.sessionProps = st.SessionType, append([]byte(nil), st.Properties...)
			}
		case ActionKMSEncryption:
			res, err := s.setupKMS(ctx, a.ActionParameters)
			if err != nil {
				pa.ActionStatus = ActionFailed
				pa.Error = err.Error()
				fatal = fmt.Errorf("session %s: handshake: %w", s.id, err)
			} else {
				pa.ActionStatus = ActionSuccess
				pa.ActionResult = res
			}
		default:
			// The plugin's exact answer: the Unsupported constant goes
			// into ActionResult and ActionStatus stays 0.
			pa.ActionResult = ActionUnsupported
			pa.Error = "Unsupported action " + a.ActionType
			resp.Errors = append(resp.Errors, pa.Error)
		}
		resp.ProcessedClientActions = append(resp.ProcessedClientActions, pa)
	}
	body, _ := json.Marshal(resp)
	frame, err := s.out.add(ctx, false, PayloadHandshakeResponse, body)
	if err != nil {
		return err
	}
	s.sendNow(ctx, frame)
	return fatal
}

func (s *Session) setupKMS(ctx context.Context, params json.RawMessage) (*KMSEncryptionResponse, error) {
	var req KMSEncryptionRequest
	if err := json.Unmarshal(params, &req); err != nil || req.KMSKeyID == "" {
		return nil, fmt.Errorf("KMS encryption: the request names no key")
	}
	if s.opts.KMS == nil {
		return nil, fmt.Errorf("KMS encryption with key %s is required but this client has no KMS access", req.KMSKeyID)
	}
	plain, ciphertext, err := s.opts.KMS.GenerateDataKey(ctx, req.KMSKeyID, map[string]string{
		"aws:ssm:SessionId": s.id,
		"aws:ssm:TargetId":  s.opts.Target,
	})
	if err != nil {
		return nil, fmt.Errorf("KMS generate data key with %s: %w", req.KMSKeyID, err)
	}
	k, err := newKMSCipher(plain)
	clear(plain)
	if err != nil {
		return nil, err
	}
	s.cipher.Store(k)
	return &KMSEncryptionResponse{KMSCipherTextKey: ciphertext}, nil
}

// answerChallenge proves we hold the data key: decrypt with our decrypt
// key, encrypt again with our encrypt key
// (docs/session-protocol.md#kms-encryption).
func (s *Session) answerChallenge(ctx context.Context, payload []byte) error {
	k := s.cipher.Load()
	if k == nil {
		return fmt.Errorf("session %s: encryption challenge before any key exchange", s.id)
	}
	var ch EncChallenge
	if err := json.Unmarshal(payload, &ch); err != nil {
		return fmt.Errorf("session %s: decode encryption challenge: %w", s.id, err)
	}
	plain, err := k.open(ch.Challenge)
	if err != nil {
		return fmt.Errorf("session %s: encryption challenge: %w", s.id, err)
	}
	body, _ := json.Marshal(EncChallenge{Challenge: k.seal(plain)})
	frame, err := s.out.add(ctx, false, PayloadEncChallengeResponse, body)
	if err != nil {
		return err
	}
	s.sendNow(ctx, frame)
	return nil
}
