// Package testsshd runs a private OpenSSH sshd on a free loopback port for
// tests: its own host key, config, authorized keys and pid file in a temp
// dir, nothing on the host changed except, as root, creating the privilege
// separation directory /run/sshd that the Debian package expects.
//
// When sshd is absent the test is skipped with a reason, unless CI=true,
// where absence fails the test (CI must prove the real peer works).
package testsshd

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Options tune the server. The zero value gives a server that accepts the
// generated user key for the current OS user.
type Options struct {
	// SSHDPath overrides the sshd binary (default: $SSHD, then
	// /usr/sbin/sshd, then PATH). It must be absolute: sshd re-execs itself.
	SSHDPath string
	// AuthorizedKeysScript, when set, is the body of a /bin/sh script that
	// sshd runs as AuthorizedKeysCommand with the arguments
	// "%u %t %k %f" (user, key type, base64 key, fingerprint); the keys it
	// prints are accepted in addition to the authorized_keys file. It works
	// with and without root (see installKeysCommand).
	AuthorizedKeysScript string
	// NoAuthorizedKeysFile leaves the generated user key out of
	// authorized_keys, so that only AuthorizedKeysScript can admit a key.
	NoAuthorizedKeysFile bool
	// LogLevel is sshd's LogLevel (default INFO); DEBUG3 helps when a test
	// fails on authentication.
	LogLevel string
	// ExtraConfig lines are appended to sshd_config verbatim.
	ExtraConfig []string
	// AuthorizedKeysFile replaces the server's own authorized_keys file
	// (which then is not written), e.g. "%h/.ssh/authorized_keys".
	AuthorizedKeysFile string
}

// Server is a running sshd. Everything stops when the test ends.
type Server struct {
	// Addr is host:port of the listener, always on 127.0.0.1.
	Addr string
	Host string
	Port int
	// User is the OS user that may log in (the user running the test).
	User string
	// Dir holds the config, keys and log of this server.
	Dir string
	// UserKeyPath is an OpenSSH private key file (0600, no passphrase)
	// for ssh -i; UserSigner is the same key for golang.org/x/crypto/ssh.
	UserKeyPath string
	UserSigner  ssh.Signer
	// UserPublicKey is the authorized_keys line of the user key.
	UserPublicKey string
	// HostKey is the server's host key; KnownHostsPath holds a
	// known_hosts line for it ("[127.0.0.1]:PORT ...").
	HostKey        ssh.PublicKey
	KnownHostsPath string
	ConfigPath     string
	// KeysCommandPath is the installed AuthorizedKeysScript (empty without
	// one); its directory may hold files it reads.
	KeysCommandPath string

	logM sync.Mutex
	log  strings.Builder
}

// Log returns what sshd has written to its stderr so far (-e mode).
func (s *Server) Log() string {
	s.logM.Lock()
	defer s.logM.Unlock()
	return s.log.String()
}

// SSHArgs returns ssh client arguments that log in to this server with the
// generated key and verify its host key, ignoring the user's own config:
// append a command, or put ProxyCommand options before the destination.
func (s *Server) SSHArgs() []string {
	return []string{
		"-F", "/dev/null",
		"-i", s.UserKeyPath,
		"-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + s.KnownHostsPath,
		"-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes",
		"-p", strconv.Itoa(s.Port),
		"-l", s.User,
		s.Host,
	}
}

// ClientConfig is a golang.org/x/crypto/ssh client config for this server.
func (s *Server) ClientConfig() *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.UserSigner)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
	}
}

// Find returns the sshd binary that Start would use, or an error saying why
// there is none.
func Find(opts Options) (string, error) {
	for _, p := range []string{opts.SSHDPath, os.Getenv("SSHD"), "/usr/sbin/sshd"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("sshd")
	if err != nil {
		return "", fmt.Errorf("find sshd: not in /usr/sbin or PATH (install openssh-server)")
	}
	return filepath.Abs(p)
}

// Start runs sshd for the test, waits until it listens and registers its
// shutdown with t.Cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := Find(opts)
	if err != nil {
		skipOrFail(t, err.Error())
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		skipOrFail(t, "ssh-keygen not found: cannot make a host key")
	}
	if os.Geteuid() == 0 {
		// The Debian sshd refuses to start without its privilege separation
		// directory, which a container's tmpfs /run lacks.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatalf("create /run/sshd for sshd privilege separation: %v", err)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("look up current user: %v", err)
	}
	s := &Server{Dir: t.TempDir(), User: u.Username, Host: "127.0.0.1"}
	s.writeKeys(t)
	if opts.AuthorizedKeysScript != "" {
		opts.ExtraConfig = append(opts.ExtraConfig, s.installKeysCommand(t, opts.AuthorizedKeysScript, u.Username)...)
	}
	// The port is picked by the kernel and released before sshd binds it,
	// so another process can take it in between: retry on a bind failure.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("pick a free loopback port: %v", err)
		}
		s.Port = port
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
		s.writeConfig(t, opts)
		if out, err := exec.Command(bin, "-t", "-f", s.ConfigPath).CombinedOutput(); err != nil {
			t.Fatalf("sshd -t -f %s: %v\n%s", s.ConfigPath, err, out)
		}
		lastErr = s.run(t, bin)
		if lastErr == nil {
			s.writeKnownHosts(t)
			return s
		}
	}
	t.Fatalf("start sshd: %v\nlog:\n%s", lastErr, s.Log())
	return nil
}

func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("real sshd required in CI: %s", reason)
	}
	t.Skipf("skipping: %s", reason)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) writeKeys(t testing.TB) {
	t.Helper()
	hostKey := filepath.Join(s.Dir, "ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "testsshd-host", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen host key: %v\n%s", err, out)
	}
	pubLine, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatalf("read host public key: %v", err)
	}
	s.HostKey, _, _, _, err = ssh.ParseAuthorizedKey(pubLine)
	if err != nil {
		t.Fatalf("parse host public key: %v", err)
	}

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate user key: %v", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "testsshd-user")
	if err != nil {
		t.Fatalf("encode user key: %v", err)
	}
	s.UserKeyPath = filepath.Join(s.Dir, "id_ed25519")
	if err := os.WriteFile(s.UserKeyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatalf("write user key: %v", err)
	}
	s.UserSigner, err = ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("user key signer: %v", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatalf("user public key: %v", err)
	}
	s.UserPublicKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	if err := os.WriteFile(s.UserKeyPath+".pub", []byte(s.UserPublicKey+"\n"), 0o644); err != nil {
		t.Fatalf("write user public key: %v", err)
	}
}

// installKeysCommand writes the script into the server's directory and
// has sshd run it through /bin/sh. sshd insists that the command it
// executes sits on a root-owned path no one else can write, which a temp
// dir never is; /bin/sh is, and the script is only its argument. So the
// command works without root too (sshd then runs it as the one user it
// can: AuthorizedKeysCommandUser is the current user).
func (s *Server) installKeysCommand(t testing.TB, script, username string) []string {
	t.Helper()
	dir := filepath.Join(s.Dir, "keys-command")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("create AuthorizedKeysCommand dir: %v", err)
	}
	path := filepath.Join(dir, "authorized-keys")
	if strings.ContainsAny(path, " \t\"'") {
		t.Skipf("skipping: the temp dir %q has characters sshd_config cannot carry unquoted", path)
	}
	s.KeysCommandPath = path
	body := script
	if !strings.HasPrefix(body, "#!") {
		body = "#!/bin/sh\n" + body
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatalf("write AuthorizedKeysCommand: %v", err)
	}
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Fatalf("resolve /bin/sh for AuthorizedKeysCommand: %v", err)
	}
	return []string{
		"AuthorizedKeysCommand " + sh + " " + path + " %u %t %k %f",
		"AuthorizedKeysCommandUser " + username,
	}
}

func (s *Server) writeConfig(t testing.TB, opts Options) {
	t.Helper()
	authKeys := filepath.Join(s.Dir, "authorized_keys")
	content := ""
	if !opts.NoAuthorizedKeysFile {
		content = s.UserPublicKey + "\n"
	}
	if err := os.WriteFile(authKeys, []byte(content), 0o600); err != nil {
		t.Fatalf("write authorized_keys: %v", err)
	}
	akf := authKeys
	if opts.AuthorizedKeysFile != "" {
		akf = opts.AuthorizedKeysFile
	}
	level := opts.LogLevel
	if level == "" {
		level = "INFO"
	}
	lines := []string{
		"ListenAddress 127.0.0.1",
		"Port " + strconv.Itoa(s.Port),
		"HostKey " + filepath.Join(s.Dir, "ssh_host_ed25519_key"),
		"AuthorizedKeysFile " + akf,
		"PidFile " + filepath.Join(s.Dir, "sshd.pid"),
		"UsePAM no",
		"StrictModes no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
		"LogLevel " + level,
	}
	// scp in OpenSSH 9 uses the sftp protocol, so tunnels carrying scp need it.
	for _, p := range []string{"/usr/lib/openssh/sftp-server", "/usr/libexec/sftp-server", "/usr/libexec/openssh/sftp-server"} {
		if _, err := os.Stat(p); err == nil {
			lines = append(lines, "Subsystem sftp "+p)
			break
		}
	}
	lines = append(lines, opts.ExtraConfig...)
	s.ConfigPath = filepath.Join(s.Dir, "sshd_config")
	if err := os.WriteFile(s.ConfigPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatalf("write sshd_config: %v", err)
	}
}

func (s *Server) writeKnownHosts(t testing.TB) {
	t.Helper()
	line := knownHostsLine(s.Host, s.Port, s.HostKey)
	s.KnownHostsPath = filepath.Join(s.Dir, "known_hosts")
	if err := os.WriteFile(s.KnownHostsPath, []byte(line+"\n"), 0o644); err != nil {
		t.Fatalf("write known_hosts: %v", err)
	}
}

func knownHostsLine(host string, port int, key ssh.PublicKey) string {
	h := host
	if port != 22 {
		h = fmt.Sprintf("[%s]:%d", host, port)
	}
	return h + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

// run starts sshd in the foreground and waits for its "Server listening"
// line; a bind failure is returned so that Start can pick another port.
func (s *Server) run(t testing.TB, bin string) error {
	t.Helper()
	cmd := exec.Command(bin, "-D", "-e", "-f", s.ConfigPath)
	setProcessGroup(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("sshd stderr pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", bin, err)
	}
	ready := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		want := "Server listening on 127.0.0.1 port " + strconv.Itoa(s.Port)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			s.logM.Lock()
			s.log.WriteString(line + "\n")
			s.logM.Unlock()
			if strings.Contains(line, want) {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		cmd.Wait()
		close(exited)
	}()
	// A generous bound: sshd normally listens within milliseconds, but a
	// loaded CI machine must not turn into a hung test.
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case <-ready:
		t.Cleanup(func() {
			stopProcessGroup(cmd)
			<-exited
			if t.Failed() {
				t.Logf("sshd log (%s):\n%s", s.Addr, s.Log())
			}
		})
		return nil
	case <-exited:
		return fmt.Errorf("sshd exited before listening on %s", s.Addr)
	case <-timer.C:
		stopProcessGroup(cmd)
		<-exited
		return fmt.Errorf("sshd did not listen on %s within 30s", s.Addr)
	}
}
