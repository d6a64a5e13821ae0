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

// PlanAuthorizeKey adds key to user's authorized keys file on the
// instance (the first AuthorizedKeysFile sshd applies to the user, read
// with sshd -T from sshdConfig, "" for /etc/ssh/sshd_config), through Run
// Command: ~/.ssh is created 0700 and the file 0600, owned by the user,
// and a key already there is not added twice. A read-only look first: a
// key already authorized, with modes StrictModes accepts, makes the plan
// empty.
func PlanAuthorizeKey(ctx context.Context, a *AWS, instanceID, user string, key PublicKey, sshdConfig string) (*Plan, error) {
	p := &Plan{Title: fmt.Sprintf("authorize %s for %s on %s", key.Fingerprint, user, instanceID)}
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
	commands, err := oninstance.AuthorizeKeyCommands(user, key.Line, sshdConfig)
	if err != nil {
		return nil, err
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
	return p, nil
}
