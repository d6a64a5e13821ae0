package tunnel

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// The hand-written HandshakeRequest of an encrypted shell (not produced
// by this package's encoder) parses, and a shell client accepts what it
// asks for while a port client refuses it.
func TestShellHandshakeFixture(t *testing.T) {
	raw, err := os.ReadFile("../testdata/handshake/standard_stream.json")
	if err != nil {
		t.Fatal(err)
	}
	hr, err := parseHandshakeRequest(raw)
	if err != nil {
		t.Fatal(err)
	}
	if hr.AgentVersion != "3.3.1802.0" || len(hr.RequestedClientActions) != 2 {
		t.Fatalf("parsed %+v", hr)
	}
	st := hr.RequestedClientActions[0]
	if st.ActionType != ActionSessionType {
		t.Fatalf("first action %s, want SessionType", st.ActionType)
	}
	var req SessionTypeRequest
	if err := json.Unmarshal(st.ActionParameters, &req); err != nil {
		t.Fatal(err)
	}
	if req.SessionType != SessionTypeShell || string(req.Properties) != "null" {
		t.Errorf("session type %q properties %s", req.SessionType, req.Properties)
	}
	km := hr.RequestedClientActions[1]
	var kreq KMSEncryptionRequest
	if err := json.Unmarshal(km.ActionParameters, &kreq); err != nil || km.ActionType != ActionKMSEncryption ||
		kreq.KMSKeyID != "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" {
		t.Errorf("second action %s %s (%v)", km.ActionType, km.ActionParameters, err)
	}

	shell := &Session{shell: &shellState{}}
	if r := shell.checkSessionType(req.SessionType); r != "" || shell.shell.sessionType != SessionTypeShell || !shell.shell.hsStarted {
		t.Errorf("shell client refused %s: %q", req.SessionType, r)
	}
	port := &Session{}
	if r := port.checkSessionType(req.SessionType); r != `session type "Standard_Stream" is not supported; this client forwards a port` {
		t.Errorf("port client: %q", r)
	}
}

func TestShellSessionTypes(t *testing.T) {
	for _, typ := range []string{SessionTypeShell, SessionTypeInteractive, SessionTypeNonInteractive} {
		s := &Session{shell: &shellState{}}
		if r := s.checkSessionType(typ); r != "" {
			t.Errorf("%s refused: %s", typ, r)
		}
	}
	s := &Session{shell: &shellState{}}
	if r := s.checkSessionType("Port"); r != `session type "Port" is not supported; this client opens a shell (Standard_Stream)` {
		t.Errorf("Port in a shell: %q", r)
	}
	if r := (&Session{}).checkSessionType("Port"); r != "" {
		t.Errorf("Port in a port session refused: %q", r)
	}
}

// Without a handshake, the first Output makes the session a ready shell;
// once a handshake has named the type, Output alone does not.
func TestShellOutputBeforeReady(t *testing.T) {
	s := &Session{shell: &shellState{}, ready: make(chan struct{})}
	s.shellOutputBeforeReady()
	select {
	case <-s.ready:
	default:
		t.Fatal("first Output without a handshake did not make the session ready")
	}
	if !s.sessionTypeOK {
		t.Error("session type not set")
	}
	h := &Session{shell: &shellState{}, ready: make(chan struct{})}
	h.checkSessionType(SessionTypeShell)
	h.shellOutputBeforeReady()
	select {
	case <-h.ready:
		t.Fatal("Output during a handshake made the session ready before HandshakeComplete")
	default:
	}
	p := &Session{ready: make(chan struct{})}
	p.shellOutputBeforeReady()
	select {
	case <-p.ready:
		t.Fatal("a port session became ready on Output")
	default:
	}
}

func TestShellExitCodeAndStdErr(t *testing.T) {
	var out, errw bytes.Buffer
	s := &Session{shell: &shellState{io: ShellIO{Stdout: &out, Stderr: &errw}}, opts: Options{}.withDefaults()}
	if !s.shellPayload(PayloadStdErr, []byte("oops\n")) || errw.String() != "oops\n" || out.Len() != 0 {
		t.Errorf("StdErr: stderr %q stdout %q", errw.String(), out.String())
	}
	s.shellPayload(PayloadExitCode, []byte("EXIT_CODE: 7"))
	if !s.shell.hasExit || s.shell.exitCode != 7 {
		t.Errorf("exit code %d %v, want 7", s.shell.exitCode, s.shell.hasExit)
	}
	for _, bad := range []string{"", "EXIT_CODE:", "EXIT_CODE: x", "exit 3"} {
		s := &Session{shell: &shellState{}, opts: Options{}.withDefaults()}
		s.shellPayload(PayloadExitCode, []byte(bad))
		if s.shell.hasExit {
			t.Errorf("%q taken as an exit code", bad)
		}
	}
	if (&Session{}).shellPayload(PayloadStdErr, []byte("x")) {
		t.Error("a port session took a StdErr payload as a shell's")
	}
	// Without Stderr, StdErr goes to stdout (as the plugin shows it).
	var only bytes.Buffer
	s = &Session{shell: &shellState{io: ShellIO{Stdout: &only}}}
	s.shellPayload(PayloadStdErr, []byte("e"))
	if only.String() != "e" {
		t.Errorf("stdout %q", only.String())
	}
}
