package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// Security acceptance: a representative set of runs end to end, with
// every output and log kept, then searched for every secret the run
// involved: the long-term and the temporary AWS credentials, each data
// channel token the simulator issued (StartSession and ResumeSession),
// and the private half of each one-time key the simulator received.

// transcript is everything the runs of one test printed or logged, by
// where it came from.
type transcript struct {
	parts []transcriptPart
}

type transcriptPart struct{ from, text string }

func (tr *transcript) add(from, text string) {
	if text != "" {
		tr.parts = append(tr.parts, transcriptPart{from, text})
	}
}

func (tr *transcript) addRun(from string, r result) {
	tr.add(from+" stdout", r.stdout)
	tr.add(from+" stderr", r.stderr)
}

// leakWindow is the shortest piece of a secret the search looks for:
// printing a token cut short is still a leak. 16 characters of the
// simulator's random tokens are 96 bits; nothing matches them by chance.
const leakWindow = 16

// findSecret returns where a piece (leakWindow characters, or the whole
// secret when shorter) of one of secrets occurs, or "".
func (tr *transcript) findSecret(secrets map[string]string) string {
	pieces := map[string]string{}
	for name, s := range secrets {
		if len(s) <= leakWindow {
			pieces[s] = name
			continue
		}
		for i := 0; i+leakWindow <= len(s); i++ {
			pieces[s[i:i+leakWindow]] = name
		}
	}
	for _, p := range tr.parts {
		for piece, name := range pieces {
			if len(piece) < leakWindow && strings.Contains(p.text, piece) {
				return fmt.Sprintf("%s in %s", name, p.from)
			}
		}
		for i := 0; i+leakWindow <= len(p.text); i++ {
			if name, ok := pieces[p.text[i:i+leakWindow]]; ok {
				return fmt.Sprintf("%s in %s", name, p.from)
			}
		}
	}
	return ""
}

var (
	b64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{43,}`)
	hexRun = regexp.MustCompile(`[0-9a-fA-F]{64,}`)
)

// findPrivateKey returns where text shows the private half of one of
// pubs: its 32-byte seed anywhere inside a hex run, a base64 run (either
// alphabet, any alignment) or a PEM block, which covers the seed and
// the 64-byte key printed alone, OpenSSH and PKCS#8 files, and blobs
// that embed them. The public half and fingerprints are not secret.
func (tr *transcript) findPrivateKey(pubs []ed25519.PublicKey) string {
	for _, p := range tr.parts {
		for _, blob := range decodedBlobs(p.text) {
			for i := 0; i+ed25519.SeedSize <= len(blob); i++ {
				pub := ed25519.NewKeyFromSeed(blob[i : i+ed25519.SeedSize]).Public().(ed25519.PublicKey)
				for _, want := range pubs {
					if pub.Equal(want) {
						return "the one-time private key in " + p.from
					}
				}
			}
		}
		if strings.Contains(p.text, "PRIVATE KEY") {
			return "a private key block in " + p.from
		}
	}
	return ""
}

func decodedBlobs(text string) [][]byte {
	var blobs [][]byte
	for _, run := range hexRun.FindAllString(text, -1) {
		for off := 0; off < 2; off++ {
			s := run[off:]
			if b, err := hex.DecodeString(s[:len(s)/2*2]); err == nil {
				blobs = append(blobs, b)
			}
		}
	}
	for _, run := range b64Run.FindAllString(text, -1) {
		// Base64 aligns on 4 characters; the run may start mid-group.
		for off := 0; off < 4; off++ {
			s := run[off:]
			if len(s)%4 == 1 {
				s = s[:len(s)-1]
			}
			for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(s); err == nil {
					blobs = append(blobs, b)
				}
			}
		}
	}
	rest := []byte(text)
	for {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		blobs = append(blobs, blk.Bytes)
	}
	return blobs
}

// TestSecretSearchFindsLeaks: the searches above find what they look for
// in every shape a careless log line would take, and do not cry wolf at
// public material.
func TestSecretSearchFindsLeaks(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	seed := priv.Seed()
	openssh, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: append([]byte{0x30, 0x2e, 2, 1, 0, 0x30, 5, 6, 3, 0x2b, 0x65, 0x70, 4, 0x22, 4, 0x20}, seed...)})
	leaks := map[string]string{
		"hex seed":           "debug: seed=" + hex.EncodeToString(seed) + ".",
		"HEX private key":    strings.ToUpper(hex.EncodeToString(priv)),
		"base64 seed":        "key:" + base64.StdEncoding.EncodeToString(seed),
		"base64url key":      "k=" + base64.RawURLEncoding.EncodeToString(priv) + "\n",
		"misaligned base64":  "xy" + base64.StdEncoding.EncodeToString(append([]byte{1, 2, 3, 4, 5}, seed...)),
		"OpenSSH file":       string(pem.EncodeToMemory(openssh)),
		"OpenSSH body alone": base64.StdEncoding.EncodeToString(openssh.Bytes),
		"PKCS#8 file":        string(pkcs8),
	}
	for name, text := range leaks {
		tr := &transcript{}
		tr.add(name, text)
		if tr.findPrivateKey([]ed25519.PublicKey{pub}) == "" {
			t.Errorf("%s: private key not found", name)
		}
	}
	public := &transcript{}
	public.add("public", string(ssh.MarshalAuthorizedKey(sshPub))+" "+ssh.FingerprintSHA256(sshPub)+" "+hex.EncodeToString(pub))
	if got := public.findPrivateKey([]ed25519.PublicKey{pub}); got != "" {
		t.Errorf("public material reported as a leak: %s", got)
	}

	token := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte("0123456789abcdefghijk"), 6))
	secrets := map[string]string{"a session token": token, "the secret key": "short-secret"}
	for text, want := range map[string]bool{
		"token=" + token:            true,
		"token=" + token[20:40]:     true, // cut short is still a leak
		"token=" + token[:10] + "…": false,
		"AWS_SECRET short-secret":   true,
		"nothing to see":            false,
	} {
		tr := &transcript{}
		tr.add("line", text)
		if got := tr.findSecret(secrets) != ""; got != want {
			t.Errorf("%q: found %v, want %v", text, got, want)
		}
	}
}

// proxyBanner runs `ssmdoctor proxy --verbose` by hand: it sends a client
// banner, keeps stdin open until sshd's banner is back (the proxy leaves
// once stdin ends), then closes it.
func (e *e2e) proxyBanner(env []string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ssmdoctorBin, "proxy", "--verbose", e2eID, "22")
	cmd.Env = append(append([]string(nil), e.env...), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var se bytes.Buffer
	cmd.Stderr = &se
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	io.WriteString(stdin, "SSH-2.0-ssmdoctor-secrets-test\r\n")
	banner, _ := bufio.NewReader(stdout).ReadString('\n')
	stdin.Close()
	err = cmd.Wait()
	if ctx.Err() != nil {
		e.t.Fatalf("ssmdoctor proxy hung; stderr:\n%s", se.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return result{code, banner, se.String()}
}

// addFiles adds every regular file under dir (caches, state) to tr.
func (tr *transcript) addFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(path); err == nil {
				tr.add("file "+path, string(b))
			}
		}
		return nil
	})
}

const (
	tempKeyID  = "ASIAE2ETEMPORARY01"
	tempSecret = "e2e-temp-secret-Ld83KsQp0vWmZ7"
	tempToken  = "IQoJb3JpZ2luX2VjEE2ETEMPORARYSESSIONTOKEN0vbXlzZWNyZXQtdG9rZW4tZm9yLXRlc3Rz"
)

func expect(t *testing.T, what string, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.code, code, r.stdout, r.stderr)
	}
}

// TestE2ENoSecretsInOutput runs ssh, scp (resumed mid-transfer), the bare
// ProxyCommand, the proxy itself, failing StartSessions and a refused
// handshake, all verbose, with long-term and with temporary credentials,
// and searches every output, the simulator's and sshd's logs and the
// preflight cache for the credentials and every data channel token.
func TestE2ENoSecretsInOutput(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: 0})
	e.sim.WithState(func(st *awssim.State) {
		st.AccessKeys[tempKeyID] = &awssim.AccessKey{ID: tempKeyID, Secret: tempSecret, SessionToken: tempToken, UserName: "ops", Status: "Active"}
	})
	temp := []string{"AWS_ACCESS_KEY_ID=" + tempKeyID, "AWS_SECRET_ACCESS_KEY=" + tempSecret, "AWS_SESSION_TOKEN=" + tempToken}
	tr := &transcript{}
	verbose := append([]string{"ssh", "--verbose"}, e.sshOpts(true)...)

	r := e.run(nil, nil, append(verbose, "-vvv", e.dest(), "true")...)
	expect(t, "ssh --verbose -vvv true", r, 0)
	tr.addRun("ssh -vvv", r)
	r = e.run(nil, temp, append(verbose, "-v", e.dest(), "exit 42")...)
	expect(t, "ssh with temporary credentials", r, 42)
	tr.addRun("ssh (temporary credentials)", r)

	// The websocket drops mid-transfer: ResumeSession issues more tokens.
	e.sim.SetDataChannelFaults(awssim.DCFaults{DropAfterMessages: 1500})
	log := e.scpRoundTrip(4<<20, "--verbose", "-v")
	e.sim.SetDataChannelFaults(awssim.DCFaults{})
	if !strings.Contains(log, "resumed") {
		t.Fatalf("scp: no resume in the proxy's log:\n%s", log)
	}
	tr.add("scp -v (resumed)", log)

	// The bare ProxyCommand as in ~/.ssh/config; ssh passes the proxy's
	// stderr through.
	r = e.command(nil, nil, "ssh", append(e.viaProxy(ssmdoctorBin+" proxy --verbose %h %p"), "-v", e.dest(), "echo", "proxied")...)
	if r.code != 0 || r.stdout != "proxied\n" || !strings.Contains(r.stderr, "ssmdoctor proxy: session ") {
		t.Fatalf("ssh with ProxyCommand=ssmdoctor proxy --verbose: exit %d stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	tr.addRun("ssh -v, ProxyCommand", r)

	// The proxy alone: its stdout is the sshd's side of the stream.
	r = e.proxyBanner(temp)
	if !strings.HasPrefix(r.stdout, "SSH-2.0-") {
		t.Fatalf("proxy: stdout %q, want sshd's banner\n%s", r.stdout, r.stderr)
	}
	// --verbose shows the API calls, which this search covers too.
	if !strings.Contains(r.stderr, "aws: ssm StartSession 200 ") {
		t.Fatalf("proxy --verbose: no StartSession call line\n%s", r.stderr)
	}
	tr.addRun("proxy --verbose", r)

	// StartSession fails: not connected, denied, a service error, and a
	// handshake the agent refuses after the token was used.
	r = e.run(strings.NewReader(""), nil, "proxy", "--verbose", e2eDown, "22")
	expect(t, "proxy to a disconnected instance", r, 1)
	tr.addRun("proxy TargetNotConnected", r)
	r = e.run(strings.NewReader(""), []string{"AWS_ACCESS_KEY_ID=" + e2eNoKey}, "proxy", "--verbose", e2eID, "22")
	expect(t, "proxy without ssm:StartSession", r, 1)
	tr.addRun("proxy AccessDenied", r)
	e.sim.SetSessionFaults(awssim.SessionFaults{FailStartSession: "InternalServerError"})
	r = e.run(nil, temp, append(verbose, "-v", e.dest(), "true")...)
	e.sim.SetSessionFaults(awssim.SessionFaults{})
	if r.code == 0 || !strings.Contains(r.stderr, "InternalServerError") {
		t.Fatalf("ssh with StartSession failing: exit %d\n%s", r.code, r.stderr)
	}
	tr.addRun("ssh InternalServerError", r)
	e.sim.SetDataChannelFaults(awssim.DCFaults{RefuseHandshake: true})
	r = e.run(nil, nil, append(verbose, "-v", e.dest(), "true")...)
	e.sim.SetDataChannelFaults(awssim.DCFaults{})
	if r.code == 0 {
		t.Fatalf("ssh with the handshake refused: exit 0\n%s", r.stderr)
	}
	tr.addRun("ssh handshake refused", r)
	r = e.ssh(nil, e.sshd.User+"@"+e2eDown, "true")
	expect(t, "ssh to a disconnected instance (preflight)", r, 1)
	tr.addRun("ssh preflight report", r)

	tr.add("simulator log", e.simLog.String())
	tr.add("sshd log", e.sshd.Log())
	tr.addFiles(t, e.home)
	tr.addFiles(t, e.tmp)

	tokens := e.sim.IssuedSessionTokens()
	starts := e.sim.Calls("ssm.StartSession")
	// Three StartSessions failed; every other one and every resume gave
	// a token.
	if e.sim.Calls("ssm.ResumeSession") == 0 || len(tokens) < starts-3+1 {
		t.Fatalf("%d tokens issued for %d StartSession and %d ResumeSession calls: the runs did not exercise what they should",
			len(tokens), starts, e.sim.Calls("ssm.ResumeSession"))
	}
	secrets := map[string]string{"the secret access key": e2eSecret, "the temporary secret key": tempSecret,
		"the temporary session token": tempToken, "the field name TokenValue": "TokenValue"}
	for i, tok := range tokens {
		secrets[fmt.Sprintf("data channel token %d of %d", i+1, len(tokens))] = tok
	}
	if where := tr.findSecret(secrets); where != "" {
		t.Fatalf("secret found: %s", where)
	}
	t.Logf("searched %d outputs and logs for %d secrets (%d data channel tokens)", len(tr.parts), len(secrets), len(tokens))
}

// TestE2ENoOneTimeKeyInOutput: the one-time keys (asked for, and the
// default when the user has no key) never show up, in any encoding, in
// what ssmdoctor, ssh -vvv, scp -v or the proxy print, nor in the
// simulator's log; neither do the tokens of those sessions.
func TestE2ENoOneTimeKeyInOutput(t *testing.T) {
	e := startE2E(t, e2eOpts{keysCommand: true})
	e.sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: 0})
	tr := &transcript{}
	opts := e.sshOpts(false)

	r := e.run(nil, nil, append(append([]string{"ssh", "--ephemeral-key", "--verbose"}, opts...), "-vvv", e.dest(), "echo", "one-time")...)
	if r.code != 0 || r.stdout != "one-time\n" {
		t.Fatalf("ssh --ephemeral-key: exit %d stdout %q\n%s\nsshd:\n%s", r.code, r.stdout, r.stderr, e.sshd.Log())
	}
	tr.addRun("ssh --ephemeral-key -vvv", r)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	want := payload(t, src, 1<<20, 77)
	r = e.run(nil, nil, append(append([]string{"scp", "--ephemeral-key", "--verbose"}, opts...), "-v", src, e.dest()+":"+filepath.Join(dir, "remote"))...)
	expect(t, "scp --ephemeral-key", r, 0)
	if fileSum(t, filepath.Join(dir, "remote")) != want {
		t.Fatal("scp --ephemeral-key: the copy differs")
	}
	tr.addRun("scp --ephemeral-key -v", r)
	// No key of the user's own: the one-time key is the default.
	r = e.run(nil, nil, append(append([]string{"ssh", "--verbose"}, opts...), "-o", "IdentityAgent=none", "-vvv", e.dest(), "true")...)
	expect(t, "ssh with the default one-time key", r, 0)
	tr.addRun("ssh default one-time key -vvv", r)

	// Read before the simulated clock moves: EC2 Instance Connect holds
	// each pushed key for 60 s.
	var pubs []ed25519.PublicKey
	for _, line := range strings.Split(strings.TrimSpace(e.eicKeys()), "\n") {
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			t.Fatalf("simulator key %q: %v", line, err)
		}
		cpk, ok := pk.(ssh.CryptoPublicKey)
		if !ok {
			t.Fatalf("simulator key %q is not a crypto key", line)
		}
		ed, ok := cpk.CryptoPublicKey().(ed25519.PublicKey)
		if !ok {
			t.Fatalf("simulator key %q is not ed25519", line)
		}
		pubs = append(pubs, ed)
	}
	if len(pubs) != 3 {
		t.Fatalf("the simulator holds %d one-time keys, want the 3 pushed", len(pubs))
	}
	tr.add("simulator log", e.simLog.String())
	tr.add("sshd log", e.sshd.Log())
	tr.addFiles(t, e.home)
	tr.addFiles(t, e.tmp)
	if where := tr.findPrivateKey(pubs); where != "" {
		t.Fatalf("found %s", where)
	}
	secrets := map[string]string{"the secret access key": e2eSecret, "the field name TokenValue": "TokenValue"}
	for i, tok := range e.sim.IssuedSessionTokens() {
		secrets[fmt.Sprintf("data channel token %d", i+1)] = tok
	}
	if where := tr.findSecret(secrets); where != "" {
		t.Fatalf("secret found: %s", where)
	}
	if hasKeyDir(e.tmp) {
		t.Fatal("a one-time key directory was left behind")
	}
}

// cloneInstance adds a copy of the healthy instance (its sshd included)
// under another id and Name tag.
func (e *e2e) cloneInstance(id, name string) {
	e.sim.WithState(func(st *awssim.State) {
		inst := *st.Instances[e2eID]
		inst.ID = id
		inst.Tags = []awssim.Tag{{Key: "Name", Value: name}}
		st.Instances[id] = &inst
	})
}

// TestE2ETargetInjectionForms: TARGET reaches a shell only as %h in
// ProxyCommand, so every shell metacharacter form is refused as a usage
// error (exit 2) before any AWS call, whether typed bare, as user@TARGET,
// in an scp operand, to the proxy itself, or as --profile/--region; a
// Name tag made of metacharacters cannot be used to smuggle one in.
func TestE2ETargetInjectionForms(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	marker := filepath.Join(e.tmp, "pwned")
	const evilName = "web;id"
	e.cloneInstance("i-0123456789abcdef2", evilName)
	targets := []string{
		"i-0abc;touch " + marker,
		"i-0123456789abcdef0;touch " + marker,
		"$(touch " + marker + ")",
		"`touch " + marker + "`",
		"i-0abc\ntouch " + marker,
		"i-0abc\rtouch " + marker,
		"web&&touch " + marker,
		"web||touch " + marker,
		"web|touch " + marker,
		"web>" + marker,
		"web&",
		"'web'",
		`"web"`,
		`web\`,
		"web$IFS",
		"web#",
		"%h;touch " + marker,
		evilName,
		"web id",
		"web\tid",
		"-oProxyCommand=touch " + marker,
		"",
	}
	describes := e.sim.Calls("ec2.DescribeInstances")
	sessions := e.sim.Calls("ssm.StartSession")
	for _, target := range targets {
		forms := [][]string{
			{"proxy", target, "22"},
			append(append([]string{"ssh"}, e.sshOpts(true)...), "root@"+target, "true"),
			append(append([]string{"scp"}, e.sshOpts(true)...), "/etc/hostname", "root@"+target+":/tmp/x"),
		}
		// Bare, a leading "-" makes an ssh or scp option, which is the
		// user's own to give.
		if !strings.HasPrefix(target, "-") {
			forms = append(forms,
				append(append([]string{"ssh"}, e.sshOpts(true)...), target, "true"),
				append(append([]string{"ssh", "--no-preflight"}, e.sshOpts(true)...), "-l", "root", target),
				append(append([]string{"scp"}, e.sshOpts(true)...), target+":/tmp/x", filepath.Join(e.tmp, "x")))
		}
		for _, args := range forms {
			r := e.run(strings.NewReader(""), nil, args...)
			if r.code != 2 {
				t.Fatalf("ssmdoctor %q: exit %d, want 2 (usage)\n%s", args, r.code, r.stderr)
			}
		}
	}
	for _, v := range []string{"x;touch " + marker, "$(touch " + marker + ")", "`touch " + marker + "`", "a\nb"} {
		for _, flag := range []string{"--profile", "--region"} {
			r := e.run(strings.NewReader(""), nil, append(append([]string{"ssh", flag, v}, e.sshOpts(true)...), e.dest(), "true")...)
			if r.code != 2 {
				t.Fatalf("ssh %s %q: exit %d, want 2\n%s", flag, v, r.code, r.stderr)
			}
		}
	}
	if n := e.sim.Calls("ec2.DescribeInstances") - describes; n != 0 {
		t.Fatalf("%d DescribeInstances calls: a malformed TARGET reached AWS", n)
	}
	if n := e.sim.Calls("ssm.StartSession") - sessions; n != 0 {
		t.Fatalf("%d StartSession calls: a malformed TARGET reached AWS", n)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a shell command in TARGET ran")
	}
}

// TestE2EResolvedIDInjection: the instance id that EC2 returns for a
// Name tag also ends up in ProxyCommand; an id with shell metacharacters
// (a hostile or broken endpoint) must not run anything either.
func TestE2EResolvedIDInjection(t *testing.T) {
	e := startE2E(t, e2eOpts{})
	// No space and no slash: ssh's config parser and scp's local-path
	// rule would otherwise stop them before any shell does. The command
	// runs in $HOME (the test's), so the marker is found there.
	marker := filepath.Join(e.home, "pwned-by-id")
	ids := []string{
		"i-0123456789abcdef0;cd;touch${IFS}pwned-by-id",
		"i-0123456789abcdef0$(cd;touch${IFS}pwned-by-id)",
		"i-0123456789abcdef0`cd;touch${IFS}pwned-by-id`",
		"i-0123456789abcdef0;touch " + marker,
	}
	for i, id := range ids {
		name := fmt.Sprintf("innocent-%d", i)
		e.cloneInstance(id, name)
		for _, args := range [][]string{
			append(append([]string{"ssh", "--no-preflight"}, e.sshOpts(true)...), e.sshd.User+"@"+name, "true"),
			append(append([]string{"ssh"}, e.sshOpts(true)...), e.sshd.User+"@"+name, "true"),
			append(append([]string{"scp", "--no-preflight"}, e.sshOpts(true)...), "/etc/hostname", e.sshd.User+"@"+name+":"+filepath.Join(e.tmp, "copy")),
		} {
			r := e.run(strings.NewReader(""), nil, args...)
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("ssmdoctor %q ran the command in instance id %q (exit %d)\n%s", args, id, r.code, r.stderr)
			}
			if r.code == 0 {
				t.Fatalf("ssmdoctor %q: exit 0 with instance id %q", args, id)
			}
			t.Logf("ssmdoctor %s to %q: exit %d: %s", args[0], id, r.code, strings.TrimSpace(r.stderr))
		}
	}
}

// oldSSH stands in for an OpenSSH client before 9.6, which put the
// destination's host into ProxyCommand's %h without checking its
// characters and ran the result with /bin/sh -c. Nothing else of ssh is
// needed to see what the shell would run.
const oldSSH = `#!/usr/bin/env python3
import subprocess, sys
args, pc, host = sys.argv[1:], None, None
i = 0
while i < len(args):
    if args[i] == "-o" and i + 1 < len(args):
        k, _, v = args[i + 1].partition("=")
        if k.lower() == "proxycommand" and pc is None:
            pc = v
        i += 2
    elif args[i] == "--":
        host = args[i + 1].rpartition("@")[2]
        break
    else:
        i += 1
cmd = pc.replace("%h", host).replace("%p", "22").replace("%%", "%")
sys.exit(subprocess.call(["/bin/sh", "-c", cmd], stdin=subprocess.DEVNULL))
`

// TestE2EResolvedIDInjectionOldSSH: the same hostile instance ids with an
// ssh that does not check hostnames (OpenSSH before 9.6, still common):
// ssmdoctor itself must refuse an id that is not an instance id, since
// it builds the ProxyCommand line.
func TestE2EResolvedIDInjectionOldSSH(t *testing.T) {
	needTool(t, "python3")
	e := startE2E(t, e2eOpts{})
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(oldSSH), 0o755); err != nil {
		t.Fatal(err)
	}
	path := "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")
	marker := filepath.Join(e.home, "pwned-by-id")
	for i, id := range []string{
		"i-0123456789abcdef0;cd;touch${IFS}pwned-by-id",
		"i-0123456789abcdef0$(cd;touch${IFS}pwned-by-id)",
	} {
		name := fmt.Sprintf("innocent-%d", i)
		e.cloneInstance(id, name)
		args := append(append([]string{"ssh", "--no-preflight"}, e.sshOpts(true)...), e.sshd.User+"@"+name, "true")
		r := e.run(strings.NewReader(""), []string{path}, args...)
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("instance id %q from DescribeInstances ran a shell command through ProxyCommand (exit %d): "+
				"resolveTarget (connect.go) must refuse a resolved id that is not an instance id (awsfacts.IsInstanceID)\n%s", id, r.code, r.stderr)
		}
		if r.code == 0 {
			t.Fatalf("instance id %q: exit 0", id)
		}
	}
}

// binRun runs the ssmdoctor binary with env (and nothing else of this
// process's environment but PATH), stdin empty, within a bound of its own.
func binRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ssmdoctorBin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdin = strings.NewReader("")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ssmdoctor %s hung; stderr:\n%s", strings.Join(args, " "), se.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, so.String(), se.String()}
}

// apiCallLine is --verbose's line for one AWS call: service, operation,
// HTTP status (with AWS's error code) or what kept it from an answer,
// duration, request id, retries.
var apiCallLine = regexp.MustCompile(`^aws: [a-z0-9-]+ [A-Za-z0-9]+ (\d{3}( [A-Za-z0-9._:/-]+)?|no-answer|canceled|deadline|ok|error( [A-Za-z0-9._:/-]+)?) \d+(ms|\.\ds) req=[A-Za-z0-9._:/-]+ retries=\d+$`)

// TestVerboseAPICallsNoSecrets: --verbose prints every AWS call of check,
// fix, proxy and ssh (its preflight and its ProxyCommand) as one line with
// service, operation, status, duration, request id and retries, and none
// of it (nor anything else printed) holds a credential, a session token,
// a data channel token or a request signature. Needs no sshd: the
// sessions end at the instance's closed port.
func TestVerboseAPICallsNoSecrets(t *testing.T) {
	if ssmdoctorBin == "" {
		t.Fatal("the ssmdoctor binary could not be built (see TestMain output)")
	}
	needTool(t, "ssh")
	st := e2eState()
	st.AccessKeys[tempKeyID] = &awssim.AccessKey{ID: tempKeyID, Secret: tempSecret, SessionToken: tempToken, UserName: "ops", Status: "Active"}
	sim := simtest.Start(t, st, awssim.Options{Logf: func(string, ...any) {}})
	home := t.TempDir()
	base := []string{"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "TMPDIR=" + t.TempDir(),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + sim.URL(), "NO_COLOR=1"}
	long := append(base, "AWS_ACCESS_KEY_ID="+e2eKeyID, "AWS_SECRET_ACCESS_KEY="+e2eSecret)
	temp := append(base, "AWS_ACCESS_KEY_ID="+tempKeyID, "AWS_SECRET_ACCESS_KEY="+tempSecret, "AWS_SESSION_TOKEN="+tempToken)
	sshOpts := []string{"-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-v"}

	tr := &transcript{}
	runs := []struct {
		env  []string
		args []string
		want []string // lines that must appear, up to the duration
	}{
		{long, []string{"check", "--verbose", e2eID}, []string{"aws: ec2 DescribeInstances 200 ", "aws: sts GetCallerIdentity 200 "}},
		{temp, []string{"--verbose", "check", "--probe", "--probe-timeout", "5s", e2eID}, []string{"aws: ssm StartSession 200 "}},
		{long, []string{"fix", "--verbose", "--dry-run", "--start", e2eID}, []string{"aws: ec2 DescribeInstances 200 "}},
		{temp, []string{"proxy", "--verbose", e2eID, "22"}, []string{"aws: ssm StartSession 200 "}},
		{long, []string{"proxy", "--verbose", e2eDown, "22"}, []string{"aws: ssm StartSession 400 TargetNotConnected "}},
		{temp, append(append([]string{"ssh", "--verbose"}, sshOpts...), "ec2-user@"+e2eID, "true"),
			[]string{"aws: ssm DescribeInstanceInformation 200 ", "aws: iam SimulatePrincipalPolicy 200 ", "aws: ssm StartSession 200 "}},
	}
	for _, run := range runs {
		r := binRun(t, run.env, run.args...)
		tr.addRun(strings.Join(run.args, " "), r)
		calls := 0
		for _, line := range strings.Split(r.stderr, "\n") {
			if !strings.HasPrefix(line, "aws: ") {
				continue
			}
			calls++
			if !apiCallLine.MatchString(line) {
				t.Errorf("%q: malformed call line %q", run.args, line)
			}
			// The simulator sends EC2's request id only in the body (real
			// EC2 sends the x-amzn-RequestId header too), where the SDK
			// does not look for it on success.
			if strings.Contains(line, "req=-") && !strings.HasPrefix(line, "aws: ec2 ") {
				t.Errorf("%q: no request id in %q", run.args, line)
			}
		}
		for _, want := range run.want {
			if !strings.Contains(r.stderr, "\n"+want) && !strings.HasPrefix(r.stderr, want) {
				t.Errorf("%q (exit %d): no line starting %q in stderr:\n%s", run.args, r.code, want, r.stderr)
			}
		}
		if calls == 0 {
			t.Errorf("%q: --verbose printed no AWS call", run.args)
		}
	}
	tokens := sim.IssuedSessionTokens()
	if len(tokens) < 3 {
		t.Fatalf("%d data channel tokens issued: the runs did not open the sessions they should", len(tokens))
	}
	secrets := map[string]string{"the secret access key": e2eSecret, "the temporary secret key": tempSecret,
		"the temporary session token": tempToken, "the field name TokenValue": "TokenValue",
		"a SigV4 signature": "Signature=", "a SigV4 credential scope": "Credential=", "an Authorization header": "Authorization:",
		"a security token header": "X-Amz-Security-Token"}
	for i, tok := range tokens {
		secrets[fmt.Sprintf("data channel token %d of %d", i+1, len(tokens))] = tok
	}
	if where := tr.findSecret(secrets); where != "" {
		t.Fatalf("secret found: %s", where)
	}
}

// TestOnInstanceOnlyFingerprints: check --on-instance and fix
// --authorize-key, verbose, in every format, show keys by fingerprint
// only: no public key blob (the user's, the image's, someone else's, the
// EC2 key pair's that exposure-key-pair compares), no
// byte of the user's private key, and none of the token-like strings in
// the agent's log (redacted on the instance), nor the credentials.
func TestOnInstanceOnlyFingerprints(t *testing.T) {
	const (
		logToken    = "AQoDYXdzEJr0SecretSessionTokenFromTheAgentLog0123456789abcdef"
		logPassword = "hunter2-agent-password"
	)
	home := t.TempDir()
	t.Setenv("HOME", home)
	setPasswdHome(t, home)
	keyPath := filepath.Join(home, ".ssh", "id_ed25519")
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me@laptop", "-f", keyPath).CombinedOutput(); err != nil {
		t.Skipf("skipping: ssh-keygen: %v %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte("Host i-*\n  IdentityFile "+keyPath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pubLine, _ := os.ReadFile(keyPath + ".pub")
	privPEM, _ := os.ReadFile(keyPath)
	var imageKey, keyPairKey string
	sim := demoInProcess(t, awssim.DemoAccessKey, func(st *awssim.State) {
		keyPairKey = st.KeyPairs["demo-legacy"].PublicKey
		inst := st.Instances["i-0a11600d000000001"]
		inst.OS = awssim.DefaultOS(inst)
		imageKey = inst.OS.Files["/home/ec2-user/.ssh/authorized_keys"].Keys[0]
		inst.OS.AgentLog = []string{
			"2026-01-05 09:00:00 ERROR [MessageGatewayService] token=" + logToken + " refused",
			"2026-01-05 09:00:01 ERROR [Credentials] password: " + logPassword,
		}
	})
	_ = sim
	tr := &transcript{}
	for _, args := range [][]string{
		{"check", "i-0a11600d000000001", "i-0bad000000000000d", "i-0bad000000000000c", "--on-instance", "--verbose"},
		{"check", "i-0a11600d000000001", "i-0bad000000000000c", "--on-instance", "--format", "json"},
		{"check", "i-0a11600d000000001", "--on-instance", "--format", "junit"},
		{"check", "i-0a11600d000000001", "--on-instance", "--format", "github"},
		{"fix", "--authorize-key", "i-0bad000000000000d", "--dry-run", "--verbose"},
		{"fix", "--authorize-key", "i-0bad000000000000d", "--yes", "--poll", "10ms"},
	} {
		r := runInProcess(t, args...)
		if r.code == exitUsage || r.code == exitInternal {
			t.Fatalf("%q: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
		tr.add(strings.Join(args, " ")+" stdout", r.stdout)
		tr.add(strings.Join(args, " ")+" stderr", r.stderr)
	}
	all := ""
	for _, p := range tr.parts {
		all += p.text
	}
	for _, want := range []string{"SHA256:", "[redacted]", "is authorized for ec2-user", "key pair demo-legacy (SHA256:"} {
		if !strings.Contains(all, want) {
			t.Fatalf("the runs did not show %q: they did not exercise what they should", want)
		}
	}
	blob := func(line string) string { return strings.Fields(line)[1] }
	secrets := map[string]string{
		"the user's public key": blob(string(pubLine)), "the image's public key": blob(imageKey),
		"the key pair's public key":    blob(keyPairKey),
		"someone else's public key":    "AAAAC3NzaC1lZDI1NTE5AAAAIOw0gBrqGxwq2bHtCGBAc2NVWY2gTfUjpyZ9mxIr1kHZ",
		"the token in the agent's log": logToken, "the password in the agent's log": logPassword,
		"the secret access key": awssim.DemoSecretKey,
	}
	// The private key file's base64 body, line by line.
	for i, l := range strings.Split(string(privPEM), "\n") {
		if len(l) >= leakWindow && !strings.HasPrefix(l, "-----") {
			secrets[fmt.Sprintf("private key line %d", i+1)] = l
		}
	}
	if where := tr.findSecret(secrets); where != "" {
		t.Fatalf("found %s", where)
	}
}
