//go:build windows

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// End-to-end on Windows (the windows-latest CI job): the real ssh.exe runs
// the ProxyCommand that `fix --ssh-config` wrote, from a directory with a
// space in its name, to the simulator; `ssmdoctor ssh --ephemeral-key`
// hands ssh.exe a one-time key through the named-pipe agent; and the
// --via aws-cli form runs without sh -c. The instance's sshd is a small
// SSH server in this test (Windows runners have no sshd running).

func TestWindowsE2E(t *testing.T) {
	sshExe, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatalf("ssh.exe (Windows OpenSSH) is not on PATH: %v", err)
	}
	root := t.TempDir()
	binDir := filepath.Join(root, "tools with space")
	exe := filepath.Join(binDir, "ssmdoctor.exe")
	goBuild(t, exe, ".", "-ldflags", "-X github.com/ssmdoctor/ssmdoctor/internal/sshconfig.testHomeVar=SSMDOCTOR_TEST_PASSWD_HOME")

	st := awssim.DemoScenario()
	sim := simtest.Start(t, st, awssim.Options{})
	userPub, userKeyFile := writeUserKey(t, filepath.Join(root, "keys"))
	addr := startTestSSHServer(t, func(user string, k ssh.PublicKey) bool {
		if bytes.Equal(k.Marshal(), userPub.Marshal()) {
			return true
		}
		for _, line := range sim.AuthorizedKeys(demoHealthy, user) {
			if pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err == nil && bytes.Equal(pk.Marshal(), k.Marshal()) {
				return true
			}
		}
		return false
	})
	sim.WithState(func(st *awssim.State) { st.Instances[demoHealthy].Ports = map[string]string{"22": addr} })

	home := filepath.Join(root, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	key := st.AccessKeys[awssim.DemoAccessKey]
	env := []string{"USERPROFILE=" + home, "HOME=" + home, "SSMDOCTOR_TEST_PASSWD_HOME=" + home,
		"AWS_ENDPOINT_URL=" + sim.URL(), "AWS_ACCESS_KEY_ID=" + key.ID, "AWS_SECRET_ACCESS_KEY=" + key.Secret,
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "aws-credentials"), "NO_COLOR=1"}
	known := filepath.Join(home, "known_hosts")
	sshOpts := []string{"-o", "UserKnownHostsFile=" + known, "-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes"}
	own := filepath.Join(home, ".ssh", "ssmdoctor.conf")

	// 1. fix --ssh-config, then ssh.exe through the ProxyCommand it wrote.
	if r := runWin(t, env, exe, "fix", "--ssh-config", "--yes"); r.code != 0 {
		t.Fatalf("fix --ssh-config: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	conf, _ := os.ReadFile(own)
	if want := `ProxyCommand "` + exe + `" proxy %h %p`; !strings.Contains(string(conf), want) {
		t.Fatalf("%s lacks %s:\n%s", own, want, conf)
	}
	r := runWin(t, env, sshExe, append(append([]string{"-F", own, "-i", userKeyFile, "-o", "IdentitiesOnly=yes"}, sshOpts...), "ec2-user@"+demoHealthy, "hello")...)
	if r.code != 0 || r.stdout != "ran: hello\n" {
		t.Fatalf("ssh.exe through the ProxyCommand: exit %d\nstdout %q\nstderr %s", r.code, r.stdout, r.stderr)
	}

	// 2. A one-time key through the named-pipe agent: only the pushed key
	// opens the door (the user's own key is not offered: IdentitiesOnly).
	r = runWin(t, env, exe, append(append([]string{"ssh", "--ephemeral-key"}, sshOpts...), "ec2-user@"+demoHealthy, "one-time")...)
	if r.code != 0 || r.stdout != "ran: one-time\n" {
		t.Fatalf("ssmdoctor ssh --ephemeral-key: exit %d\nstdout %q\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if len(sim.AuthorizedKeys(demoHealthy, "ec2-user")) == 0 {
		t.Fatal("no key was pushed with EC2 Instance Connect")
	}

	// 3. The --via aws-cli form, without sh -c: a stand-in aws.exe (also
	// in a directory with a space) records its arguments and carries the
	// session through ssmdoctor proxy.
	awsDir := filepath.Join(root, "Amazon CLI")
	writeFakeAWS(t, filepath.Join(awsDir, "aws.exe"))
	record := filepath.Join(root, "aws-args.txt")
	awsEnv := append(env, "PATH="+awsDir+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_AWS_RECORD="+record, "FAKE_AWS_SSMDOCTOR="+exe)
	if r := runWin(t, awsEnv, exe, "fix", "--ssh-config", "--via", "aws-cli", "--yes"); r.code != 0 && r.code != 1 {
		// 1: the re-check may warn that the plugin is missing; the file is written.
		t.Fatalf("fix --ssh-config --via aws-cli: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	conf, _ = os.ReadFile(own)
	if want := `ProxyCommand "` + filepath.Join(awsDir, "aws.exe") + `" ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p`; !strings.Contains(string(conf), want) || strings.Contains(string(conf), "sh -c") {
		t.Fatalf("%s:\n%s\nwant %s", own, conf, want)
	}
	r = runWin(t, awsEnv, sshExe, append(append([]string{"-F", own, "-i", userKeyFile, "-o", "IdentitiesOnly=yes"}, sshOpts...), "ec2-user@"+demoHealthy, "via-aws")...)
	if r.code != 0 || r.stdout != "ran: via-aws\n" {
		t.Fatalf("ssh.exe through the aws-cli form: exit %d\nstdout %q\nstderr %s", r.code, r.stdout, r.stderr)
	}
	got, _ := os.ReadFile(record)
	if want := "ssm\nstart-session\n--target\n" + demoHealthy + "\n--document-name\nAWS-StartSSHSession\n--parameters\nportNumber=22"; string(got) != want {
		t.Fatalf("aws.exe got\n%s\nwant\n%s", got, want)
	}
}

func goBuild(t *testing.T, out, pkg string, flags ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"build", "-o", out}, flags...), pkg)
	cmd := exec.Command("go", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, b)
	}
}

func runWin(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader("")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return result{code, strings.ReplaceAll(so.String(), "\r\n", "\n"), se.String()}
}

func writeUserKey(t *testing.T, dir string) (ssh.PublicKey, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sp, path
}

// startTestSSHServer serves SSH on loopback: public keys accept says yes
// to, and "exec" answered with "ran: COMMAND".
func startTestSSHServer(t *testing.T, accept func(user string, k ssh.PublicKey) bool) string {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if accept(c.User(), k) {
			return nil, nil
		}
		return nil, fmt.Errorf("key not accepted for %s", c.User())
	}}
	cfg.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go serveTestSSH(nc, cfg)
		}
	}()
	return l.Addr().String()
}

func serveTestSSH(nc net.Conn, cfg *ssh.ServerConfig) {
	defer nc.Close()
	conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range creqs {
				if req.Type != "exec" {
					req.Reply(req.Type == "env", nil)
					continue
				}
				var p struct{ Command string }
				if err := ssh.Unmarshal(req.Payload, &p); err != nil {
					req.Reply(false, nil)
					return
				}
				req.Reply(true, nil)
				fmt.Fprintf(ch, "ran: %s\n", p.Command)
				ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
				return
			}
		}()
	}
}

// writeFakeAWS builds a stand-in aws.exe that records its arguments, one
// a line, and carries the session through `ssmdoctor proxy TARGET PORT`.
func writeFakeAWS(t *testing.T, out string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "fakeaws")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	prog := `package main

import (
	"os"
	"os/exec"
	"strings"
)

func main() {
	args := os.Args[1:]
	os.WriteFile(os.Getenv("FAKE_AWS_RECORD"), []byte(strings.Join(args, "\n")), 0o600)
	var target, port string
	for i, a := range args {
		if a == "--target" && i+1 < len(args) {
			target = args[i+1]
		}
		if p, ok := strings.CutPrefix(a, "portNumber="); ok {
			port = p
		}
	}
	cmd := exec.Command(os.Getenv("FAKE_AWS_SSMDOCTOR"), "proxy", target, port)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Exit(1)
	}
}
`
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(prog), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module fakeaws\n\ngo 1.26\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = src
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		t.Fatal(err)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in aws.exe: %v\n%s", err, b)
	}
}
