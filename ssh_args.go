package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
)

// Option letters that take an argument, from OpenSSH 9's getopt strings.
// Knowing them is what keeps "-p 22" or "-L 8080:localhost:80" from being
// taken for the destination.
const (
	sshArgLetters = "BbcDEeFIiJLlmOoPpQRSWw"
	scpArgLetters = "cDFiJlOoPSX"
)

// ourFlags are ssmdoctor's own options, accepted before the destination
// in ssh and scp; everything else goes to the OpenSSH tool untouched.
type ourFlags struct {
	profile, region string
	ephemeral       bool
	noPreflight     bool
	verbose         bool
	help            bool // --help or -h: print our usage, run nothing
	// timeout bounds the AWS calls before ssh starts (resolution,
	// preflight, key push); the session itself has no time limit.
	timeout time.Duration
	// connectTimeout is --connect-timeout: each AWS call's and the
	// proxy's websocket dial's limit; 0 until merged with the default.
	connectTimeout time.Duration
}

// take consumes one of our long options at args[i]; it returns how
// many arguments it used (0: not ours).
func (f *ourFlags) take(args []string, i int) (int, error) {
	a := args[i]
	// Neither ssh nor scp has a -h; taking it for help costs them nothing.
	if a == "-h" {
		f.help = true
		return 1, nil
	}
	name, val, hasVal := strings.Cut(strings.TrimPrefix(a, "--"), "=")
	if !strings.HasPrefix(a, "--") || a == "--" {
		return 0, nil
	}
	str := func(dst *string) (int, error) {
		if hasVal {
			*dst = val
			return 1, nil
		}
		if i+1 >= len(args) {
			return 0, usageErr("run ssmdoctor ssh --help for its options", "--%s needs a value", name)
		}
		*dst = args[i+1]
		return 2, nil
	}
	switch name {
	case "profile":
		return str(&f.profile)
	case "region":
		return str(&f.region)
	case "ephemeral-key":
		f.ephemeral = true
	case "no-preflight":
		f.noPreflight = true
	case "verbose":
		f.verbose = true
	case "help":
		f.help = true
	case "no-color":
		// Accepted like every command's global flags; ssh and scp print
		// no colour of ours.
	case "timeout":
		var v string
		n, err := str(&v)
		if err != nil {
			return 0, err
		}
		if f.timeout, err = time.ParseDuration(v); err != nil || f.timeout < 0 {
			return 0, usageErr("e.g. --timeout 30s", "invalid --timeout %q", v)
		}
		return n, nil
	case "connect-timeout":
		var v string
		n, err := str(&v)
		if err != nil {
			return 0, err
		}
		if f.connectTimeout, err = time.ParseDuration(v); err != nil {
			return 0, usageErr(connectTimeoutHint, "invalid --connect-timeout %q", v)
		}
		if err := checkConnectTimeout(f.connectTimeout); err != nil {
			return 0, err
		}
		return n, nil
	default:
		return 0, usageErr("ssmdoctor options: --profile, --region, --ephemeral-key, --no-preflight, --verbose, --no-color, --timeout, --connect-timeout, --help", "unknown option %s", a)
	}
	return 1, nil
}

// sshArgs is a parsed ssh command line.
type sshArgs struct {
	ours     ourFlags
	opts     []string // ssh options, in order, with their arguments
	user     string   // from user@host
	loginOpt bool     // -l was given
	identity bool     // -i was given
	target   string
	command  []string
}

func parseSSHArgs(args []string) (sshArgs, error) {
	var p sshArgs
	i, err := p.ours.leadingOptions(args, sshArgLetters, &p.opts, func(letter byte) {
		switch letter {
		case 'l':
			p.loginOpt = true
		case 'i':
			p.identity = true
		}
	})
	if err != nil || p.ours.help {
		return p, err
	}
	if i >= len(args) {
		return p, usageErr("usage: ssmdoctor ssh [ssh options] [user@]TARGET [command]; see ssmdoctor ssh --help", "ssh: no target given")
	}
	dest := args[i]
	if u, h, ok := strings.Cut(dest, "@"); ok {
		p.user, dest = u, h
	}
	p.target = dest
	p.command = args[i+1:]
	return p, nil
}

// leadingOptions reads the options before the first operand (or "--"):
// ours into f, the OpenSSH tool's (with their arguments) appended to
// *opts. withArg lists the tool's letters that take an argument; seen
// hears each of its letters. It returns the index of the first operand.
func (f *ourFlags) leadingOptions(args []string, withArg string, opts *[]string, seen func(byte)) (int, error) {
	i := 0
	for i < len(args) {
		a := args[i]
		if a == "--" {
			return i + 1, nil
		}
		if n, err := f.take(args, i); err != nil {
			return i, err
		} else if n > 0 {
			i += n
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		n, err := optionSpan(args, i, withArg, seen)
		if err != nil {
			return i, err
		}
		*opts = append(*opts, args[i:i+n]...)
		i += n
	}
	return i, nil
}

// optionSpan returns how many arguments the option cluster at args[i]
// uses (e.g. "-vp" "22" is two) and reports each letter it contains.
func optionSpan(args []string, i int, withArg string, seen func(byte)) (int, error) {
	a := args[i]
	for j := 1; j < len(a); j++ {
		seen(a[j])
		if strings.IndexByte(withArg, a[j]) < 0 {
			continue
		}
		if j+1 < len(a) {
			return 1, nil // the rest of this word is the argument
		}
		if i+1 >= len(args) {
			return 0, usageErr("see man ssh (or man scp) for the option", "option -%c needs an argument", a[j])
		}
		return 2, nil
	}
	return 1, nil
}

// scpOperand is a remote scp operand, [user@]host:path.
type scpOperand struct {
	index      int
	user, host string
	path       string
}

// splitRemote recognises the remote form as scp does: a colon before any
// slash, and not a local path that merely contains one. An IPv6 address is
// written in brackets, [user@][2600:1f18::11]:path, as scp wants it.
func splitRemote(s string) (user, host, path string, ok bool) {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "scp://") {
		return "", "", "", false
	}
	rest := s
	if at := strings.IndexByte(s, '@'); at > 0 && !strings.ContainsAny(s[:at], ":/[") {
		user, rest = s[:at], s[at+1:]
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 2 || strings.Contains(rest[:end], "/") {
			return "", "", "", false
		}
		return user, rest[1:end], rest[end+2:], true
	}
	host, path, found := strings.Cut(rest, ":")
	if !found || host == "" || strings.Contains(host, "/") {
		return "", "", "", false
	}
	return user, host, path, true
}

type scpArgs struct {
	ours     ourFlags
	opts     []string
	identity bool
	operands []string
	remotes  []scpOperand
}

func parseSCPArgs(args []string) (scpArgs, error) {
	var p scpArgs
	i, err := p.ours.leadingOptions(args, scpArgLetters, &p.opts, func(letter byte) {
		if letter == 'i' {
			p.identity = true
		}
	})
	if err != nil || p.ours.help {
		return p, err
	}
	p.operands = args[i:]
	if len(p.operands) < 2 {
		return p, usageErr("usage: ssmdoctor scp [scp options] SOURCE... TARGET (remote as [user@]TARGET:path); see ssmdoctor scp --help", "scp: want at least a source and a target")
	}
	for k, op := range p.operands {
		if u, h, path, ok := splitRemote(op); ok {
			p.remotes = append(p.remotes, scpOperand{index: k, user: u, host: h, path: path})
		}
	}
	if len(p.remotes) == 0 {
		return p, usageErr("write the remote side as [user@]TARGET:path", "scp: no remote operand")
	}
	for _, r := range p.remotes[1:] {
		if r.host != p.remotes[0].host {
			return p, usageErr("copy to or from one instance at a time", "scp: operands name two remote targets (%s and %s)", p.remotes[0].host, r.host)
		}
	}
	return p, nil
}

// shellQuote makes s one word for /bin/sh, which runs ProxyCommand.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-=:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// proxyCommandFor is the ProxyCommand that runs this binary's proxy; the
// profile and region travel as quoted words.
func proxyCommandFor(self string, f ourFlags) string {
	if runtime.GOOS == "windows" {
		return windowsProxyCommandFor(self, f) // ssh_args_winform.go: no shell there
	}
	var b strings.Builder
	// ssh expands %-tokens in ProxyCommand; a literal % is written %%.
	b.WriteString(strings.ReplaceAll(shellQuote(self), "%", "%%"))
	b.WriteString(" proxy")
	if f.profile != "" {
		fmt.Fprintf(&b, " --profile %s", shellQuote(f.profile))
	}
	if f.region != "" {
		fmt.Fprintf(&b, " --region %s", shellQuote(f.region))
	}
	if f.verbose {
		b.WriteString(" --verbose")
	}
	if f.connectTimeout > 0 && f.connectTimeout != awsapi.DefaultConnectTimeout {
		fmt.Fprintf(&b, " --connect-timeout %s", f.connectTimeout)
	}
	b.WriteString(" %h %p")
	return b.String()
}

// defaultUser follows the AMI conventions by SSM's PlatformName.
func defaultUser(platform string) string {
	p := strings.ToLower(platform)
	switch {
	case strings.Contains(p, "ubuntu"):
		return "ubuntu"
	case strings.Contains(p, "debian"):
		return "admin"
	case strings.Contains(p, "centos"):
		return "centos"
	}
	return "ec2-user" // Amazon Linux, RHEL, SUSE, Fedora, and unknown
}
