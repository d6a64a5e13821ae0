package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/coder/websocket"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// TestHandshakeMatchesFixtures: the simulator's HandshakeRequest for each
// kind of Port session is byte-identical to the hand-written fixture
// (tunnel/testdata/handshake/README.md), compacted.
func TestHandshakeMatchesFixtures(t *testing.T) {
	for _, tc := range []struct {
		file, doc, agent string
		params           map[string][]string
		kms              bool // the preferences name a key
		encrypt          bool // and Port sessions are encrypted with it (not the agent's way)
	}{
		{"ssh.json", "AWS-StartSSHSession", "3.3.1142.0", map[string][]string{"portNumber": {"22"}}, false, false},
		{"port-forwarding.json", "AWS-StartPortForwardingSession", "3.3.1142.0", map[string][]string{"portNumber": {"5432"}}, false, false},
		{"remote-host.json", "AWS-StartPortForwardingSessionToRemoteHost", "3.3.1142.0",
			map[string][]string{"host": {"db.internal"}, "portNumber": {"5432"}, "localPortNumber": {"15432"}}, false, false},
		{"remote-host-kms.json", "AWS-StartPortForwardingSessionToRemoteHost", "3.3.1142.0",
			map[string][]string{"host": {"db.internal"}, "portNumber": {"5432"}, "localPortNumber": {"15432"}}, true, true},
		// As the agent: a key in the preferences does not change a Port
		// session's handshake.
		{"remote-host.json", "AWS-StartPortForwardingSessionToRemoteHost", "3.3.1142.0",
			map[string][]string{"host": {"db.internal"}, "portNumber": {"5432"}, "localPortNumber": {"15432"}}, true, false},
		{"ssh.json", "AWS-StartSSHSession", "3.3.1142.0", map[string][]string{"portNumber": {"22"}}, true, false},
		{"port-forwarding-old-agent.json", "AWS-StartPortForwardingSession", "3.0.196.0", nil, false, false},
	} {
		t.Run(fmt.Sprintf("%s kms=%v", tc.file, tc.kms), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "tunnel", "testdata", "handshake", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, raw); err != nil {
				t.Fatal(err)
			}
			s := startDCSim(t)
			s.SetDataChannelOptions(DCOptions{PerMessageDelay: time.Millisecond, EncryptPortSessions: tc.encrypt})
			s.WithState(func(st *State) {
				st.Instances[idHealthy].Agent.Version = tc.agent
				if tc.kms {
					st.SessionPreferences.KMSKeyID = "1234abcd-12ab-34cd-56ef-1234567890ab"
				}
			})
			api := ssmAs(s, "ops")
			out, err := api.StartSession(context.Background(), &ssm.StartSessionInput{
				Target: aws.String(idHealthy), DocumentName: aws.String(tc.doc), Parameters: tc.params,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, aws.ToString(out.StreamUrl), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			open, _ := json.Marshal(tunnel.OpenDataChannel{MessageSchemaVersion: "1.0", RequestID: tunnel.NewUUID().String(),
				TokenValue: aws.ToString(out.TokenValue), ClientID: tunnel.NewUUID().String(), ClientVersion: "1.2.0.0"})
			if err := ws.Write(ctx, websocket.MessageText, open); err != nil {
				t.Fatal(err)
			}
			typ, data, err := ws.Read(ctx)
			if err != nil || typ != websocket.MessageBinary {
				t.Fatalf("first frame: %v %v", typ, err)
			}
			var m tunnel.Message
			if err := tunnel.DecodeMessage(data, &m); err != nil {
				t.Fatal(err)
			}
			if m.PayloadType != tunnel.PayloadHandshakeRequest || m.SequenceNumber != 0 || m.Flags != tunnel.FlagsSYN {
				t.Fatalf("first message: payload type %d seq %d flags %d", m.PayloadType, m.SequenceNumber, m.Flags)
			}
			if !bytes.Equal(m.Payload, want.Bytes()) {
				t.Errorf("HandshakeRequest:\n%s\nfixture:\n%s", m.Payload, want.Bytes())
			}
		})
	}
}
