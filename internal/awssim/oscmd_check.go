package awssim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// The simulated agent's run of ssmdoctor's on-instance script: it prints,
// from the instance's OSState, the lines the script prints on a real
// instance in that state (internal/oninstance/script/oninstance.sh is the
// reference; a test runs both and compares). It is written from the
// script, not from the doctor's parser, so that the two can disagree.

func (o *OSState) onInstanceOutput(args []string, now time.Time) string {
	var b strings.Builder
	emit := func(k, v string) {
		fmt.Fprintf(&b, "%s=%s\n", k, stripControl(v))
	}
	b.WriteString("ssmdoctor.oninstance=1\n")
	if len(args) < 2 {
		emit("error", "usage: oninstance.sh OSUSER PORT [SSHD_CONFIG]")
		b.WriteString("end=ok\n")
		return b.String()
	}
	user, port, config := args[0], args[1], "/etc/ssh/sshd_config"
	if len(args) > 2 && args[2] != "" {
		config = args[2]
	}
	if port == "" || strings.Trim(port, "0123456789") != "" {
		emit("error", "the port must be a number")
		b.WriteString("end=ok\n")
		return b.String()
	}
	emit("arg.user", user)
	emit("arg.port", port)
	emit("arg.config", config)
	emit("clock.epoch", strconv.FormatInt(now.Unix()+o.ClockOffsetSeconds, 10))
	emit("uid", "0")

	running := !o.SSHD.Stopped && !o.SSHD.NotInstalled
	emit("sshd.running", yesNo(running))
	emit("listen.via", "ss")
	for _, a := range o.listening() {
		if strings.HasSuffix(a, ":"+port) {
			emit("listen.addr", a)
		}
	}

	akfiles := ".ssh/authorized_keys .ssh/authorized_keys2"
	if o.SSHD.NotInstalled {
		emit("sshd.path", "none")
	} else {
		path := o.SSHD.Path
		if path == "" {
			path = "/usr/sbin/sshd"
		}
		emit("sshd.path", path)
		v := o.SSHD.Version
		if v == "" {
			v = "OpenSSH_9.6p1, OpenSSL 3.0.13 30 Jan 2024"
		}
		emit("sshd.version", v)
	}
	exists := o.configExists(config)
	emit("sshd.config.exists", yesNo(exists))
	if !o.SSHD.NotInstalled {
		switch {
		case o.SSHD.ConfigError != "":
			emit("sshd.test", "fail")
			emit("sshd.test.error", clip300(o.SSHD.ConfigError))
		case !exists:
			emit("sshd.test", "fail")
			emit("sshd.test.error", config+": No such file or directory")
		default:
			emit("sshd.test", "ok")
			set := o.settings()
			for _, k := range sshdDefaultOrder {
				for _, v := range set[k] {
					emit("sshd.opt."+k, v)
				}
			}
			if v := set["authorizedkeysfile"]; len(v) > 0 && v[0] != "" {
				akfiles = v[0]
			}
			for _, hk := range o.SSHD.HostKeys {
				emit("hostkey", hk)
			}
		}
	}

	u := o.user(user)
	if u == nil {
		emit("user.exists", "no")
	} else {
		emit("user.exists", "yes")
		emit("user.uid", strconv.Itoa(u.UID))
		emit("user.gid", strconv.Itoa(u.GID))
		emit("user.home", u.Home)
		emit("user.shell", u.Shell)
		emit("user.groups", strings.Join(u.Groups, " "))
	}
	if u != nil && u.Home != "" {
		emit("home.stat", o.dirStat(u.Home))
		emit("sshdir.stat", o.dirStat(u.Home+"/.ssh"))
		for _, f := range strings.Fields(akfiles) {
			if f == "none" {
				continue
			}
			path := expandSSHDPath(f, u)
			emit("akf.path", path)
			file, ok := o.Files[path]
			if !ok || file.Dir {
				emit("akf.stat", "missing")
				continue
			}
			emit("akf.stat", file.stat())
			for _, line := range file.Keys {
				if fp, ok := keyFingerprint(line); ok {
					emit("akf.key", fp)
				}
			}
		}
	}

	eic := "none"
	if o.hasPackage(eicPackage) {
		eic = eicCommandPath
		if o.PackageManager == "dpkg" {
			eic = "/usr/share/ec2-instance-connect/eic_run_authorized_keys"
		}
	}
	emit("eic.command", eic)
	switch {
	case o.PackageManager == "none":
		emit("eic.package", "unknown")
	case o.hasPackage(eicPackage):
		emit("eic.package", "installed")
	default:
		emit("eic.package", "absent")
	}

	if len(o.AgentLog) == 0 {
		emit("agent.log", "none")
	} else {
		path := o.AgentLogPath
		if path == "" {
			path = defaultAgentLog
		}
		emit("agent.log", path)
		var errs []string
		for _, l := range o.AgentLog {
			if strings.Contains(l, " ERROR ") {
				errs = append(errs, l)
			}
		}
		if len(errs) > 5 {
			errs = errs[len(errs)-5:]
		}
		for _, l := range errs {
			emit("agent.error", redactLogLine(clip300(l)))
		}
	}

	for _, p := range []string{"/", "/var"} {
		if d, ok := o.diskOf(p); ok {
			emit("disk", fmt.Sprintf("%s %d %d", d.Mount, d.UsePct, d.AvailKiB))
		}
	}
	b.WriteString("end=ok\n")
	return b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (o *OSState) configExists(path string) bool {
	if len(o.SSHD.Configs) == 0 {
		return path == "/etc/ssh/sshd_config"
	}
	for _, c := range o.SSHD.Configs {
		if c == path {
			return true
		}
	}
	return false
}

func (o *OSState) dirStat(path string) string {
	if f, ok := o.Files[path]; ok && f.Dir {
		return f.stat()
	}
	return "missing"
}

// diskOf is the filesystem df reports for path: the longest mount
// containing it.
func (o *OSState) diskOf(path string) (OSDisk, bool) {
	best, ok := OSDisk{}, false
	for _, d := range o.Disks {
		if (d.Mount == "/" || path == d.Mount || strings.HasPrefix(path, d.Mount+"/")) && len(d.Mount) >= len(best.Mount) {
			best, ok = d, true
		}
	}
	return best, ok
}

// expandSSHDPath expands sshd's %h %u %U %% and makes a relative path
// relative to the home directory, as sshd does for AuthorizedKeysFile.
func expandSSHDPath(p string, u *OSUser) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+1 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		i++
		switch p[i] {
		case 'h':
			b.WriteString(u.Home)
		case 'u':
			b.WriteString(u.Name)
		case 'U':
			b.WriteString(strconv.Itoa(u.UID))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(p[i])
		}
	}
	out := b.String()
	if !strings.HasPrefix(out, "/") {
		out = u.Home + "/" + out
	}
	return out
}

// keyFingerprint is ssh-keygen -l's fingerprint and type of a public key
// line ("SHA256:… ED25519").
func keyFingerprint(line string) (string, bool) {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return "", false
	}
	return ssh.FingerprintSHA256(pk) + " " + keygenType(pk.Type()), true
}

func keygenType(t string) string {
	switch {
	case t == ssh.KeyAlgoED25519:
		return "ED25519"
	case t == ssh.KeyAlgoRSA:
		return "RSA"
	case t == ssh.KeyAlgoSKED25519:
		return "ED25519-SK"
	case t == ssh.KeyAlgoSKECDSA256:
		return "ECDSA-SK"
	case strings.HasPrefix(t, "ecdsa-"):
		return "ECDSA"
	}
	return strings.ToUpper(t)
}

func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func clip300(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

// The script's redaction of agent log lines, expression by expression.
var logRedactions = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[A-Za-z0-9+_=]{24,}`), "[redacted]"},
	{regexp.MustCompile(`([Tt][Oo][Kk][Ee][Nn][A-Za-z_]*"? *[:=] *)[^ ,;]*`), "${1}[redacted]"},
	{regexp.MustCompile(`([Ss][Ee][Cc][Rr][Ee][Tt][A-Za-z_]*"? *[:=] *)[^ ,;]*`), "${1}[redacted]"},
	{regexp.MustCompile(`([Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]"? *[:=] *)[^ ,;]*`), "${1}[redacted]"},
	{regexp.MustCompile(`([Ss][Ii][Gg][Nn][Aa][Tt][Uu][Rr][Ee]"? *[:=] *)[^ ,;]*`), "${1}[redacted]"},
	{regexp.MustCompile(`([Cc][Rr][Ee][Dd][Ee][Nn][Tt][Ii][Aa][Ll][A-Za-z_]*"? *[:=] *)[^ ,;]*`), "${1}[redacted]"},
}

func redactLogLine(l string) string {
	for _, r := range logRedactions {
		l = r.re.ReplaceAllString(l, r.with)
	}
	return l
}
