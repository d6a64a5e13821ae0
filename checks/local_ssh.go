package checks

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// SSHClient is the OpenSSH client found on PATH.
type SSHClient struct {
	Path    string
	Version string // e.g. "OpenSSH_9.2p1 Debian-2+deb12u10", the first word of `ssh -V`
}

var errSSHMissing = errors.New("ssh not found on PATH")

var sshVersionRE = regexp.MustCompile(`(?i)(OpenSSH[_ ]?(?:for_Windows_)?[0-9][^\s,]*)`)

// SSH finds the ssh client and its version once.
func (l *LocalEnv) SSH(ctx context.Context) (SSHClient, error) {
	v, err := l.remember(ctx, "ssh", func() (any, error) {
		path, err := l.LookPath("ssh")
		if err != nil {
			return SSHClient{}, errSSHMissing
		}
		// ssh -V writes to stderr and exits 0; some builds print to stdout.
		stdout, stderr, err := l.Exec(ctx, path, "-V")
		out := strings.TrimSpace(string(stderr) + " " + string(stdout))
		if err != nil {
			return SSHClient{Path: path}, fmt.Errorf("run %s -V: %w (%s)", path, err, firstLine(out))
		}
		c := SSHClient{Path: path, Version: firstLine(out)}
		if m := sshVersionRE.FindString(out); m != "" {
			c.Version = m
		}
		return c, nil
	})
	c, _ := v.(SSHClient)
	return c, err
}

// SSHHost is the host `ssh -G` is asked about for env: the instance id when
// one is known, else what the user typed, else a sample instance id.
func (env *Env) SSHHost() string {
	if t := env.Target; t != nil {
		if t.InstanceID != "" {
			return t.InstanceID
		}
		if t.Input != "" {
			return t.Input
		}
	}
	if env.Local != nil && env.Local.SampleHost != "" {
		return env.Local.SampleHost
	}
	return "i-0123456789abcdef0"
}

// SSHEffective is `ssh -G host` parsed.
type SSHEffective struct {
	Config sshconfig.Effective
	Stderr string // what ssh said, trimmed (a malformed config is explained here)
}

// EffectiveSSH runs the real `ssh -G host` once per host. An error means ssh
// refused the configuration or could not run; Stderr says why.
func (l *LocalEnv) EffectiveSSH(ctx context.Context, host string) (SSHEffective, error) {
	v, err := l.remember(ctx, "ssh-G\x00"+host, func() (any, error) {
		c, err := l.SSH(ctx)
		if err != nil {
			return SSHEffective{}, err
		}
		args := []string{"-G"}
		if l.SSHConfigFile != "" {
			args = append(args, "-F", l.SSHConfigFile)
		}
		args = append(args, host)
		stdout, stderr, err := l.Exec(ctx, c.Path, args...)
		eff := SSHEffective{Config: sshconfig.ParseEffective(stdout), Stderr: strings.TrimSpace(string(stderr))}
		if err != nil {
			return eff, fmt.Errorf("run ssh -G %s: %w", host, err)
		}
		return eff, nil
	})
	e, _ := v.(SSHEffective)
	return e, err
}

// UserSSHConfigPath is the file ssh reads for this user: -F when set, else
// ~/.ssh/config.
func (l *LocalEnv) UserSSHConfigPath() (string, error) {
	if l.SSHConfigFile != "" {
		return l.SSHConfigFile, nil
	}
	home, err := l.HomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory: %w", err)
	}
	return filepath.Join(home, ".ssh", "config"), nil
}

// UserSSHConfig reads the user's ssh config (with Include) once. It explains
// results; `ssh -G` stays the authority on what ssh will do.
func (l *LocalEnv) UserSSHConfig() (*sshconfig.Config, error) {
	v, err := l.remember(context.Background(), "ssh-config-file", func() (any, error) {
		path, err := l.UserSSHConfigPath()
		if err != nil {
			return (*sshconfig.Config)(nil), err
		}
		home, _ := l.HomeDir()
		ld := sshconfig.Loader{ReadFile: l.ReadFile, SSHDir: filepath.Dir(path), Home: home}
		if l.Glob != nil {
			ld.Glob = l.Glob
		}
		return ld.Load(path)
	})
	c, _ := v.(*sshconfig.Config)
	return c, err
}

// ExpandHome turns ssh's "~/" and "%d/" into the home directory.
func (l *LocalEnv) ExpandHome(p string) string {
	home, err := l.HomeDir()
	if err != nil {
		return p
	}
	switch {
	case p == "~" || p == "%d":
		return home
	case strings.HasPrefix(p, "~/"):
		return filepath.Join(home, p[2:])
	case strings.HasPrefix(p, "%d/"):
		return filepath.Join(home, p[3:])
	}
	return p
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
