package awssim

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/testnet"
	"github.com/ssmdoctor/ssmdoctor/internal/tunnelaws"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

func dialEcho(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte{'E'}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type fwdSetup struct {
	agent   string     // the instance's agent version ("" latest)
	opts    *DCOptions // nil: unpaced
	faults  DCFaults
	kms     bool   // the preferences name a KMS key
	encrypt bool   // and the simulated agent encrypts Port sessions with it (DCOptions.EncryptPortSessions)
	doc     string // default AWS-StartPortForwardingSession
	host    string // the host parameter (remote-host document)
	unmapRH bool   // leave RemoteHosts empty
}

type fwdRun struct {
	s      *Sim
	sess   *tunnel.Session
	addr   string // the local listener
	mode   tunnel.ForwardMode
	agent  string
	notes  *notes
	done   chan error
	cancel context.CancelFunc
}

type notes struct {
	mu sync.Mutex
	b  strings.Builder
}

func (n *notes) add(format string, a ...any) {
	n.mu.Lock()
	fmt.Fprintf(&n.b, format+"\n", a...)
	n.mu.Unlock()
}

func (n *notes) String() string { n.mu.Lock(); defer n.mu.Unlock(); return n.b.String() }

// startForward starts the simulator with a destination server behind the
// instance's port 5432 and the remote host db.internal:5432, opens a
// forwarding session through the tunnel and serves it on a loopback
// listener until the test ends.
func startForward(t testing.TB, o fwdSetup) *fwdRun {
	t.Helper()
	srv := testnet.FwdServer(t)
	s := startDCSim(t)
	s.WithState(func(st *State) {
		in := st.Instances[idHealthy]
		in.Ports = map[string]string{"5432": srv}
		if !o.unmapRH {
			in.RemoteHosts = map[string]string{"db.internal:5432": srv}
		}
		if o.agent != "" {
			in.Agent.Version = o.agent
		}
		if o.kms {
			st.SessionPreferences.KMSKeyID = "1234abcd-12ab-34cd-56ef-1234567890ab"
		}
	})
	opts := DCOptions{PerMessageDelay: 0}
	if o.opts != nil {
		opts = *o.opts
	}
	opts.EncryptPortSessions = o.encrypt
	s.SetDataChannelOptions(opts)
	s.SetDataChannelFaults(o.faults)
	doc := o.doc
	if doc == "" {
		doc = "AWS-StartPortForwardingSession"
	}
	params := map[string][]string{"portNumber": {"5432"}, "localPortNumber": {"0"}}
	if o.host != "" {
		params["host"] = []string{o.host}
	}
	ctx, cancel := context.WithCancel(context.Background())
	sess, err := tunnel.Open(ctx, tunnelaws.Sessions{Client: ssmAs(s, "ops")}, tunnel.Options{
		Target: idHealthy, Document: doc, Parameters: params,
		KMS: tunnelaws.DataKeys{Client: kmsAs(s, "ops")},
	})
	if err != nil {
		cancel()
		t.Fatalf("open: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &fwdRun{s: s, sess: sess, addr: ln.Addr().String(), notes: &notes{}, done: make(chan error, 1), cancel: cancel}
	ready := make(chan struct{})
	go func() {
		r.done <- sess.Forward(ctx, ln, tunnel.ForwardOptions{Notef: r.notes.add, OnReady: func(m tunnel.ForwardMode, v string) {
			r.mode, r.agent = m, v
			close(ready)
		}})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Errorf("Forward did not return after its context ended")
		}
		sess.Close()
	})
	select {
	case <-ready:
	case err := <-r.done:
		t.Fatalf("forward ended before the handshake: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no handshake within 30 s")
	}
	return r
}

// TestForwardByteIdentical moves 64 MiB each way through a multiplexed
// session, to the instance's own port and to a remote host.
func TestForwardByteIdentical(t *testing.T) {
	const n = 64 * mib
	for _, tc := range []struct {
		name string
		o    fwdSetup
	}{
		{"instance", fwdSetup{}},
		{"remote-host", fwdSetup{doc: "AWS-StartPortForwardingSessionToRemoteHost", host: "db.internal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startForward(t, tc.o)
			if r.mode != tunnel.ForwardMux {
				t.Fatalf("mode %v with agent %s, want multiplexed", r.mode, r.agent)
			}
			if err := testnet.FwdUpload(r.addr, n, 1); err != nil {
				t.Fatal(err)
			}
			if err := testnet.FwdDownload(r.addr, n, 2); err != nil {
				t.Fatal(err)
			}
			if w := r.s.DataChannelWarnings(); len(w) > 0 {
				t.Errorf("conformance warnings: %v", w)
			}
		})
	}
}

// TestForwardConcurrent50 runs 50 connections at once through one
// session, each echoing its own bytes.
func TestForwardConcurrent50(t *testing.T) {
	r := startForward(t, fwdSetup{})
	const conns, n = 50, 256 << 10
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", r.addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if _, err := c.Write([]byte{'E'}); err != nil {
				errs <- err
				return
			}
			if err := testnet.FwdEcho(c, n, byte(i)); err != nil {
				errs <- fmt.Errorf("connection %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestForwardAgentVersions checks the boundaries the plugin uses:
// multiplexing for agents strictly newer than 3.0.196.0, smux keepalive off
// for agents strictly newer than 3.1.1511.0.
func TestForwardAgentVersions(t *testing.T) {
	for _, tc := range []struct {
		agent     string
		mode      tunnel.ForwardMode
		keepalive bool
	}{
		{"3.0.196.0", tunnel.ForwardBasic, true},
		{"3.0.196.1", tunnel.ForwardMux, true},
		{"3.1.1511.0", tunnel.ForwardMux, true},
		{"3.1.1511.1", tunnel.ForwardMux, false},
	} {
		t.Run(tc.agent, func(t *testing.T) {
			r := startForward(t, fwdSetup{agent: tc.agent})
			if r.agent != tc.agent || r.mode != tc.mode {
				t.Fatalf("agent %q mode %v, want %q %v", r.agent, r.mode, tc.agent, tc.mode)
			}
			if got := !tunnel.MuxConfig(tc.agent).KeepAliveDisabled; got != tc.keepalive {
				t.Errorf("smux keepalive %v, want %v", got, tc.keepalive)
			}
			ch, ok := r.s.dcChannel(r.sess.ID())
			if !ok {
				t.Fatal("no simulator channel for the session")
			}
			ch.mu.Lock()
			simMode := ch.mode
			ch.mu.Unlock()
			if simMode != tc.mode {
				t.Errorf("the simulated agent chose %v, want %v", simMode, tc.mode)
			}
			c := dialEcho(t, r.addr)
			if err := testnet.FwdEcho(c, 1<<20, 3); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestForwardOneAtATime is the agent without multiplexing: a second
// connection waits (and is told so) until the first closes, then is
// carried on a connection the agent dials again.
func TestForwardOneAtATime(t *testing.T) {
	r := startForward(t, fwdSetup{agent: "3.0.196.0"})
	target := func() *dcTCP {
		ch, ok := r.s.dcChannel(r.sess.ID())
		if !ok {
			t.Fatal("no simulator channel for the session")
		}
		ch.mu.Lock()
		defer ch.mu.Unlock()
		return ch.tcp
	}
	first := dialEcho(t, r.addr)
	if err := testnet.FwdEcho(first, 64<<10, 4); err != nil {
		t.Fatal(err)
	}
	firstTCP := target()
	second, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	waitFor(t, func() bool {
		return strings.Contains(r.notes.String(), "waits: agent 3.0.196.0 carries one connection at a time")
	})
	want := "connection from " + second.LocalAddr().String() + " waits: agent 3.0.196.0 carries one connection at a time (multiplexing needs an agent newer than 3.0.196.0); it starts when the current one closes\n"
	if got := r.notes.String(); got != want {
		t.Errorf("notes:\n%s\nwant:\n%s", got, want)
	}
	first.Close()
	// DisconnectToPort: the agent closes its connection to the target...
	waitFor(t, func() bool { return target() == nil })
	if _, err := second.Write([]byte{'E'}); err != nil {
		t.Fatal(err)
	}
	if err := testnet.FwdEcho(second, 64<<10, 5); err != nil {
		t.Fatal(err)
	}
	// ...and dials a new one for the next connection's first bytes.
	if tcp := target(); tcp == nil || tcp == firstTCP {
		t.Error("the second connection did not get a connection of its own to the target")
	}
}

// TestForwardRemoteHostRefused: an unmapped remote host is refused the
// way the agent reports it (ConnectToPortError for that one stream); the
// session goes on.
func TestForwardRemoteHostRefused(t *testing.T) {
	r := startForward(t, fwdSetup{doc: "AWS-StartPortForwardingSessionToRemoteHost", host: "db.internal", unmapRH: true})
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte{'E'})
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read on a refused connection: %d, %v; want EOF", n, err)
	}
	waitFor(t, func() bool { return strings.Contains(r.notes.String(), "ConnectToPortError") })
	select {
	case err := <-r.done:
		t.Fatalf("forwarding ended: %v", err)
	default:
	}
}

// TestForwardRemoteHostNetwork: where the scenario models the network,
// a remote host the instance's security groups do not let it reach is
// refused.
func TestForwardRemoteHostNetwork(t *testing.T) {
	st := ssmFixture()
	in := st.Instances[idHealthy]
	in.RemoteHosts = map[string]string{"10.1.0.99:5432": "127.0.0.1:1"}
	in.SecurityGroupIDs = []string{"sg-web"}
	st.SecurityGroups["sg-web"] = &SecurityGroup{ID: "sg-web", VpcID: in.VpcID, Region: in.Region,
		Egress: []SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, Cidrs: []string{"0.0.0.0/0"}}}}
	s := startSim(t, st, Options{})
	var err error
	s.WithState(func(st *State) {
		_, err = s.remoteHostAddrLocked(st.Instances[idHealthy], "10.1.0.99", "5432")
	})
	if err == nil || !strings.Contains(err.Error(), "allow no outbound TCP 5432 to 10.1.0.99") {
		t.Fatalf("err = %v", err)
	}
	s.WithState(func(st *State) {
		st.SecurityGroups["sg-web"].Egress = append(st.SecurityGroups["sg-web"].Egress, SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432, Cidrs: []string{"10.1.0.0/16"}})
		_, err = s.remoteHostAddrLocked(st.Instances[idHealthy], "10.1.0.99", "5432")
	})
	if err != nil {
		t.Fatalf("with an egress rule for 5432: %v", err)
	}
}

// TestForwardFaults keeps connections open through every data channel
// fault: dropped websocket (resumed), duplicates, reordering, a pause.
func TestForwardFaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    DCFaults
		n    int64 // echoed per connection across the fault; default 2 MiB
	}{
		{"drop", DCFaults{DropAfterMessages: 300}, 0},
		{"duplicates", DCFaults{DuplicateEvery: 7}, 0},
		{"reorder", DCFaults{ReorderEvery: 5}, 0},
		{"pause", DCFaults{PauseAfter: 200, PauseFor: 300 * time.Millisecond}, 0},
		{"corrupt-digest", DCFaults{CorruptDigestEvery: 11}, 0},
		// Each delayed message waits its turn: about 2 MB/s.
		{"delays", DCFaults{DelayMessages: time.Millisecond, DelayAcks: 5 * time.Millisecond}, 256 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startForward(t, fwdSetup{faults: tc.f})
			conns := make([]net.Conn, 4)
			for i := range conns {
				conns[i] = dialEcho(t, r.addr)
				if err := testnet.FwdEcho(conns[i], 1024, byte(i)); err != nil {
					t.Fatal(err)
				}
			}
			// Open connections carry traffic across the fault.
			n := tc.n
			if n == 0 {
				n = 2 << 20
			}
			var wg sync.WaitGroup
			for i, c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := testnet.FwdEcho(c, n, byte(10+i)); err != nil {
						t.Errorf("connection %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			st := r.sess.Stats()
			if tc.name == "drop" && st.Reconnects == 0 {
				t.Error("the websocket was dropped but the session did not resume")
			}
			if tc.name == "duplicates" && st.Duplicates == 0 {
				t.Error("no duplicate seen")
			}
		})
	}
}

// TestForwardKMS forwards through a session encrypted with the
// preferences' key, and the session is encrypted. The agent does not
// encrypt Port sessions (TestForwardKMSNotForPortSessions); this is the
// client's encryption of port traffic, for an agent that would.
func TestForwardKMS(t *testing.T) {
	r := startForward(t, fwdSetup{kms: true, encrypt: true})
	c := dialEcho(t, r.addr)
	if err := testnet.FwdEcho(c, 4<<20, 6); err != nil {
		t.Fatal(err)
	}
	if err := testnet.FwdUpload(r.addr, 4<<20, 7); err != nil {
		t.Fatal(err)
	}
	// The bytes came through, and the agent's side holds both data keys:
	// it sealed what it sent and opened what it got.
	if enc, dec := agentDataKeys(t, r); !enc || !dec {
		t.Errorf("the session was not encrypted: the simulated agent's data keys: sealing %v, opening %v", enc, dec)
	}
}

// TestForwardKMSNotForPortSessions: with a KMS key in the preferences,
// the agent still does not encrypt a port forwarding session: no
// KMSEncryption in the handshake, no data keys, and the bytes come through.
func TestForwardKMSNotForPortSessions(t *testing.T) {
	r := startForward(t, fwdSetup{kms: true})
	if err := testnet.FwdUpload(r.addr, 1<<20, 8); err != nil {
		t.Fatal(err)
	}
	if enc, dec := agentDataKeys(t, r); enc || dec {
		t.Error("the port session was encrypted: the agent encrypts only shell sessions")
	}
}

// agentDataKeys says whether the simulated agent's side of r's session
// holds a data key to seal with and one to open with.
func agentDataKeys(t *testing.T, r *fwdRun) (enc, dec bool) {
	t.Helper()
	ch, ok := r.s.dcChannel(r.sess.ID())
	if !ok {
		t.Fatal("no simulator channel for the session")
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.enc != nil, ch.dec != nil
}

func TestScenarioRemoteHosts(t *testing.T) {
	for _, tc := range []struct {
		rh   map[string]string
		want string
	}{
		{map[string]string{"db.internal:5432": "127.0.0.1:5432", "[2600:1f18::5]:443": "[::1]:8443"}, ""},
		{map[string]string{"db.internal": "127.0.0.1:5432"}, `RemoteHosts entry "db.internal": "db.internal" is not host:port`},
		{map[string]string{"db.internal:5432": "127.0.0.1"}, `RemoteHosts entry "db.internal:5432": "127.0.0.1" is not host:port`},
		{map[string]string{"db.internal:99999": "127.0.0.1:1"}, `"db.internal:99999" is not host:port`},
	} {
		st := &State{}
		st.Normalize()
		st.Instances["i-0123456789abcdef0"] = &Instance{State: "running", RemoteHosts: tc.rh}
		err := st.Normalize()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: %v, want %q", tc.rh, err, tc.want)
		}
	}
}

// TestForwardSmuxKeepalive watches an idle multiplexed session for 11 s:
// at agent 3.1.1511.0 both ends run smux's keepalive (a NOP frame every
// 10 s each way), past it neither does, so an idle session stays silent
// (and can reach its idle timeout).
func TestForwardSmuxKeepalive(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: watches an idle session for 11 s")
	}
	for _, tc := range []struct {
		agent string
		nops  bool
	}{{"3.1.1511.0", true}, {"3.1.1511.1", false}} {
		t.Run(tc.agent, func(t *testing.T) {
			t.Parallel()
			r := startForward(t, fwdSetup{agent: tc.agent})
			before := r.sess.Stats()
			time.Sleep(11 * time.Second)
			after := r.sess.Stats()
			got := after.Received > before.Received && after.Sent > before.Sent
			quiet := after.Received == before.Received && after.Sent == before.Sent
			if tc.nops && !got || !tc.nops && !quiet {
				t.Errorf("agent %s, idle 11 s: messages sent %d -> %d, received %d -> %d; want keepalive traffic %v",
					tc.agent, before.Sent, after.Sent, before.Received, after.Received, tc.nops)
			}
		})
	}
}
