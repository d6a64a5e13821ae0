package main

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
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// oneTimeKey is an ed25519 key that exists only in this process. ssh
// reaches it through a private agent on a unix socket in a 0700 directory;
// the directory holds the public half only and is removed by Close.
type oneTimeKey struct {
	dir     string
	sock    string
	pubPath string
	pub     ssh.PublicKey
	ln      net.Listener
	wg      sync.WaitGroup
}

func newOneTimeKey() (*oneTimeKey, error) {
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
	k := &oneTimeKey{dir: dir, sock: filepath.Join(dir, "agent.sock"), pubPath: filepath.Join(dir, "id_ed25519.pub"), pub: pub}
	if err := os.Chmod(dir, 0o700); err != nil {
		k.Close()
		return nil, fmt.Errorf("one-time key directory: %w", err)
	}
	if err := os.WriteFile(k.pubPath, ssh.MarshalAuthorizedKey(pub), 0o600); err != nil {
		k.Close()
		return nil, fmt.Errorf("write one-time public key: %w", err)
	}
	k.ln, err = net.Listen("unix", k.sock)
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

// sshOptions make ssh (and scp) offer this key and no other: -i names the
// public half, which selects the matching agent key.
func (k *oneTimeKey) sshOptions() []string {
	return []string{"-o", "IdentityAgent=" + k.sock, "-o", "IdentitiesOnly=yes", "-i", k.pubPath}
}

// push hands the public key to EC2 Instance Connect for 60 seconds.
func (k *oneTimeKey) push(ctx context.Context, eic *ec2instanceconnect.Client, id, osUser string) error {
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

func (k *oneTimeKey) Close() {
	if k.ln != nil {
		k.ln.Close()
	}
	os.RemoveAll(k.dir)
}

// userHasKey reports whether ssh would have something to offer without
// us: a default identity file or a key in the user's agent.
func userHasKey() bool {
	if home, err := os.UserHomeDir(); err == nil {
		for _, n := range []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"} {
			if _, err := os.Stat(filepath.Join(home, ".ssh", n)); err == nil {
				return true
			}
		}
	}
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return false
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		return false
	}
	defer c.Close()
	keys, err := agent.NewClient(c).List()
	return err == nil && len(keys) > 0
}
