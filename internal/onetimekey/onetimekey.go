// Package onetimekey makes the SSH keys of `ssmdoctor ssh --ephemeral-key`:
// an ed25519 key that lives only in this process, offered to ssh through a
// private agent socket, and pushed to the instance with EC2 Instance
// Connect for its 60 seconds.
package onetimekey

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ec2instanceconnect"
	"github.com/aws/smithy-go"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Key is an ed25519 key that exists only in this process. ssh
// reaches it through a private agent: a unix socket in a 0700 directory,
// or on Windows a named pipe whose ACL admits the current user alone
// (agent_unix.go, agent_windows.go). The directory holds the public half
// only and is removed by Close.
type Key struct {
	dir     string
	sock    string
	pubPath string
	pub     ssh.PublicKey
	ln      net.Listener
	wg      sync.WaitGroup
}

// New makes a key and starts its agent; Close removes both.
func New() (*Key, error) {
	pubKey, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate one-time key: %w", err)
	}
	pub, err := ssh.NewPublicKey(pubKey)
	if err != nil {
		return nil, fmt.Errorf("generate one-time key: %w", err)
	}
	ring := agent.NewKeyring()
	if err := ring.Add(agent.AddedKey{PrivateKey: priv, Comment: "ssmdoctor one-time key"}); err != nil {
		return nil, fmt.Errorf("load one-time key into the agent: %w", err)
	}
	dir, err := os.MkdirTemp("", "ssmdoctor-key-")
	if err != nil {
		return nil, fmt.Errorf("one-time key directory: %w", err)
	}
	k := &Key{dir: dir, pubPath: filepath.Join(dir, "id_ed25519.pub"), pub: pub}
	if err := os.Chmod(dir, 0o700); err != nil {
		k.Close()
		return nil, fmt.Errorf("one-time key directory: %w", err)
	}
	if err := os.WriteFile(k.pubPath, ssh.MarshalAuthorizedKey(pub), 0o600); err != nil {
		k.Close()
		return nil, fmt.Errorf("write one-time public key: %w", err)
	}
	k.ln, k.sock, err = listenAgent(dir)
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("one-time key agent: %w", err)
	}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		for {
			c, err := k.ln.Accept()
			if err != nil {
				return
			}
			k.wg.Add(1)
			go func() {
				defer k.wg.Done()
				defer c.Close()
				agent.ServeAgent(ring, c)
			}()
		}
	}()
	return k, nil
}

// SSHOptions make ssh (and scp) offer this key and no other: -i names the
// public half, which selects the matching agent key.
func (k *Key) SSHOptions() []string {
	return append(identityAgentOptions(k.sock), "-o", "IdentitiesOnly=yes", "-i", k.pubPath)
}

// Env is what ssh's environment must hold besides SSHOptions: on Windows
// the agent's pipe in SSH_AUTH_SOCK (its path cannot travel through -o,
// whose backslashes ssh unescapes); nothing elsewhere.
func (k *Key) Env() []string { return agentEnv(k.sock) }

// SendAPI is the EC2 Instance Connect call Push makes.
type SendAPI interface {
	SendSSHPublicKey(context.Context, *ec2instanceconnect.SendSSHPublicKeyInput, ...func(*ec2instanceconnect.Options)) (*ec2instanceconnect.SendSSHPublicKeyOutput, error)
}

// Push hands the public key to EC2 Instance Connect for 60 seconds.
func (k *Key) Push(ctx context.Context, eic SendAPI, id, osUser string) error {
	key := string(ssh.MarshalAuthorizedKey(k.pub))
	out, err := eic.SendSSHPublicKey(ctx, &ec2instanceconnect.SendSSHPublicKeyInput{InstanceId: &id, InstanceOSUser: &osUser, SSHPublicKey: &key})
	if err != nil {
		return fmt.Errorf("send one-time key for %s@%s: %s", osUser, id, apiText(err))
	}
	if !out.Success {
		return errors.New("send one-time key: EC2 Instance Connect did not accept it")
	}
	return nil
}

// Close stops the agent and removes the key's directory.
func (k *Key) Close() {
	if k.ln != nil {
		k.ln.Close()
	}
	os.RemoveAll(k.dir)
}

// UserHasKey reports whether ssh would have something to offer without
// us: a default identity file under home (the passwd entry's home, which
// ssh reads, not $HOME) or a key in the agent at sock (SSH_AUTH_SOCK).
func UserHasKey(home, sock string) bool {
	if home != "" {
		for _, n := range []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"} {
			if _, err := os.Stat(filepath.Join(home, ".ssh", n)); err == nil {
				return true
			}
		}
	}
	if sock == "" {
		sock = defaultAgent
	}
	if sock == "" {
		return false
	}
	c, err := dialAgent(sock)
	if err != nil {
		return false
	}
	defer c.Close()
	keys, err := agent.NewClient(c).List()
	return err == nil && len(keys) > 0
}

func apiText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
