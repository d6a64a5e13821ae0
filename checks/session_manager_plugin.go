package checks

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	version "github.com/hashicorp/go-version"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// minPluginVersion is the first session-manager-plugin with SSH/SCP
// tunnelling (AWS-StartSSHSession).
const minPluginVersion = "1.1.23.0"

const pluginInstallURL = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"

func pluginCheck() Check {
	return New("session-manager-plugin", "AWS CLI and session-manager-plugin (only for the AWS CLI ProxyCommand)", LayerLocal,
		nil, 15*time.Second, runPlugin)
}

var pluginVersionRE = regexp.MustCompile(`\d+\.\d+\.\d+(?:\.\d+)?`)

func runPlugin(ctx context.Context, env *Env) Result {
	eff, err := env.Local.EffectiveSSH(ctx, env.SSHHost())
	if err != nil {
		return Skip("the ssh configuration could not be read, so it is unknown whether the plugin is used")
	}
	if sshconfig.ClassifyProxy(eff.Config.ProxyCommand()) != sshconfig.ProxyAWSCLI {
		return Pass("not needed: the native proxy needs neither CLI nor plugin")
	}
	switchFix := sshConfigFix + "   # use the native proxy: no CLI or plugin needed"
	if _, err := env.Local.LookPath("aws"); err != nil {
		return Fail("the ssh config runs `aws ssm start-session` but the AWS CLI is not on PATH").
			WithFix(switchFix, FixSSHConfig)
	}
	path, err := env.Local.findPlugin()
	if err != nil {
		return Fail("session-manager-plugin is not on PATH").
			WithDetails("install: "+pluginInstallURL).WithFix(switchFix, FixSSHConfig)
	}
	out, err := env.Local.pluginVersion(ctx, path)
	if err != nil {
		low := strings.ToLower(err.Error() + " " + out)
		if strings.Contains(low, "exec format error") || strings.Contains(low, "bad cpu type") {
			return Fail("%s is built for another CPU than this %s/%s machine", path, env.Local.GOOS, env.Local.GOARCH).
				WithDetails(firstLine(err.Error()), "install the "+env.Local.GOARCH+" build: "+pluginInstallURL).
				WithFix(switchFix, FixSSHConfig)
		}
		return Fail("%s --version does not run", path).WithDetails(firstLine(err.Error()), firstLine(out)).
			WithFix(switchFix, FixSSHConfig)
	}
	m := pluginVersionRE.FindString(out)
	have, perr := version.NewVersion(m)
	if m == "" || perr != nil {
		return Warn("%s --version printed no version: %q", path, firstLine(out))
	}
	if have.LessThan(version.Must(version.NewVersion(minPluginVersion))) {
		return Fail("session-manager-plugin %s is older than %s, the first with SSH support", m, minPluginVersion).
			WithDetails("upgrade: "+pluginInstallURL).WithFix(switchFix, FixSSHConfig)
	}
	return Pass("session-manager-plugin %s (%s)", m, path)
}

// pluginVersion runs `path --version` once per LocalEnv, as SSH does for
// `ssh -V`: every target of a fleet asks the same question.
func (l *LocalEnv) pluginVersion(ctx context.Context, path string) (string, error) {
	v, err := l.remember(ctx, "plugin-version\x00"+path, func() (any, error) {
		stdout, stderr, err := l.Exec(ctx, path, "--version")
		return strings.TrimSpace(string(stdout) + "\n" + string(stderr)), err
	})
	out, _ := v.(string)
	return out, err
}

// findPlugin looks on PATH, then where the installers put it, since the
// Windows and macOS installers do not always update PATH.
func (l *LocalEnv) findPlugin() (string, error) {
	if p, err := l.LookPath("session-manager-plugin"); err == nil {
		return p, nil
	}
	dirs := []string{"/usr/local/sessionmanagerplugin/bin/session-manager-plugin", "/usr/local/bin/session-manager-plugin"}
	if l.GOOS == "windows" {
		dirs = []string{filepath.Join(`C:\Program Files\Amazon\SessionManagerPlugin\bin`, "session-manager-plugin.exe")}
	}
	for _, d := range dirs {
		if fi, err := l.Stat(d); err == nil && !fi.IsDir() {
			return d, nil
		}
	}
	return "", errors.New("session-manager-plugin not found")
}
