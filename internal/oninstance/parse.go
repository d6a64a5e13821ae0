package oninstance

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// FormatVersion is the output format this parser reads: the script's
// first line is "ssmdoctor.oninstance=1".
const FormatVersion = 1

// Report is what the script saw on the instance.
type Report struct {
	User   string
	Port   int
	Config string
	// Epoch is the instance's clock (date +%s).
	Epoch int64
	// RunAsUID is who the script ran as (Run Command runs as root).
	RunAsUID string

	SSHDRunning bool
	// ListenVia is the tool that listed the listening sockets (ss,
	// netstat, proc, none); ListenAddrs the local addresses listening on
	// Port, as that tool printed them.
	ListenVia   string
	ListenAddrs []string

	SSHDPath      string // "" when no sshd binary was found
	SSHDVersion   string
	ConfigExists  bool
	SSHDTest      string // "ok": sshd -T answered; "fail": it did not; "": not run
	SSHDTestError string
	// Options holds sshd -T's effective settings for the user (lower-case
	// keywords), one value per line sshd printed.
	Options map[string][]string

	UserExists bool
	UID, GID   string
	Home       string
	Shell      string
	Groups     []string

	HomeStat   *Stat // nil: not looked at (no such user)
	SSHDirStat *Stat
	KeyFiles   []KeyFile

	EICCommand string // the eic_run_authorized_keys path, or "none"
	EICPackage string // installed, absent, unknown

	AgentLog    string // the log read, or "none"
	AgentErrors []string

	Disks []Disk

	// HostKeys are the fingerprints of sshd's host keys.
	HostKeys []Fingerprint

	// Error is the script's own complaint (bad arguments).
	Error string
	// Complete: the last line arrived. Run Command keeps only the first
	// 24,000 characters of the output, so a long one may be cut.
	Complete bool
}

// Stat is a path's mode and owner; Missing when it does not exist.
type Stat struct {
	Missing bool
	Mode    uint32 // permission bits
	UID     string
	Owner   string
}

// KeyFile is one AuthorizedKeysFile entry, expanded for the user.
type KeyFile struct {
	Path  string
	Stat  Stat
	Keys  []Fingerprint
	Error string
}

// Fingerprint is one authorized key: its SHA-256 fingerprint and type.
type Fingerprint struct {
	SHA256 string // SHA256:…
	Type   string // ED25519, RSA, ECDSA, …
}

// Disk is one filesystem's use.
type Disk struct {
	Mount    string
	UsePct   int
	AvailKiB int64
}

// Option returns the first value of an sshd setting ("" when absent).
func (r *Report) Option(k string) string {
	if v := r.Options[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Fingerprints are every key authorized in any of the user's files.
func (r *Report) Fingerprints() []Fingerprint {
	var out []Fingerprint
	for _, f := range r.KeyFiles {
		out = append(out, f.Keys...)
	}
	return out
}

// Parse reads the script's output. It fails when the output is not the
// script's (no header) or of another format version; output cut short is
// parsed as far as it goes, with Complete false.
func Parse(out string) (*Report, error) {
	r := &Report{Options: map[string][]string{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	// Lines up to 1 MiB; the buffer grows from the scanner's own 4 KiB only
	// when a line needs it (nine checks parse each target's output).
	sc.Buffer(nil, 1024*1024)
	first := true
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if first {
			if !ok || k != "ssmdoctor.oninstance" {
				return nil, fmt.Errorf("not the on-instance script's output: the first line is %q", clip(line))
			}
			if v != strconv.Itoa(FormatVersion) {
				return nil, fmt.Errorf("the on-instance script printed format %q; this ssmdoctor reads format %d", clip(v), FormatVersion)
			}
			first = false
			continue
		}
		if !ok {
			continue // a stray line (a shell's complaint): not ours
		}
		r.set(k, v)
	}
	if first {
		return nil, fmt.Errorf("the on-instance script printed nothing")
	}
	return r, nil
}

func (r *Report) set(k, v string) {
	last := func() *KeyFile {
		if len(r.KeyFiles) == 0 {
			r.KeyFiles = append(r.KeyFiles, KeyFile{})
		}
		return &r.KeyFiles[len(r.KeyFiles)-1]
	}
	switch {
	case strings.HasPrefix(k, "sshd.opt."):
		name := strings.TrimPrefix(k, "sshd.opt.")
		r.Options[name] = append(r.Options[name], v)
		return
	}
	switch k {
	case "arg.user":
		r.User = v
	case "arg.port":
		r.Port, _ = strconv.Atoi(v)
	case "arg.config":
		r.Config = v
	case "clock.epoch":
		r.Epoch, _ = strconv.ParseInt(v, 10, 64)
	case "uid":
		r.RunAsUID = v
	case "sshd.running":
		r.SSHDRunning = v == "yes"
	case "listen.via":
		r.ListenVia = v
	case "listen.addr":
		r.ListenAddrs = append(r.ListenAddrs, v)
	case "sshd.path":
		if v != "none" {
			r.SSHDPath = v
		}
	case "sshd.version":
		r.SSHDVersion = v
	case "sshd.config.exists":
		r.ConfigExists = v == "yes"
	case "sshd.test":
		r.SSHDTest = v
	case "sshd.test.error":
		r.SSHDTestError = v
	case "user.exists":
		r.UserExists = v == "yes"
	case "user.uid":
		r.UID = v
	case "user.gid":
		r.GID = v
	case "user.home":
		r.Home = v
	case "user.shell":
		r.Shell = v
	case "user.groups":
		r.Groups = strings.Fields(v)
	case "home.stat":
		s := parseStat(v)
		r.HomeStat = &s
	case "sshdir.stat":
		s := parseStat(v)
		r.SSHDirStat = &s
	case "akf.path":
		r.KeyFiles = append(r.KeyFiles, KeyFile{Path: v})
	case "akf.stat":
		last().Stat = parseStat(v)
	case "akf.key":
		if fp, ok := parseFingerprint(v); ok {
			last().Keys = append(last().Keys, fp)
		}
	case "akf.error":
		last().Error = v
	case "hostkey":
		if fp, ok := parseFingerprint(v); ok {
			r.HostKeys = append(r.HostKeys, fp)
		}
	case "eic.command":
		r.EICCommand = v
	case "eic.package":
		r.EICPackage = v
	case "agent.log":
		r.AgentLog = v
	case "agent.error":
		r.AgentErrors = append(r.AgentErrors, v)
	case "disk":
		f := strings.Fields(v)
		if len(f) == 3 {
			d := Disk{Mount: f[0]}
			d.UsePct, _ = strconv.Atoi(f[1])
			d.AvailKiB, _ = strconv.ParseInt(f[2], 10, 64)
			for _, have := range r.Disks {
				if have == d {
					return
				}
			}
			r.Disks = append(r.Disks, d)
		}
	case "error":
		r.Error = v
	case "end":
		r.Complete = v == "ok"
	}
}

// parseFingerprint reads "SHA256:… TYPE".
func parseFingerprint(v string) (Fingerprint, bool) {
	f := strings.Fields(v)
	if len(f) == 0 || !strings.HasPrefix(f[0], "SHA256:") {
		return Fingerprint{}, false
	}
	fp := Fingerprint{SHA256: f[0]}
	if len(f) >= 2 {
		fp.Type = f[1]
	}
	return fp, true
}

// parseStat reads "MODE UID OWNER" (octal mode) or "missing".
func parseStat(v string) Stat {
	f := strings.Fields(v)
	if v == "missing" || len(f) == 0 {
		return Stat{Missing: true}
	}
	s := Stat{}
	m, err := strconv.ParseUint(f[0], 8, 32)
	if err == nil {
		s.Mode = uint32(m)
	}
	if len(f) > 1 {
		s.UID = f[1]
	}
	if len(f) > 2 {
		s.Owner = f[2]
	}
	return s
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
