package fixrun

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/fix"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// The fixes that run a script on the instance (fix --authorize-key,
// --install-eic) and how their checks are verified: with the on-instance
// script, for the OS user the fix acted for.

// AuthorizeKeyOptions are --authorize-key's flags.
type AuthorizeKeyOptions struct {
	OSUser     string // --user; "" is ec2-user
	KeyFile    string // --key; "" is the first default public key
	SSHDConfig string // --sshd-config, on the instance; "" is /etc/ssh/sshd_config
}

// DefaultOSUser is the user --authorize-key acts for without --user.
const DefaultOSUser = "ec2-user"

func (o AuthorizeKeyOptions) user() string {
	if o.OSUser == "" {
		return DefaultOSUser
	}
	return o.OSUser
}

// defaultPublicKeys are where ssh's default keys' public halves are, in
// the order ssh tries the keys.
var defaultPublicKeys = []string{"id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub"}

// PublicKey reads the key --authorize-key adds: --key, else the first
// default key's .pub in the passwd home's ~/.ssh (the one ssh reads).
func PublicKey(o AuthorizeKeyOptions, passwdHome func() (string, error)) (fix.PublicKey, error) {
	if o.KeyFile != "" {
		b, err := os.ReadFile(o.KeyFile)
		if err != nil {
			return fix.PublicKey{}, fmt.Errorf("read --key: %w", err)
		}
		return fix.ParsePublicKey(b, o.KeyFile)
	}
	home, err := passwdHome()
	if err != nil {
		return fix.PublicKey{}, fmt.Errorf("find your home directory: %w", err)
	}
	for _, name := range defaultPublicKeys {
		p := filepath.Join(home, ".ssh", name)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fix.PublicKey{}, err
		}
		return fix.ParsePublicKey(b, p)
	}
	return fix.PublicKey{}, fmt.Errorf("no public key in %s (id_ed25519.pub, id_ecdsa.pub, id_rsa.pub)", filepath.Join(home, ".ssh"))
}

func planAuthorizeKey(ctx context.Context, o *Options, a *fix.AWS, t *awsfacts.Target) (*fix.Plan, error) {
	key, err := PublicKey(o.AuthorizeKey, o.Seam.PasswdHome)
	if err != nil {
		return nil, &Error{Kind: Usage, Err: fmt.Errorf("fix --authorize-key: %w", err), Hint: "name the public key with --key FILE.pub, or make one: ssh-keygen -t ed25519"}
	}
	return fix.PlanAuthorizeKey(ctx, a, t.InstanceID, fix.AuthorizeKeyRequest{User: o.AuthorizeKey.user(), Key: key, SSHDConfig: o.AuthorizeKey.SSHDConfig, DryRun: o.DryRun})
}

// verifyOptions set the check options a selector's checks need to run.
var verifyOptions = map[checks.FixID]func(o *Options, co *checks.Options){
	checks.FixAuthorizeKey: func(o *Options, co *checks.Options) {
		co.OnInstance, co.OSUser, co.SSHDConfig = true, o.AuthorizeKey.user(), o.AuthorizeKey.SSHDConfig
	},
	checks.FixInstallEIC: func(o *Options, co *checks.Options) {
		co.OnInstance, co.Ephemeral = true, true
	},
}
