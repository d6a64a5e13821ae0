package fix

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// OwnConfigName is ssmdoctor's own ssh config file in ~/.ssh. The user's
// ~/.ssh/config only gains one Include line pointing at it, so the user's
// lines are never parsed and re-serialised.
const OwnConfigName = "ssmdoctor.conf"

// Via selects the ProxyCommand form.
const (
	ViaNative = "native"  // ssmdoctor proxy: needs neither the AWS CLI nor the plugin
	ViaAWSCLI = "aws-cli" // aws ssm start-session: needs the CLI and session-manager-plugin
)

// SSHConfigOptions say whose config to fix and how.
type SSHConfigOptions struct {
	// Home is the home directory whose .ssh is edited: the passwd entry's,
	// where ssh reads ~/.ssh/config (it ignores $HOME).
	Home string
	// PasswdHome is the home directory of the user's passwd entry, which
	// is where ssh resolves "~" and relative Include paths (it ignores
	// $HOME). When it differs from Home the Include names the file by its
	// absolute path; "" means the same as Home.
	PasswdHome string
	// EnvHome is $HOME, when it is not Home: the plan then says which file
	// it edits and why.
	EnvHome    string
	Executable string // absolute path of this ssmdoctor binary (native form)
	Via        string // ViaNative (default) or ViaAWSCLI
	// Profile and Region are written into the command only as given: the
	// caller passes what the user typed, never what the environment holds
	// at fix time. Both are validated (sshconfig.CheckProfile, CheckRegion).
	Profile string
	Region  string
	Now     func() time.Time
	// OS is the system whose ssh will read the config: "windows" writes
	// the Windows OpenSSH form (sshconfig_windows.go); "" is this one.
	OS string
	// AWSCLI is the absolute path of the aws program for the Windows
	// aws-cli form; "" looks it up on PATH.
	AWSCLI string
}

// sampleHosts stand for "an EC2 instance" and "a hybrid node" when asking
// which configuration applies.
var sampleHosts = []string{"i-0123456789abcdef0", "mi-0123456789abcdef0"}

// ProxyCommandFor returns the ProxyCommand line value for o.
func ProxyCommandFor(o SSHConfigOptions) (string, error) {
	if o.targetOS() == "windows" {
		return windowsProxyCommand(o)
	}
	var opts string
	if o.Profile != "" {
		if err := sshconfig.CheckProfile(o.Profile); err != nil {
			return "", fmt.Errorf("ssh config: %w", err)
		}
		opts += " --profile " + sshconfig.EscapePercent(o.Profile)
	}
	if o.Region != "" {
		if err := sshconfig.CheckRegion(o.Region); err != nil {
			return "", fmt.Errorf("ssh config: %w", err)
		}
		opts += " --region " + sshconfig.EscapePercent(o.Region)
	}
	switch o.Via {
	case "", ViaNative:
		if !filepath.IsAbs(o.Executable) {
			return "", fmt.Errorf("ssh config: the path of ssmdoctor must be absolute, got %q", o.Executable)
		}
		// ssh expands % tokens in ProxyCommand; a literal % must be doubled.
		exe := sshconfig.EscapePercent(shellWord(o.Executable))
		return exe + " proxy" + opts + " %h %p", nil
	case ViaAWSCLI:
		return `sh -c "aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters 'portNumber=%p'` + opts + `"`, nil
	}
	return "", fmt.Errorf("ssh config: --via must be %s or %s, got %q", ViaNative, ViaAWSCLI, o.Via)
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellWord quotes s for sh (ssh runs ProxyCommand through the shell).
func shellWord(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// PlanSSHConfig plans ~/.ssh/ssmdoctor.conf and the Include line at the top
// of ~/.ssh/config.
func PlanSSHConfig(o SSHConfigOptions) (*Plan, error) {
	pc, err := ProxyCommandFor(o)
	if err != nil {
		return nil, err
	}
	sshDir := filepath.Join(o.Home, ".ssh")
	own, err := snapshotFile(filepath.Join(sshDir, OwnConfigName))
	if err != nil {
		return nil, fmt.Errorf("ssh config: %w", err)
	}
	user, err := snapshotFile(filepath.Join(sshDir, "config"))
	if err != nil {
		return nil, fmt.Errorf("ssh config: %w", err)
	}
	if o.Now != nil {
		own.Now, user.Now = o.Now, o.Now
	}
	if own.New, err = sshconfig.RenderOwnFile(pc); err != nil {
		return nil, err
	}
	incName := OwnConfigName
	if o.PasswdHome != "" && filepath.Clean(o.PasswdHome) != filepath.Clean(o.Home) {
		incName = own.Shown
	}
	user.New, _ = sshconfig.EnsureInclude(user.Old, incName)

	p := &Plan{Title: "ssh config: route i-* and mi-* through Session Manager"}
	var homeNote []string
	if o.EnvHome != "" && filepath.Clean(o.EnvHome) != filepath.Clean(o.Home) {
		homeNote = []string{fmt.Sprintf("editing %s, the file ssh reads (your passwd home); $HOME is %s, which ssh ignores", user.Shown, o.EnvHome)}
	}
	p.Notes = append(p.Notes, homeNote...)
	p.Notes = append(p.Notes, shadowNotes(user, sshDir, incName)...)
	if incName != OwnConfigName {
		p.Notes = append(p.Notes, fmt.Sprintf("the home directory %s is not your passwd entry's (%s), where ssh resolves relative Include paths: the Include names %s by its absolute path", o.Home, o.PasswdHome, own.Shown))
	}
	if user.Symlinked() {
		p.Notes = append(p.Notes, fmt.Sprintf("%s is a symlink: ssmdoctor writes through it to %s and leaves the link in place", user.Shown, user.Path))
	}
	for _, fc := range []*FileChange{own, user} {
		if fc.Changed() {
			p.Steps = append(p.Steps, fc)
		}
	}
	if p.Empty() {
		p.Already = fmt.Sprintf("%s includes %s first, and it sends i-* and mi-* through: %s", user.Shown, OwnConfigName, pc)
		p.Notes = homeNote
	}
	return p, nil
}

// shadowNotes explains what decides ProxyCommand for instance hosts today:
// ssh takes the first value it reads, so a Host * or Match block, or an
// Include listed before ours, wins. The new Include goes above all of them.
func shadowNotes(user *FileChange, sshDir, incName string) []string {
	if !user.Existed {
		return nil
	}
	var notes []string
	if lines := sshconfig.IncludeLines(user.Old, incName); len(lines) > 0 && user.Changed() {
		notes = append(notes, fmt.Sprintf("%s already includes %s at line %v, but not as its first directive, where an earlier block or Include could win (or inside a Host/Match block, where it is conditional); the new line goes first and the old one becomes redundant",
			user.Shown, OwnConfigName, lines))
	}
	ld := sshconfig.Loader{SSHDir: sshDir, Home: filepath.Dir(sshDir)}
	cfg, err := ld.Load(user.Path)
	if err != nil {
		return append(notes, fmt.Sprintf("could not read %s to explain what it sets today: %v", user.Shown, err))
	}
	seen := map[string]bool{}
	for _, host := range sampleHosts {
		for _, key := range []string{"proxycommand", "proxyjump"} {
			for _, s := range cfg.Settings(host, key) {
				if filepath.Base(s.File) == OwnConfigName {
					continue
				}
				where := s.Where()
				if seen[where] {
					continue
				}
				seen[where] = true
				may := "applies"
				if s.Applies == sshconfig.Maybe {
					may = "may apply (a Match criterion decided at connection time)"
				}
				notes = append(notes, fmt.Sprintf("%s sets %s %q and %s to %s hosts; after this fix the Include at the top is read first, so for i-* and mi-* hosts ssmdoctor's ProxyCommand wins (other hosts keep theirs)",
					where, s.Key, s.Value, may, host[:strings.IndexByte(host, '-')+1]+"*"))
			}
		}
	}
	return notes
}
