package checks

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// agentWith serves an ssh-agent holding n fresh keys on a unix socket in a
// temp dir and returns the socket and the keys' fingerprints.
func agentWith(t *testing.T, n int) (string, []string) {
	t.Helper()
	kr := agent.NewKeyring()
	var fps []string
	for range n {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := kr.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
			t.Fatal(err)
		}
		pk, _ := ssh.NewPublicKey(priv.Public())
		fps = append(fps, ssh.FingerprintSHA256(pk))
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("skipping: no unix socket here: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); agent.ServeAgent(kr, c) }()
		}
	}()
	return sock, fps
}

func TestLocalIdentities(t *testing.T) {
	const host = "i-0123456789abcdef0"
	sock, agentFPs := agentWith(t, 2)
	filePub := demoPublicKey
	cases := []struct {
		name     string
		g        string
		env      map[string]string
		pub      bool
		status   Status
		want     []string // fingerprints in the details, in order
		notWant  []string
		contains string
	}{
		{"agent keys first, then the file", "identityfile ~/.ssh/id_ed25519\n", map[string]string{"SSH_AUTH_SOCK": sock}, true, StatusPass,
			[]string{agentFPs[0], agentFPs[1], demoFingerprint}, nil, "ssh offers 3 key(s)"},
		{"IdentitiesOnly drops the agent's other keys", "identityfile ~/.ssh/id_ed25519\nidentitiesonly yes\n", map[string]string{"SSH_AUTH_SOCK": sock}, true, StatusPass,
			[]string{demoFingerprint}, agentFPs, "ssh offers 1 key(s)"},
		{"no key anywhere", "identityfile ~/.ssh/id_ed25519\n", nil, false, StatusWarn, nil, nil, "no key to offer"},
		{"an agent that does not answer", "identityfile ~/.ssh/id_ed25519\n", map[string]string{"SSH_AUTH_SOCK": filepath.Join(t.TempDir(), "gone.sock")}, true, StatusPass,
			[]string{demoFingerprint}, nil, "ssh offers 1 key(s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMachine()
			m.sshG(host, "user ec2-user\nhostname "+host+"\nport 22\n"+tc.g)
			for k, v := range tc.env {
				m.env[k] = v
			}
			if tc.pub {
				m.files["/home/u/.ssh/id_ed25519.pub"] = fakeFile{mode: 0o644, data: filePub + "\n"}
			}
			env := &Env{Local: m.local(), Target: &Target{InstanceID: host}}
			r := localIdentitiesCheck().Run(context.Background(), env)
			details := strings.Join(r.Details, "\n")
			if r.Status != tc.status || !strings.Contains(r.Message, tc.contains) {
				t.Fatalf("%s %q %q, want %s %q", r.Status, r.Message, details, tc.status, tc.contains)
			}
			last := -1
			for _, fp := range tc.want {
				i := strings.Index(details, fp)
				if i < 0 || i < last {
					t.Fatalf("details lack %s in order:\n%s", fp, details)
				}
				last = i
			}
			for _, fp := range tc.notWant {
				if strings.Contains(details, fp) {
					t.Fatalf("details show %s:\n%s", fp, details)
				}
			}
			if strings.Contains(r.Message+details, "AAAA") {
				t.Fatalf("key material in the output: %q %q", r.Message, details)
			}
		})
	}
}
