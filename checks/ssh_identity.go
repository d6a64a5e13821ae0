package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

func sshIdentityCheck() Check {
	return New("ssh-identity", "ssh identity file exists with safe permissions", LayerLocal,
		[]string{"ssh-config"}, 10*time.Second, runSSHIdentity)
}

func runSSHIdentity(ctx context.Context, env *Env) Result {
	if env.Options.Ephemeral {
		return Pass("not needed: a one-time key is pushed through EC2 Instance Connect")
	}
	host := env.SSHHost()
	eff, err := env.Local.EffectiveSSH(ctx, host)
	if err != nil {
		return Undetermined("ssh -G", "could not read the effective ssh configuration: %v", err)
	}
	explicit := map[string]bool{}
	if cfg, err := env.Local.UserSSHConfig(); err == nil {
		for _, s := range cfg.Settings(host, "identityfile") {
			explicit[env.Local.ExpandHome(s.Value)] = true
		}
	}

	var found, tooOpen, missing []string
	var fix []string
	for _, f := range eff.Config.All("identityfile") {
		if f == "none" { // IdentityFile none: keys come from the agent only
			continue
		}
		path := env.Local.ExpandHome(f)
		fi, err := env.Local.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if explicit[path] {
				missing = append(missing, path)
			}
		case err != nil:
			return Undetermined("stat "+path, "could not inspect %s: %v", path, err)
		case fi.IsDir():
			if explicit[path] {
				missing = append(missing, path+" (a directory)")
			}
		case env.Local.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0:
			tooOpen = append(tooOpen, fmt.Sprintf("%s (%04o)", path, fi.Mode().Perm()))
			fix = append(fix, "chmod 600 "+shellQuote(path))
			found = append(found, path)
		default:
			found = append(found, path)
		}
	}
	switch {
	case len(missing) > 0:
		return Fail("IdentityFile %s does not exist", strings.Join(missing, ", ")).
			WithFix("ssh-keygen -t ed25519 -f "+shellQuote(strings.TrimSuffix(missing[0], " (a directory)")), "")
	case len(tooOpen) > 0:
		return Warn("private key permissions are too open: %s (ssh refuses such keys)", strings.Join(tooOpen, ", ")).
			WithFix(strings.Join(fix, " && "), "")
	case len(found) == 0:
		return Warn("no private key found where ssh looks (%s); only keys in ssh-agent can be used",
			strings.Join(eff.Config.All("identityfile"), ", ")).
			WithFix("ssh-keygen -t ed25519", "")
	}
	return Pass("%s", strings.Join(found, ", "))
}

// shellQuote quotes a path for a pasteable command.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./~+:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
