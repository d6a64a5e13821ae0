package awssim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"
)

// OSState is what runs inside an instance, as far as ssmdoctor's
// on-instance script looks: the simulated agent answers the script from it
// (oscmd_check.go) and the fixes' scripts change it (oscmd_fix.go). An
// instance without one gets defaultOS: a healthy image of its platform.
type OSState struct {
	// Users are the passwd entries.
	Users []OSUser `json:"Users"`
	// Files are the paths the script looks at (homes, ~/.ssh, authorized
	// keys files), absolute; a directory has Dir set.
	Files map[string]*OSFile `json:"Files"`
	SSHD  OSSSHD             `json:"Sshd"`
	// Packages installed (ec2-instance-connect is the one that matters).
	Packages []string `json:"Packages"`
	// PackageManager is rpm or dpkg, or none (the package state is
	// unknown); "" is the image's.
	PackageManager string `json:"PackageManager"`
	// AgentLog holds the agent's log lines; AgentLogPath where they are
	// (default /var/log/amazon/ssm/amazon-ssm-agent.log).
	AgentLog     []string `json:"AgentLog"`
	AgentLogPath string   `json:"AgentLogPath"`
	// ClockOffsetSeconds is how far the instance's clock is from the
	// true time (positive: ahead).
	ClockOffsetSeconds int64    `json:"ClockOffsetSeconds"`
	Disks              []OSDisk `json:"Disks"`
	// CommandSeconds is how long a script runs on the instance (default
	// 0.3); beyond the command's executionTimeout it times out.
	CommandSeconds float64 `json:"CommandSeconds"`
}

// OSUser is one passwd entry.
type OSUser struct {
	Name   string   `json:"Name"`
	UID    int      `json:"Uid"`
	GID    int      `json:"Gid"`
	Home   string   `json:"Home"`
	Shell  string   `json:"Shell"`
	Groups []string `json:"Groups"` // group names, the primary one first
}

// OSFile is a file or directory: mode (octal, "700"), owner, and for an
// authorized keys file its public key lines.
type OSFile struct {
	Dir   bool     `json:"Dir"`
	Mode  string   `json:"Mode"`
	Owner string   `json:"Owner"`
	UID   int      `json:"Uid"`
	Keys  []string `json:"Keys"` // "ssh-ed25519 AAAA… comment"
}

// OSSSHD is the OpenSSH server.
type OSSSHD struct {
	NotInstalled bool   `json:"NotInstalled"`
	Stopped      bool   `json:"Stopped"`
	Path         string `json:"Path"`    // default /usr/sbin/sshd
	Version      string `json:"Version"` // sshd -V's first line
	// Listen are the listening TCP addresses as ss prints them
	// ("0.0.0.0:22"), of sshd or anything else; default: sshd's
	// listenaddress settings when it runs, nothing when it is stopped.
	Listen []string `json:"Listen"`
	// Settings override sshd -T's effective settings (lower-case
	// keywords, one value per line sshd would print).
	Settings map[string][]string `json:"Settings"`
	// ConfigError, when set, is what sshd -T says about a broken config.
	ConfigError string `json:"ConfigError"`
	// HostKeys are the host keys' fingerprints ("SHA256:… ED25519").
	HostKeys []string `json:"HostKeys"`
	// Configs are the config files that exist (default /etc/ssh/sshd_config).
	Configs []string `json:"Configs"`
}

// OSDisk is one filesystem's use.
type OSDisk struct {
	Mount    string `json:"Mount"`
	UsePct   int    `json:"UsePct"`
	AvailKiB int64  `json:"AvailKiB"`
}

// sshdDefaults are OpenSSH's effective settings on a cloud image, in the
// order sshd -T prints them.
var sshdDefaultOrder = []string{
	"port", "listenaddress", "usepam", "permitrootlogin", "pubkeyauthentication", "passwordauthentication",
	"strictmodes", "authorizedkeyscommand", "authorizedkeyscommanduser", "authorizedkeysfile",
	"allowusers", "denyusers", "allowgroups", "denygroups",
}

func sshdDefaults(ports []string) map[string][]string {
	var listen []string
	for _, p := range ports {
		listen = append(listen, "[::]:"+p, "0.0.0.0:"+p)
	}
	return map[string][]string{
		"port":                      ports,
		"listenaddress":             listen,
		"usepam":                    {"yes"},
		"permitrootlogin":           {"without-password"},
		"pubkeyauthentication":      {"yes"},
		"passwordauthentication":    {"no"},
		"strictmodes":               {"yes"},
		"authorizedkeyscommand":     {"none"},
		"authorizedkeyscommanduser": {"none"},
		"authorizedkeysfile":        {".ssh/authorized_keys .ssh/authorized_keys2"},
	}
}

// eicKeysCommand is how the ec2-instance-connect package wires itself into
// sshd on Amazon Linux.
const (
	eicCommandPath  = "/opt/aws/bin/eic_run_authorized_keys"
	eicKeysCommand  = eicCommandPath + " %u %f"
	eicCommandUser  = "ec2-instance-connect"
	eicPackage      = "ec2-instance-connect"
	demoUserKey     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHo4chRC9G3PvZPViPGl4t+jkrC0ee8ALIwtwNOqyqzy demo@ssmdoctor"
	defaultAgentLog = "/var/log/amazon/ssm/amazon-ssm-agent.log"
)

// defaultOSUser is the image's login user.
func defaultOSUser(inst *Instance) string {
	n := strings.ToLower(inst.PlatformName)
	switch {
	case strings.Contains(n, "ubuntu"):
		return "ubuntu"
	case strings.Contains(n, "debian"):
		return "admin"
	case strings.Contains(n, "centos"):
		return "centos"
	}
	return "ec2-user"
}

// defaultOS is a healthy image: the platform's user with one authorized
// key (and the launch key pair's, when the scenario has it), sshd running
// with the defaults, EC2 Instance Connect installed and wired on Amazon
// Linux.
func defaultOS(inst *Instance) *OSState {
	u := defaultOSUser(inst)
	home := "/home/" + u
	os := &OSState{
		Users: []OSUser{{Name: u, UID: 1000, GID: 1000, Home: home, Shell: "/bin/bash", Groups: []string{u, "wheel"}}},
		Files: map[string]*OSFile{
			home:                           {Dir: true, Mode: "700", Owner: u, UID: 1000},
			home + "/.ssh":                 {Dir: true, Mode: "700", Owner: u, UID: 1000},
			home + "/.ssh/authorized_keys": {Mode: "600", Owner: u, UID: 1000, Keys: []string{demoUserKey}},
		},
		PackageManager: "dpkg",
		Disks:          []OSDisk{{Mount: "/", UsePct: 23, AvailKiB: 6 << 20}},
	}
	if inst.launchKey != "" {
		// cloud-init writes the launch key pair's key for the image's user.
		f := os.Files[home+"/.ssh/authorized_keys"]
		f.Keys = append(f.Keys, inst.launchKey+" "+inst.KeyName)
	}
	os.SSHD.HostKeys = []string{hostKeyFingerprint(inst.ID)}
	if !strings.Contains(strings.ToLower(inst.PlatformName), "ubuntu") && !strings.Contains(strings.ToLower(inst.PlatformName), "debian") {
		os.PackageManager = "rpm"
		os.Packages = []string{eicPackage}
		os.SSHD.Settings = map[string][]string{
			"authorizedkeyscommand":     {eicKeysCommand},
			"authorizedkeyscommanduser": {eicCommandUser},
		}
	}
	return os
}

// DefaultOS is the OS an instance without one runs (a fresh copy), for
// tests and scenarios that change one thing of it.
func DefaultOS(inst *Instance) *OSState { return defaultOS(inst) }

// hostKeyFingerprint is the instance's ED25519 host key fingerprint, the
// same for the same instance id in every run: a key derived from the id.
func hostKeyFingerprint(id string) string {
	seed := sha256.Sum256([]byte("ssmdoctor simulated host key:" + id))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		return ""
	}
	return ssh.FingerprintSHA256(pk) + " ED25519"
}

// HostPublicKey is the authorized_keys form of the instance's simulated
// ED25519 host key (what known_hosts holds for it).
func HostPublicKey(id string) string {
	seed := sha256.Sum256([]byte("ssmdoctor simulated host key:" + id))
	pk, _ := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
}

// AuthorizeKey adds a public key line to user's authorized keys on the
// instance, as fix --authorize-key's script would (the demo authorizes
// the workstation's key with it). It reports whether the user exists.
func AuthorizeKey(inst *Instance, user, line string) bool {
	_, code := osOf(inst).authorizeKey([]string{user, line})
	return code == 0
}

// osOf is the instance's OS state: what the scenario says, and for each
// part it leaves out (a null or absent field; an empty list stays empty)
// the healthy image's. Filled in place on first use, so that the fixes'
// changes stay. Under s.mu.
func osOf(inst *Instance) *OSState {
	def := defaultOS(inst)
	if inst.OS == nil {
		inst.OS = def
		return inst.OS
	}
	o := inst.OS
	if o.Users == nil {
		o.Users = def.Users
	}
	if o.Files == nil {
		o.Files = def.Files
	}
	if o.Packages == nil {
		o.Packages = def.Packages
	}
	if o.PackageManager == "" {
		o.PackageManager = def.PackageManager
	}
	if o.SSHD.Settings == nil {
		o.SSHD.Settings = map[string][]string{}
		if o.hasPackage(eicPackage) {
			for k, v := range def.SSHD.Settings {
				o.SSHD.Settings[k] = v
			}
		}
	}
	if o.Disks == nil {
		o.Disks = def.Disks
	}
	if o.SSHD.HostKeys == nil {
		o.SSHD.HostKeys = def.SSHD.HostKeys
	}
	return o
}

func (o *OSState) user(name string) *OSUser {
	for i := range o.Users {
		if o.Users[i].Name == name {
			return &o.Users[i]
		}
	}
	return nil
}

func (o *OSState) hasPackage(p string) bool {
	for _, have := range o.Packages {
		if have == p {
			return true
		}
	}
	return false
}

// settings are sshd's effective settings: the defaults (for the Port the
// overrides give, 22 unless changed) with the state's overrides.
func (o *OSState) settings() map[string][]string {
	ports := []string{"22"}
	for k, v := range o.SSHD.Settings {
		if strings.EqualFold(k, "port") && len(v) > 0 {
			ports = v
		}
	}
	set := sshdDefaults(ports)
	keys := make([]string, 0, len(o.SSHD.Settings))
	for k := range o.SSHD.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set[strings.ToLower(k)] = o.SSHD.Settings[k]
	}
	return set
}

// listening are the addresses listening on any port.
func (o *OSState) listening() []string {
	if o.SSHD.Listen != nil {
		return o.SSHD.Listen
	}
	if o.SSHD.Stopped || o.SSHD.NotInstalled {
		return nil
	}
	set := o.settings()
	var out []string
	for _, p := range set["port"] {
		for _, a := range set["listenaddress"] {
			// listenaddress carries the port: keep the ones of this port.
			if strings.HasSuffix(a, ":"+p) {
				out = append(out, a)
			}
		}
	}
	return out
}

func (f *OSFile) stat() string {
	return fmt.Sprintf("%s %d %s", f.Mode, f.UID, f.Owner)
}

// TagValue is the value of the tag key, or "".
func TagValue(tags []Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}
