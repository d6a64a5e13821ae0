package checks

import (
	"context"
	"fmt"
	"strings"
)

func instanceSSHDCheck() Check {
	return New("instance-sshd", "sshd runs, listens on the port and accepts keys (--on-instance)", LayerInstance,
		onInstanceDeps, onInstanceTimeout, runInstanceSSHD)
}

func runInstanceSSHD(ctx context.Context, env *Env) Result {
	rep, _, r, ok := onInstance(ctx, env)
	if !ok {
		return r
	}
	port := rep.Port
	reach := rep.ReachableListeners()
	ports := strings.Join(rep.Options["port"], ", ")
	settings := sshdSettings(rep.Options)
	switch {
	case rep.SSHDPath == "":
		return Fail("no sshd on the instance: OpenSSH's server is not installed").
			WithFix("sudo dnf install -y openssh-server   # or: sudo apt-get install -y openssh-server", "")
	case len(rep.ListenAddrs) == 0 && !rep.SSHDRunning:
		return Fail("sshd is not running on the instance: nothing listens on port %d", port).
			WithFix("sudo systemctl enable --now sshd   # Ubuntu/Debian: ssh", "")
	case len(rep.ListenAddrs) == 0 && rep.ListenVia != "none":
		r := Fail("sshd runs, but nothing listens on port %d", port)
		if ports != "" {
			r = r.WithDetails("sshd's Port: " + ports + ": connect with --port, or set Port in " + rep.Config)
		}
		return r
	case len(rep.ListenAddrs) > 0 && len(reach) == 0:
		return Fail("port %d listens only on %s: Session Manager connects to localhost", port, strings.Join(rep.ListenAddrs, ", ")).
			WithDetails("add ListenAddress 127.0.0.1 (or remove ListenAddress) in " + rep.Config + " and restart sshd")
	case !rep.SSHDRunning:
		return Fail("something listens on port %d (%s), but it is not sshd: sshd is not running", port, strings.Join(reach, ", "))
	}
	if rep.SSHDTest == "fail" {
		return Warn("sshd runs, but sshd -T rejects %s: %s", rep.Config, rep.SSHDTestError).
			WithDetails("a restart of sshd would fail; its effective settings could not be read")
	}
	if v := rep.Option("pubkeyauthentication"); v == "no" {
		return Fail("sshd has PubkeyAuthentication no for %s: no key can log in", rep.User).WithDetails(settings...)
	}
	if rule := rep.RefusedBy(); rule != "" {
		return Fail("sshd refuses %s: %s", rep.User, rule).WithDetails(settings...)
	}
	return Pass("sshd listens on %s and accepts %s's keys", strings.Join(reach, ", "), rep.User).WithDetails(settings...)
}

// sshdSettings are the effective settings the verdict rests on.
func sshdSettings(opts map[string][]string) []string {
	var out []string
	for _, k := range []string{"port", "listenaddress", "pubkeyauthentication", "authorizedkeysfile", "authorizedkeyscommand", "allowusers", "denyusers", "allowgroups", "denygroups", "permitrootlogin", "strictmodes"} {
		if v := opts[k]; len(v) > 0 {
			out = append(out, fmt.Sprintf("%s %s", k, strings.Join(v, ", ")))
		}
	}
	return out
}
