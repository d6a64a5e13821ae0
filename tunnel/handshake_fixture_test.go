package tunnel

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// handshakeFixture is a hand-written HandshakeRequest
// (tunnel/testdata/handshake/README.md), compacted.
func handshakeFixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "handshake", name))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b.Bytes()
}

// TestHandshakeFixtures: the client parses each fixture as the agent sends
// it, answers every action in order with success, and picks the
// plugin's forwarding mode from it.
func TestHandshakeFixtures(t *testing.T) {
	for _, tc := range []struct {
		file, agent string
		kms         bool
		props       PortProperties
		mode        ForwardMode
	}{
		{"ssh.json", "3.3.1142.0", false, PortProperties{PortNumber: "22"}, ForwardSingle},
		{"port-forwarding.json", "3.3.1142.0", false, PortProperties{PortNumber: "5432", LocalPortNumber: "0", Type: LocalPortForwarding}, ForwardMux},
		{"remote-host.json", "3.3.1142.0", false, PortProperties{PortNumber: "5432", LocalPortNumber: "15432", Type: LocalPortForwarding, Host: "db.internal"}, ForwardMux},
		{"remote-host-kms.json", "3.3.1142.0", true, PortProperties{PortNumber: "5432", LocalPortNumber: "15432", Type: LocalPortForwarding, Host: "db.internal"}, ForwardMux},
		{"port-forwarding-old-agent.json", "3.0.196.0", false, PortProperties{PortNumber: "80", LocalPortNumber: "0", Type: LocalPortForwarding}, ForwardBasic},
	} {
		t.Run(tc.file, func(t *testing.T) {
			a := newFakeAgent(t)
			a.hsPayload = handshakeFixture(t, tc.file)
			if tc.kms {
				a.dataKey = randomBytes(t, 64)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			opts := Options{Target: testTarget}
			if tc.kms {
				opts.KMS = a
			}
			s, err := Open(ctx, a, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- s.Run(rctx, bytes.NewReader(nil), &bytes.Buffer{}) }()
			select {
			case <-s.Ready():
			case err := <-done:
				t.Fatalf("session ended before the handshake completed: %v", err)
			}
			stop()
			<-done
			hi := s.Handshake()
			props, err := ParsePortProperties(hi.Properties)
			if err != nil || hi.AgentVersion != tc.agent || hi.SessionType != "Port" || props != tc.props {
				t.Errorf("handshake %+v props %+v (%v); want agent %s, Port, %+v", hi, props, err, tc.agent, tc.props)
			}
			if m := ModeFor(props, hi.AgentVersion); m != tc.mode {
				t.Errorf("mode %v, want %v", m, tc.mode)
			}
			a.mu.Lock()
			resp := a.hsResp
			a.mu.Unlock()
			want := []string{ActionSessionType}
			if tc.kms {
				want = append(want, ActionKMSEncryption)
			}
			if resp == nil || len(resp.ProcessedClientActions) != len(want) {
				t.Fatalf("handshake response %+v, want %v answered", resp, want)
			}
			for i, pa := range resp.ProcessedClientActions {
				if pa.ActionType != want[i] || pa.ActionStatus != ActionSuccess || pa.Error != "" {
					t.Errorf("action %d: %+v, want %s succeeded", i, pa, want[i])
				}
			}
		})
	}
}

// TestAgentNewer pins the comparison to the plugin's: strictly newer,
// part by part, a missing part is 0, anything unparsable never newer.
func TestAgentNewer(t *testing.T) {
	for _, tc := range []struct {
		v, min string
		want   bool
	}{
		{"3.0.196.1", "3.0.196.0", true},
		{"3.0.196.0", "3.0.196.0", false},
		{"3.0.195.9", "3.0.196.0", false},
		{"3.1.0.0", "3.0.196.0", true},
		{"3.0.1000.0", "3.0.196.0", true},
		{"3.1.1511.1", "3.1.1511.0", true},
		{"3.1.1511", "3.1.1511.0", false},
		{"4", "3.1.1511.0", true},
		{"", "3.0.196.0", false},
		{"3.x.1.0", "3.0.196.0", false},
	} {
		if got := AgentNewer(tc.v, tc.min); got != tc.want {
			t.Errorf("AgentNewer(%q, %q) = %v", tc.v, tc.min, got)
		}
	}
	for _, tc := range []struct {
		v    string
		keep bool
	}{{"3.1.1511.0", true}, {"3.1.1511.1", false}, {"3.0.196.1", true}} {
		if got := !MuxConfig(tc.v).KeepAliveDisabled; got != tc.keep {
			t.Errorf("MuxConfig(%s) keepalive %v, want %v", tc.v, got, tc.keep)
		}
	}
}
