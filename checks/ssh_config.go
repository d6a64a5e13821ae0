package checks

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

const sshConfigFix = "ssmdoctor fix --ssh-config"

func sshConfigCheck() Check {
	return New("ssh-config", "ssh routes the target through Session Manager", LayerLocal,
		[]string{"ssh-client"}, 10*time.Second, runSSHConfig)
}

func runSSHConfig(ctx context.Context, env *Env) Result {
	host := env.SSHHost()
	eff, err := env.Local.EffectiveSSH(ctx, host)
	if err != nil {
		r := Fail("ssh refuses its configuration for %s", host).WithFix(sshConfigFix, FixSSHConfig)
		if eff.Stderr != "" {
			return r.WithDetails(strings.Split(eff.Stderr, "\n")...)
		}
		return r.WithDetails(err.Error())
	}
	pc := eff.Config.ProxyCommand()
	kind := sshconfig.ClassifyProxy(pc)
	settings, cfgErr := proxySettings(env, host)
	details := effectiveDetails(eff.Config)

	switch kind {
	case sshconfig.ProxyNative, sshconfig.ProxyAWSCLI:
		where := ""
		if len(settings) > 0 {
			where = ", set at " + settings[0].Where()
		}
		return Pass("%s goes through the %s ProxyCommand%s", host, kind, where).WithDetails(details...)
	case sshconfig.ProxyNone:
		// `ssmdoctor ssh` and `scp` pass the ProxyCommand themselves: only
		// plain ssh, scp and IDEs need the config, so its absence is a
		// warning, not a failure.
		r := Warn("no Host block routes %s through Session Manager: plain ssh, scp and IDEs need one (%s); ssmdoctor ssh and scp do not", host, sshConfigFix).
			WithFix(sshConfigFix, FixSSHConfig).WithDetails(details...).WithDetails(homeNote(env)...)
		return withConfigNote(r, cfgErr)
	}
	// Some other command wins. If a Session Manager one exists further down,
	// the user wrote it but an earlier block shadows it: ssh keeps the first.
	for _, s := range settings[min(1, len(settings)):] {
		if k := sshconfig.ClassifyProxy(s.Value); k == sshconfig.ProxyNative || k == sshconfig.ProxyAWSCLI {
			first := "an earlier block"
			if len(settings) > 0 {
				first = settings[0].Where()
			}
			return Fail("the Session Manager ProxyCommand at %s is shadowed by %s (ssh uses the first value)", s.Where(), first).
				WithDetails(append([]string{"in effect: proxycommand " + pc}, details...)...).
				WithFix(sshConfigFix, FixSSHConfig)
		}
	}
	r := Warn("%s goes through a ProxyCommand that is not Session Manager: %s", host, pc).
		WithDetails(details...).WithFix(sshConfigFix, FixSSHConfig)
	if len(settings) > 0 {
		r = r.WithDetails("set at " + settings[0].Where())
	}
	return withConfigNote(r, cfgErr)
}

// proxySettings explains where ProxyCommand comes from; a config the reader
// cannot parse only loses the explanation, since ssh -G already answered.
func proxySettings(env *Env, host string) ([]sshconfig.Setting, error) {
	cfg, err := env.Local.UserSSHConfig()
	if err != nil {
		return nil, err
	}
	return cfg.Settings(host, "proxycommand"), nil
}

func withConfigNote(r Result, err error) Result {
	var pe *sshconfig.ParseError
	if errors.As(err, &pe) {
		return r.WithDetails(fmt.Sprintf("could not read the ssh config to explain this: %v", err))
	}
	return r
}

func effectiveDetails(e sshconfig.Effective) []string {
	var out []string
	for _, k := range []string{"hostname", "user", "port"} {
		if v := e.Get(k); v != "" {
			out = append(out, k+" "+v)
		}
	}
	return out
}

// homeNote explains, when $HOME is not the passwd home, that ssh reads the
// config in the passwd home: a Host block in $HOME/.ssh/config is never
// seen.
func homeNote(env *Env) []string {
	l := env.Local
	if l.SSHConfigFile != "" {
		return nil
	}
	envHome := l.Getenv("HOME")
	home, err := l.HomeDir()
	if envHome == "" || err != nil || filepath.Clean(envHome) == filepath.Clean(home) {
		return nil
	}
	note := fmt.Sprintf("ssh reads %s (your passwd home), not $HOME/.ssh/config: $HOME is %s", filepath.Join(home, ".ssh", "config"), envHome)
	if _, err := l.Stat(filepath.Join(envHome, ".ssh", "config")); err == nil {
		note += ", and the " + filepath.Join(envHome, ".ssh", "config") + " there is ignored"
	}
	return []string{note}
}
