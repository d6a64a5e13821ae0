package awssim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// refuseHandshakeOutput is what the RefuseHandshake fault shows the user.
// The closest real behaviour: when the agent fails the handshake it never
// sends HandshakeComplete and fails the session; the service then closes
// the channel with channel_closed carrying the reason (the plugin prints
// "SessionId: <id> : <Output>" and exits), and the session is over, so
// ResumeSession returns no token.
const refuseHandshakeOutput = "Handshake refused: the agent did not complete the session handshake"

// startHandshake sends the HandshakeRequest (seq 0, Flags 1) on a fresh
// session. ch.mu held.
func (ch *dcChannel) startHandshake() {
	if ch.isShell() {
		ch.startShellSession()
		return
	}
	ch.sendHandshakeRequest(sessionTypeRequest(ch.sess))
}

// sendHandshakeRequest sends the HandshakeRequest with these SessionType
// action parameters, and KMSEncryption when the session is encrypted, and
// waits for the client's answer. ch.mu held.
func (ch *dcChannel) sendHandshakeRequest(sessionType json.RawMessage) {
	ch.hsStarted = time.Now()
	ch.stage = hsAwaitResponse
	ch.agentVersion = ch.s.sessionAgentVersion(ch.sess, ch.opts.AgentVersion)
	// As the agent builds it: SessionType first, KMSEncryption after it.
	actions := []tunnel.RequestedClientAction{{ActionType: tunnel.ActionSessionType, ActionParameters: sessionType}}
	if ch.kmsKeyID() != "" {
		p, _ := json.Marshal(tunnel.KMSEncryptionRequest{KMSKeyID: ch.kmsKeyID()})
		actions = append(actions, tunnel.RequestedClientAction{ActionType: tunnel.ActionKMSEncryption, ActionParameters: p})
	}
	req, _ := json.Marshal(tunnel.HandshakeRequest{AgentVersion: ch.agentVersion, RequestedClientActions: actions})
	ch.sendStream(tunnel.PayloadHandshakeRequest, req)
	ch.armHandshakeTimer()
}

// armHandshakeTimer gives the client HandshakeTimeout for its next reply,
// as the agent does for each one. ch.mu held.
func (ch *dcChannel) armHandshakeTimer() {
	if ch.hsTimer != nil {
		ch.hsTimer.Stop()
	}
	stage := ch.stage
	ch.hsTimer = time.AfterFunc(ch.opts.HandshakeTimeout, func() {
		ch.mu.Lock()
		late := ch.stage == stage
		ch.mu.Unlock()
		if late {
			ch.fail(fmt.Sprintf("Handshake timed out: no reply from the client within %v", ch.opts.HandshakeTimeout))
		}
	})
}

// handshakeResponse is tunnel.HandshakeResponse with the results kept raw,
// since each action type has its own result shape.
type handshakeResponse struct {
	ClientVersion          string `json:"ClientVersion"`
	ProcessedClientActions []struct {
		ActionType   string          `json:"ActionType"`
		ActionStatus int             `json:"ActionStatus"`
		ActionResult json.RawMessage `json:"ActionResult"`
		Error        string          `json:"Error"`
	} `json:"ProcessedClientActions"`
	Errors []string `json:"Errors"`
}

// onHandshakeResponse checks every requested action and goes on to the
// KMS challenge or to the target. ch.mu held.
func (ch *dcChannel) onHandshakeResponse(m *tunnel.Message) {
	if ch.stage != hsAwaitResponse {
		ch.s.dcWarn(ch.id, "HandshakeResponse seq %d outside the handshake; ignored", m.SequenceNumber)
		return
	}
	var hr handshakeResponse
	if err := json.Unmarshal(m.Payload, &hr); err != nil {
		ch.failHandshake("Handshake failed: malformed HandshakeResponse")
		return
	}
	ch.clientVersion = hr.ClientVersion
	var kmsBlob []byte
	for _, a := range hr.ProcessedClientActions {
		if a.ActionStatus != tunnel.ActionSuccess {
			ch.failHandshake(fmt.Sprintf("Handshake failed: client could not process %s: %s", a.ActionType, a.Error))
			return
		}
		if a.ActionType == tunnel.ActionKMSEncryption {
			var r tunnel.KMSEncryptionResponse
			if err := json.Unmarshal(a.ActionResult, &r); err != nil || len(r.KMSCipherTextKey) == 0 {
				ch.failHandshake("Handshake failed: KMSEncryption result has no KMSCipherTextKey")
				return
			}
			kmsBlob = r.KMSCipherTextKey
		}
	}
	if missing := ch.missingActions(hr); missing != "" {
		ch.failHandshake("Handshake failed: HandshakeResponse does not process " + missing)
		return
	}
	if ch.faults.RefuseHandshake {
		ch.failHandshake(refuseHandshakeOutput)
		return
	}
	if ch.kmsKeyID() != "" {
		if err := ch.startChallenge(kmsBlob); err != nil {
			ch.failHandshake("Handshake failed: " + err.Error())
		}
		return
	}
	ch.stage = hsDialing
	go ch.connectTarget()
}

func (ch *dcChannel) missingActions(hr handshakeResponse) string {
	want := []string{tunnel.ActionSessionType}
	if ch.kmsKeyID() != "" {
		want = append(want, tunnel.ActionKMSEncryption)
	}
	var missing []string
	for _, w := range want {
		found := false
		for _, a := range hr.ProcessedClientActions {
			found = found || a.ActionType == w
		}
		if !found {
			missing = append(missing, w)
		}
	}
	return strings.Join(missing, ", ")
}

// failHandshake ends the session as the agent does when the handshake
// fails: no HandshakeComplete, channel_closed with the reason. ch.mu held.
func (ch *dcChannel) failHandshake(output string) {
	ch.s.logf("data channel %s: %s", ch.id, output)
	ch.stage = hsFailed
	ch.failed = true
	go ch.finish(output)
}

// startChallenge unwraps the data key the client generated and sends the
// EncChallengeRequest. ch.mu held.
func (ch *dcChannel) startChallenge(blob []byte) error {
	key, err := ch.s.kmsDecryptDataKey(ch.kmsKeyID(), blob, map[string]string{
		"aws:ssm:SessionId": ch.id,
		"aws:ssm:TargetId":  ch.sess.Target,
	})
	if err != nil {
		return fmt.Errorf("decrypt the session data key: %w", err)
	}
	if len(key) != 64 {
		return fmt.Errorf("session data key is %d bytes, want 64", len(key))
	}
	// The client decrypts with bytes 0..31 and encrypts with 32..63; the
	// agent uses the mirror image.
	if ch.enc, err = dcAEAD(key[:32]); err != nil {
		return err
	}
	if ch.dec, err = dcAEAD(key[32:]); err != nil {
		return err
	}
	ch.challenge = make([]byte, 64)
	rand.Read(ch.challenge)
	p, _ := json.Marshal(tunnel.EncChallenge{Challenge: dcSeal(ch.enc, ch.challenge)})
	ch.stage = hsAwaitChallenge
	ch.sendStream(tunnel.PayloadEncChallengeRequest, p)
	ch.armHandshakeTimer()
	return nil
}

// onChallengeResponse checks that the client holds the keys. ch.mu held.
func (ch *dcChannel) onChallengeResponse(m *tunnel.Message) {
	if ch.stage != hsAwaitChallenge {
		ch.s.dcWarn(ch.id, "EncChallengeResponse seq %d outside the handshake; ignored", m.SequenceNumber)
		return
	}
	var r tunnel.EncChallenge
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		ch.failHandshake("Handshake failed: malformed EncChallengeResponse")
		return
	}
	got, err := dcOpen(ch.dec, r.Challenge)
	if err != nil || subtle.ConstantTimeCompare(got, ch.challenge) != 1 {
		ch.failHandshake("Handshake failed: encryption challenge response does not match")
		return
	}
	ch.stage = hsDialing
	go ch.connectTarget()
}

// connectTarget dials the instance's port, then sends HandshakeComplete
// and starts forwarding.
func (ch *dcChannel) connectTarget() {
	if ch.isShell() {
		ch.connectShell()
		return
	}
	ch.mu.Lock()
	ch.mode = ch.portMode()
	mux := ch.mode == tunnel.ForwardMux
	ch.mu.Unlock()
	var addr string
	var err error
	var c net.Conn
	if !mux {
		// Without multiplexing the agent dials at the session's start; a
		// multiplexed session dials for each stream.
		addr, err = ch.s.sessionTargetAddr(ch.sess)
	}
	if err == nil && !mux {
		c, err = net.DialTimeout("tcp", addr, 10*time.Second)
	}
	if err != nil {
		ch.s.logf("data channel %s: connect to the target: %v", ch.id, err)
		dest := "port " + ch.sess.Port + " on " + ch.sess.Target
		if ch.sess.Host != "" {
			dest = net.JoinHostPort(ch.sess.Host, ch.sess.Port) + " from " + ch.sess.Target
		}
		ch.fail("Unable to start port forwarding: cannot connect to " + dest)
		return
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.ended {
		c.Close()
		return
	}
	if ch.hsTimer != nil {
		ch.hsTimer.Stop()
	}
	ch.stage = hsDone
	msg := ""
	if ch.enc != nil {
		msg = "This session is encrypted using AWS KMS."
	}
	p, _ := json.Marshal(tunnel.HandshakeComplete{
		HandshakeTimeToComplete: time.Since(ch.hsStarted).Nanoseconds(),
		CustomerMessage:         msg,
	})
	ch.sendStream(tunnel.PayloadHandshakeComplete, p)
	if mux {
		c = ch.startMux()
	}
	ch.tcp = ch.startTCP(c, addr)
}

// kmsKeyID is the key this session is encrypted with, "" for none: the
// preferences' key for shell sessions; Port sessions (SSH, port
// forwarding) only when DCOptions.EncryptPortSessions says so, as the
// agent does not encrypt them (docs/session-protocol.md#shell-sessions).
func (ch *dcChannel) kmsKeyID() string {
	if ch.isShell() || ch.opts.EncryptPortSessions {
		return ch.sess.KMSKeyID
	}
	return ""
}
