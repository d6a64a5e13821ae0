package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func localIdentitiesCheck() Check {
	return New("local-identities", "the keys ssh will offer (fingerprints)", LayerLocal,
		[]string{"ssh-config"}, 10*time.Second, runLocalIdentities)
}

const unreadableNote = ": ssh offers it, but its public half could not be read here (no readable .pub)"

// offeredKey is a public key ssh will offer, by fingerprint only.
type offeredKey struct {
	Fingerprint string // SHA256:…
	Type        string // ssh-ed25519, …
	Source      string // the file, or "ssh-agent"
}

func (k offeredKey) String() string { return k.Fingerprint + " (" + k.Source + ")" }

// offeredKeys lists, in ssh's order, the public keys ssh offers the
// target: the agent's keys (only those of the identity files with
// IdentitiesOnly yes), then each IdentityFile's public half (its .pub, or
// read from the private key file, which never leaves this function).
func offeredKeys(ctx context.Context, env *Env) ([]offeredKey, []string, error) {
	eff, err := env.Local.EffectiveSSH(ctx, env.SSHHost())
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	var files []offeredKey
	for _, f := range eff.Config.All("identityfile") {
		if f == "none" {
			continue
		}
		path := env.Local.ExpandHome(f)
		k, ok := publicOf(env, path)
		switch {
		case ok:
			files = append(files, k)
		case env.Local.Stat != nil:
			if fi, err := env.Local.Stat(path); err == nil && !fi.IsDir() {
				notes = append(notes, path+unreadableNote)
			}
		}
	}
	only := strings.EqualFold(eff.Config.Get("identitiesonly"), "yes")
	var out []offeredKey
	agentKeys, aerr := agentPublicKeys(ctx, env)
	if aerr != nil {
		notes = append(notes, "ssh-agent: "+aerr.Error())
	}
	inFiles := map[string]bool{}
	for _, k := range files {
		inFiles[k.Fingerprint] = true
	}
	for _, k := range agentKeys {
		if only && !inFiles[k.Fingerprint] {
			continue
		}
		out = append(out, k)
	}
	if only && len(agentKeys) > 0 {
		notes = append(notes, "IdentitiesOnly yes: the agent's other keys are not offered")
	}
	seen := map[string]bool{}
	for _, k := range out {
		seen[k.Fingerprint] = true
	}
	for _, k := range files {
		if !seen[k.Fingerprint] {
			out = append(out, k)
			seen[k.Fingerprint] = true
		}
	}
	return out, notes, nil
}

// publicOf reads a key file's public half: path.pub when it exists, else
// the private key's (an encrypted OpenSSH key still names its public key).
func publicOf(env *Env, path string) (offeredKey, bool) {
	if b, err := env.Local.ReadFile(path + ".pub"); err == nil {
		if pk, _, _, _, err := ssh.ParseAuthorizedKey(b); err == nil {
			return offeredKey{Fingerprint: ssh.FingerprintSHA256(pk), Type: pk.Type(), Source: path}, true
		}
	}
	b, err := env.Local.ReadFile(path)
	if err != nil {
		return offeredKey{}, false
	}
	signer, err := ssh.ParsePrivateKey(b)
	var pme *ssh.PassphraseMissingError
	switch {
	case err == nil:
		pk := signer.PublicKey()
		return offeredKey{Fingerprint: ssh.FingerprintSHA256(pk), Type: pk.Type(), Source: path}, true
	case errors.As(err, &pme) && pme.PublicKey != nil:
		return offeredKey{Fingerprint: ssh.FingerprintSHA256(pme.PublicKey), Type: pme.PublicKey.Type(), Source: path}, true
	}
	return offeredKey{}, false
}

// agentPublicKeys lists the keys of the agent at SSH_AUTH_SOCK (none when
// unset), within a few seconds.
func agentPublicKeys(ctx context.Context, env *Env) ([]offeredKey, error) {
	sock := env.Local.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the agent at SSH_AUTH_SOCK: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		return nil, fmt.Errorf("list the agent's keys: %w", err)
	}
	var out []offeredKey
	for _, k := range keys {
		pk, err := ssh.ParsePublicKey(k.Blob)
		if err != nil {
			continue
		}
		out = append(out, offeredKey{Fingerprint: ssh.FingerprintSHA256(pk), Type: pk.Type(), Source: "ssh-agent"})
	}
	return out, nil
}

func runLocalIdentities(ctx context.Context, env *Env) Result {
	if env.Options.Ephemeral {
		return Pass("a one-time key is pushed through EC2 Instance Connect and offered through a private agent")
	}
	keys, notes, err := offeredKeys(ctx, env)
	if err != nil {
		return Undetermined("ssh -G", "could not read the effective ssh configuration: %v", err)
	}
	if len(keys) == 0 && slices.ContainsFunc(notes, func(n string) bool { return strings.HasSuffix(n, unreadableNote) }) {
		return Pass("ssh offers keys whose fingerprints could not be read here").WithDetails(notes...)
	}
	if len(keys) == 0 {
		return Warn("ssh has no key to offer %s (no identity file with a public half, no agent key)", env.SSHHost()).
			WithDetails(notes...).WithFix("ssh-keygen -t ed25519", "")
	}
	var lines []string
	for _, k := range keys {
		lines = append(lines, k.String())
	}
	return Pass("ssh offers %d key(s): %s", len(keys), keys[0].Fingerprint).WithDetails(append(lines, notes...)...)
}
