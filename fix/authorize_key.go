package fix

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
)

// PublicKey is the key fix --authorize-key adds: its authorized_keys line
// (never shown), its fingerprint and where it was read.
type PublicKey struct {
	Line, Fingerprint, Type, Source string
}

// ParsePublicKey reads one public key line (a .pub file's content).
func ParsePublicKey(b []byte, source string) (PublicKey, error) {
	pk, comment, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%s: not a public key: %w", source, err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
	if comment = strings.TrimSpace(comment); comment != "" && !strings.ContainsAny(comment, "'\"\\`$\r\n") {
		line += " " + comment
	}
	return PublicKey{Line: line, Fingerprint: ssh.FingerprintSHA256(pk), Type: pk.Type(), Source: source}, nil
}

// AuthorizeKeyRequest is what fix --authorize-key adds, for whom, and
// where sshd's configuration is on the instance ("" for
// /etc/ssh/sshd_config). DryRun plans without the read-only look, which
// is itself a command sent to the instance.
type AuthorizeKeyRequest struct {
	User       string
	Key        PublicKey
	SSHDConfig string
	DryRun     bool
}

// PlanAuthorizeKey adds the key to the user's authorized keys file on the
// instance (the first AuthorizedKeysFile sshd -T gives for the user),
// through Run Command: ~/.ssh is created 0700 and the file 0600, owned
// by the user, and a key already there is not added twice. A read-only
// look first: a key already authorized, with modes StrictModes accepts,
// makes the plan empty.
func PlanAuthorizeKey(ctx context.Context, a *AWS, instanceID string, r AuthorizeKeyRequest) (*Plan, error) {
	user, key, sshdConfig := r.User, r.Key, r.SSHDConfig
	p := &Plan{Title: fmt.Sprintf("authorize %s for %s on %s", key.Fingerprint, user, instanceID)}
	if r.DryRun {
		if err := a.linuxNode(ctx, instanceID); err != nil {
			return nil, err
		}
		p.Notes = append(p.Notes, "--dry-run sends nothing, not even the read-only look: the script leaves a key that is already there alone")
		return p, addKeyStep(a, p, instanceID, user, key, sshdConfig)
	}
	rep, err := a.look(ctx, instanceID, user, sshdConfig)
	if err != nil {
		return nil, err
	}
	if !rep.UserExists {
		return nil, refuse("name the instance's login user with --user (Amazon Linux ec2-user, Ubuntu ubuntu, Debian admin)",
			"%s has no user %s", instanceID, user)
	}
	authorized := false
	for _, k := range rep.Fingerprints() {
		if k.SHA256 == key.Fingerprint {
			authorized = true
		}
	}
	probs := rep.StrictModesProblems()
	if authorized && len(probs) == 0 {
		p.Already = fmt.Sprintf("%s is authorized for %s", key.Fingerprint, user)
		return p, nil
	}
	for _, pr := range probs {
		p.Notes = append(p.Notes, "sshd's StrictModes: "+pr+" (the script sets ~/.ssh to 0700 and the file to 0600, owned by "+user+")")
	}
	return p, addKeyStep(a, p, instanceID, user, key, sshdConfig)
}

func addKeyStep(a *AWS, p *Plan, instanceID, user string, key PublicKey, sshdConfig string) error {
	commands, err := oninstance.AuthorizeKeyCommands(user, key.Line, sshdConfig)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("ssmdoctor's authorize-key script for user %s and key %s (%s, from %s)", user, key.Fingerprint, key.Type, key.Source)
	p.Steps = append(p.Steps, sendCommandCall(a, instanceID, what,
		"adds the key once to the file sshd reads for "+user+"; creates ~/.ssh 0700 and the file 0600 owned by "+user, commands,
		func(out string) error {
			switch r := scriptResult(out); r {
			case "added", "present":
				return nil
			default:
				return fmt.Errorf("the script did not finish (result %q)", r)
			}
		}))
	return nil
}
