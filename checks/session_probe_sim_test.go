package checks

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
)

const probeHealthy = "i-0a11600d000000001"

// probeEnv serves the demo scenario with the healthy instance's port 22 at
// addr and returns an Env built the production way for keyID.
func probeEnv(t *testing.T, addr, keyID string) (*Env, *awssim.Sim) {
	t.Helper()
	st := awssim.DemoScenario()
	st.Instances[probeHealthy].Ports = map[string]string{"22": addr}
	sim := simtest.Start(t, st, awssim.Options{Logf: t.Logf})
	c := simtest.Clients(t, sim, st, keyID, awsapi.Options{})
	env := &Env{
		Options:  Options{Probe: true, Port: 22},
		Target:   &Target{Input: probeHealthy, InstanceID: probeHealthy, Region: "us-east-1"},
		Local:    NewLocalEnv(),
		AWS:      awsfacts.NewAWSEnv(c),
		Sessions: NewSessionOpener(c.SSM, c.KMS),
	}
	return env, sim
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentPort accepts connections and never writes.
func silentPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return l.Addr().String()
}

func TestSessionProbeReadsTheSSHBanner(t *testing.T) {
	sshd := testsshd.Start(t, testsshd.Options{})
	env, sim := probeEnv(t, sshd.Addr, awssim.DemoAccessKey)
	r := runSessionProbe(t.Context(), env)
	if r.Status != StatusPass || !strings.HasPrefix(r.Message, "sshd answered: SSH-2.0-OpenSSH_") || strings.ContainsAny(r.Message, "\r\n") {
		t.Fatalf("%+v", r)
	}
	if n := sim.Calls("ssm.StartSession"); n != 1 {
		t.Fatalf("StartSession calls: %d", n)
	}
	// The probe leaves no session behind.
	if n := sim.Calls("ssm.TerminateSession"); n != 1 {
		t.Fatalf("TerminateSession calls: %d", n)
	}
}

// Through the runner: dependencies pass on the healthy instance and the
// probe runs last; without --probe it says how to ask for it.
func TestSessionProbeInTheCheckList(t *testing.T) {
	sshd := testsshd.Start(t, testsshd.Options{})
	env, _ := probeEnv(t, sshd.Addr, awssim.DemoAccessKey)
	list := ForTarget(All(), true)
	if list[len(list)-1].ID() != "session-probe" {
		t.Fatalf("session-probe is not last: %s", list[len(list)-1].ID())
	}
	var local []string
	for _, c := range list {
		if c.Layer() == LayerLocal {
			local = append(local, c.ID())
		}
	}
	probe := func(o Options) Result {
		e := *env
		e.Options = o
		outs := Run(t.Context(), &e, list, RunOptions{Skip: local})
		return outs[len(outs)-1].Result
	}
	if r := probe(Options{Port: 22}); r.Status != StatusSkip || r.Message != "run with --probe to open a real session" {
		t.Fatalf("without --probe: %+v", r)
	}
	if r := probe(Options{Port: 22, Probe: true}); r.Status != StatusPass {
		t.Fatalf("with --probe: %+v", r)
	}
}

func TestSessionProbeFailures(t *testing.T) {
	cases := []struct {
		name  string
		addr  func(t *testing.T) string
		key   string
		prep  func(sim *awssim.Sim, env *Env)
		match []string
	}{
		{name: "nothing listening", addr: closedPort,
			match: []string{"nothing listening on port 22 of " + probeHealthy, "Unable to start port forwarding"}},
		{name: "target not connected", addr: closedPort,
			prep: func(sim *awssim.Sim, _ *Env) {
				sim.SetSessionFaults(awssim.SessionFaults{FailStartSession: "TargetNotConnected"})
			},
			match: []string{"StartSession answered TargetNotConnected"}},
		{name: "access denied", addr: closedPort, key: "AKIADEMOCAROL0000001",
			match: []string{"StartSession was denied (AccessDeniedException): you need ssm:StartSession on " + probeHealthy + " and on document AWS-StartSSHSession"}},
		{name: "handshake refused", addr: closedPort,
			prep:  func(sim *awssim.Sim, _ *Env) { sim.SetDataChannelFaults(awssim.DCFaults{RefuseHandshake: true}) },
			match: []string{"the agent refused the session handshake: Handshake refused"}},
		{name: "silent port", addr: silentPort,
			prep:  func(_ *awssim.Sim, env *Env) { env.Options.ProbeWait = 500 * time.Millisecond },
			match: []string{"the session opened, but port 22 sent nothing: no line from the instance's port within 500ms"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := c.key
			if key == "" {
				key = awssim.DemoAccessKey
			}
			env, sim := probeEnv(t, c.addr(t), key)
			if c.prep != nil {
				c.prep(sim, env)
			}
			r := runSessionProbe(t.Context(), env)
			text := r.Message + "\n" + strings.Join(r.Details, "\n")
			if r.Status != StatusFail {
				t.Fatalf("status %s: %s", r.Status, text)
			}
			for _, m := range c.match {
				if !strings.Contains(text, m) {
					t.Errorf("lacks %q:\n%s", m, text)
				}
			}
		})
	}
}
