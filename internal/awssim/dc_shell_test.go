package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/coder/websocket"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// Shell sessions end to end: the tunnel's shell client against the
// simulator's agent, which runs /bin/sh under a real pseudo-terminal.

const shellKMSKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// startShellSim is the data channel fixture with shell sessions enabled
// on the healthy instance (shell "" leaves them off), encrypted when
// kmsKey is set.
func startShellSim(t testing.TB, shell, kmsKey string) *Sim {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh on this machine")
	}
	st := ssmFixture()
	for id := range st.Instances {
		if id != idHealthy {
			delete(st.Instances, id)
		}
	}
	s := startSim(t, st, Options{Now: (&ssmClock{t: ssmT0}).Now})
	s.WithState(func(st *State) {
		st.Instances[idHealthy].Shell = shell
		st.SessionPreferences.KMSKeyID = kmsKey
		if kmsKey != "" {
			st.KMSKeys["1234abcd-12ab-34cd-56ef-1234567890ab"] = &KMSKey{ID: "1234abcd-12ab-34cd-56ef-1234567890ab", Region: "us-east-1"}
		}
	})
	s.SetDataChannelOptions(DCOptions{PerMessageDelay: 0})
	return s
}

// shellAPI adapts the SDK clients to the tunnel's interfaces (as
// internal/tunnelaws does for the commands).
type shellAPI struct {
	ssm *ssm.Client
	kms *kms.Client
}

func (a shellAPI) StartSession(ctx context.Context, target, doc string, params map[string][]string) (tunnel.SessionInfo, error) {
	out, err := a.ssm.StartSession(ctx, &ssm.StartSessionInput{Target: &target, DocumentName: &doc, Parameters: params})
	if err != nil {
		return tunnel.SessionInfo{}, err
	}
	return tunnel.SessionInfo{ID: aws.ToString(out.SessionId), Token: aws.ToString(out.TokenValue), StreamURL: aws.ToString(out.StreamUrl)}, nil
}

func (a shellAPI) ResumeSession(ctx context.Context, id string) (tunnel.SessionInfo, error) {
	out, err := a.ssm.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: &id})
	if err != nil {
		return tunnel.SessionInfo{}, err
	}
	return tunnel.SessionInfo{ID: aws.ToString(out.SessionId), Token: aws.ToString(out.TokenValue), StreamURL: aws.ToString(out.StreamUrl)}, nil
}

func (a shellAPI) TerminateSession(ctx context.Context, id string) error {
	_, err := a.ssm.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: &id})
	return err
}

func (a shellAPI) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	out, err := a.kms.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, NumberOfBytes: aws.Int32(64), EncryptionContext: encCtx})
	if err != nil {
		return nil, nil, err
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// screen collects a session's output and waits for text in it.
type screen struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *screen) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func (s *screen) waitFor(t *testing.T, text string, within time.Duration) {
	t.Helper()
	end := time.Now().Add(within)
	for !strings.Contains(s.String(), text) {
		if time.Now().After(end) {
			t.Fatalf("no %q on the screen within %v; screen:\n%q", text, within, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type shellRun struct {
	res  tunnel.ShellResult
	err  error
	done chan struct{}
}

// runShell opens a shell session as "ops" and runs it in the background.
func runShell(t testing.TB, s *Sim, doc string, params map[string][]string, sio tunnel.ShellIO) *shellRun {
	t.Helper()
	api := shellAPI{ssm: ssmAs(s, "ops"), kms: kmsAs(s, "ops")}
	sess, err := tunnel.OpenShell(context.Background(), api, tunnel.Options{Target: idHealthy, Document: doc, Parameters: params, KMS: api, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open shell: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	r := &shellRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer cancel()
		r.res, r.err = sess.RunShell(ctx, sio)
		sess.Close()
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func (r *shellRun) wait(t testing.TB) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the shell session did not end within 30 s")
	}
}

// Piped input ends with Ctrl-D; the shell's output comes back; the
// session closes normally and, as with the real agent, carries no exit
// status.
func TestDCShellPipedInput(t *testing.T) {
	s := startShellSim(t, "/bin/sh", "")
	out := &screen{}
	r := runShell(t, s, "", nil, tunnel.ShellIO{Stdin: strings.NewReader("echo hi-$((40+2))\n"), Stdout: out, EndOfInput: []byte{4}})
	r.wait(t)
	if r.err != nil {
		t.Fatalf("RunShell: %v; screen:\n%q", r.err, out.String())
	}
	if !strings.Contains(out.String(), "hi-42\r\n") {
		t.Errorf("no hi-42 line in the output:\n%q", out.String())
	}
	if r.res.HasExitCode || r.res.SessionType != "" {
		t.Errorf("result %+v: want no exit code (the agent reports none) and no handshake (no KMS)", r.res)
	}
}

func TestDCShellExitStatusNotReported(t *testing.T) {
	s := startShellSim(t, "/bin/sh", "")
	out := &screen{}
	r := runShell(t, s, "", nil, tunnel.ShellIO{Stdin: strings.NewReader("exit 3\n"), Stdout: out})
	r.wait(t)
	if r.err != nil || r.res.HasExitCode {
		t.Fatalf("RunShell: %+v, %v: want a normal end with no status", r.res, r.err)
	}
}

// The terminal's size reaches the pty at the start and on a change, and
// a Ctrl-C byte interrupts the remote program.
func TestDCShellSizeAndInterrupt(t *testing.T) {
	s := startShellSim(t, "/bin/sh", "")
	out := &screen{}
	sizes := make(chan tunnel.TermSize, 1)
	sizes <- tunnel.TermSize{Cols: 123, Rows: 45}
	pr, pw := io.Pipe()
	defer pw.Close()
	r := runShell(t, s, "", nil, tunnel.ShellIO{Stdin: pr, Stdout: out, Sizes: sizes})
	io.WriteString(pw, "stty size\n")
	out.waitFor(t, "45 123\r\n", 10*time.Second)
	sizes <- tunnel.TermSize{Cols: 77, Rows: 22}
	time.Sleep(200 * time.Millisecond) // the size is its own message; let it arrive first
	io.WriteString(pw, "stty size\n")
	out.waitFor(t, "22 77\r\n", 10*time.Second)

	io.WriteString(pw, "sleep 100\n")
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	io.WriteString(pw, "\x03")
	io.WriteString(pw, "echo back-$((1+1))\n")
	out.waitFor(t, "back-2\r\n", 5*time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Ctrl-C took %v to bring the shell back", d)
	}
	io.WriteString(pw, "exit\n")
	r.wait(t)
	if r.err != nil {
		t.Fatalf("RunShell: %v", r.err)
	}
}

func TestDCShellKMS(t *testing.T) {
	s := startShellSim(t, "/bin/sh", shellKMSKey)
	out := &screen{}
	r := runShell(t, s, "", nil, tunnel.ShellIO{Stdin: strings.NewReader("echo secret-$((6*7))\n"), Stdout: out, EndOfInput: []byte{4}})
	r.wait(t)
	if r.err != nil {
		t.Fatalf("RunShell: %v; screen %q", r.err, out.String())
	}
	if !strings.Contains(out.String(), "secret-42\r\n") {
		t.Errorf("no secret-42 line in the output:\n%q", out.String())
	}
	if r.res.SessionType != tunnel.SessionTypeShell {
		t.Errorf("session type %q from the handshake, want %s", r.res.SessionType, tunnel.SessionTypeShell)
	}
}

func TestDCShellInteractiveCommand(t *testing.T) {
	s := startShellSim(t, "/bin/sh", "")
	out := &screen{}
	r := runShell(t, s, tunnel.DocumentInteractiveCommand, map[string][]string{"command": {"echo one-$((2+2)); pwd"}},
		tunnel.ShellIO{Stdin: strings.NewReader(""), Stdout: out})
	r.wait(t)
	if r.err != nil {
		t.Fatalf("RunShell: %v", r.err)
	}
	got := out.String()
	if !strings.Contains(got, "one-4\r\n") || !strings.Contains(got, "ssmdoctor-sim-shell-") {
		t.Errorf("output %q: want one-4 and the temporary working directory", got)
	}
}

// Off by default: an instance whose scenario names no shell refuses the
// session the way the agent reports a command it cannot start.
func TestDCShellOffByDefault(t *testing.T) {
	s := startShellSim(t, "", "")
	r := runShell(t, s, "", nil, tunnel.ShellIO{Stdin: strings.NewReader(""), Stdout: io.Discard})
	r.wait(t)
	var ce *tunnel.ClosedError
	if !errors.As(r.err, &ce) || !strings.HasPrefix(ce.Output, "Unable to start command: no shell on "+idHealthy) {
		t.Fatalf("RunShell error %v, want channel_closed with the agent-like failure", r.err)
	}
}

func TestDCShellScenarioValidation(t *testing.T) {
	st := ssmFixture()
	st.Instances[idHealthy].Shell = "sh"
	err := st.Normalize()
	if err == nil || !strings.Contains(err.Error(), `Shell "sh" must be an absolute path`) {
		t.Fatalf("Normalize: %v, want the relative Shell refused", err)
	}
}

// The simulator's HandshakeRequest for an encrypted shell is the
// hand-written fixture.
func TestDCShellHandshakeMatchesFixture(t *testing.T) {
	want, err := os.ReadFile("../../testdata/handshake/standard_stream.json")
	if err != nil {
		t.Fatal(err)
	}
	s := startShellSim(t, "/bin/sh", shellKMSKey)
	s.SetDataChannelOptions(DCOptions{PerMessageDelay: 0, AgentVersion: "3.3.1802.0"}) // the fixture's
	api := ssmAs(s, "ops")
	out, err := api.StartSession(context.Background(), &ssm.StartSessionInput{Target: aws.String(idHealthy)})
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
		TokenValue: aws.ToString(out.TokenValue), ClientID: tunnel.NewUUID().String()})
	if err := ws.Write(ctx, websocket.MessageText, open); err != nil {
		t.Fatal(err)
	}
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m tunnel.Message
	if err := tunnel.DecodeMessage(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.MessageType != tunnel.TypeOutputStreamData || m.SequenceNumber != 0 || m.Flags != tunnel.FlagsSYN || m.PayloadType != tunnel.PayloadHandshakeRequest {
		t.Fatalf("first frame %s seq %d flags %d payload type %d, want output_stream_data seq 0 flags 1 HandshakeRequest",
			m.MessageType, m.SequenceNumber, m.Flags, m.PayloadType)
	}
	if g, w := canonicalJSON(t, m.Payload), canonicalJSON(t, want); g != w {
		t.Errorf("HandshakeRequest\n got %s\nwant %s", g, w)
	}
}

func canonicalJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	c, _ := json.Marshal(v)
	return string(c)
}

// A shell survives a dropped websocket: the client resumes the session
// and neither side loses or repeats a byte of it.
func TestDCShellResume(t *testing.T) {
	s := startShellSim(t, "/bin/sh", "")
	s.SetDataChannelFaults(DCFaults{DropAfterMessages: 3})
	out := &screen{}
	pr, pw := io.Pipe()
	defer pw.Close()
	r := runShell(t, s, "", nil, tunnel.ShellIO{Stdin: pr, Stdout: out})
	for i := range 20 {
		io.WriteString(pw, "echo line-$(("+strconv.Itoa(i)+"*2))\n")
		out.waitFor(t, "line-"+strconv.Itoa(i*2)+"\r\n", 10*time.Second)
	}
	io.WriteString(pw, "exit\n")
	r.wait(t)
	if r.err != nil {
		t.Fatalf("RunShell: %v", r.err)
	}
	got := out.String()
	for i := range 20 {
		if n := strings.Count(got, "\nline-"+strconv.Itoa(i*2)+"\r\n"); n != 1 {
			t.Errorf("line-%d appears %d times", i*2, n)
		}
	}
	if n := s.Calls("ssm.ResumeSession"); n < 1 {
		t.Errorf("%d ResumeSession calls: the fault did not drop the socket", n)
	}
}

// AWS-StartNonInteractiveCommand: a handshake (NonInteractiveCommands),
// the command run without a terminal or a shell, its output sent once it
// exits, no exit status.
func TestDCShellNonInteractiveCommand(t *testing.T) {
	s := startShellSim(t, "/bin/sh", "")
	out := &screen{}
	r := runShell(t, s, tunnel.DocumentNonInteractiveCommand, map[string][]string{"command": {`printf '%s|%s\n' "a b" '$HOME'`}},
		tunnel.ShellIO{Stdin: strings.NewReader(""), Stdout: out})
	r.wait(t)
	if r.err != nil {
		t.Fatalf("RunShell: %v", r.err)
	}
	if got := out.String(); got != "a b|$HOME\n" {
		t.Errorf("output %q, want the words split as a shell would, without a shell's expansion or a terminal's \\r", got)
	}
	if r.res.SessionType != tunnel.SessionTypeNonInteractive || r.res.HasExitCode {
		t.Errorf("result %+v: want the NonInteractiveCommands handshake and no status", r.res)
	}
}

// Ctrl-C in the input signals the command (the agent's only use of a
// non-interactive session's input).
func TestDCShellNonInteractiveInterrupt(t *testing.T) {
	s := startShellSim(t, "/bin/sh", "")
	pr, pw := io.Pipe()
	defer pw.Close()
	start := time.Now()
	r := runShell(t, s, tunnel.DocumentNonInteractiveCommand, map[string][]string{"command": {"sleep 100"}},
		tunnel.ShellIO{Stdin: pr, Stdout: io.Discard})
	time.Sleep(300 * time.Millisecond)
	io.WriteString(pw, "\x03")
	r.wait(t)
	if r.err != nil || time.Since(start) > 10*time.Second {
		t.Fatalf("RunShell: %v after %v", r.err, time.Since(start))
	}
}

func TestSplitCommand(t *testing.T) {
	for in, want := range map[string][]string{
		`echo hi`:                {"echo", "hi"},
		`  a   b  `:              {"a", "b"},
		`printf '%s' "x y"`:      {"printf", "%s", "x y"},
		`a\ b "c\"d" 'e\f'`:      {"a b", `c"d`, `e\f`},
		`x"y"'z'`:                {"xyz"},
		`''`:                     {""},
		`ls "$HOME" $PATH`:       {"ls", "$HOME", "$PATH"},
		"tab\there\nnewline end": {"tab", "here", "newline", "end"},
	} {
		got, err := splitCommand(in)
		if err != nil || strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`'open`, `"open`} {
		if _, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q): no error", bad)
		}
	}
}
