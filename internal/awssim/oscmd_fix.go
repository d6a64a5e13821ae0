package awssim

import (
	"strings"
)

// The simulated agent's runs of the fixes' scripts
// (internal/oninstance/script/authorize_key.sh and install_eic.sh): the
// same lines and the same change to the instance's OSState. Under s.mu.

var authorizeKeyTypes = map[string]bool{
	"ssh-ed25519": true, "ssh-rsa": true, "ecdsa-sha2-nistp256": true, "ecdsa-sha2-nistp384": true,
	"ecdsa-sha2-nistp521": true, "sk-ssh-ed25519@openssh.com": true, "sk-ecdsa-sha2-nistp256@openssh.com": true,
}

func (o *OSState) authorizeKey(args []string) (stdout string, code int) {
	var b strings.Builder
	b.WriteString("ssmdoctor.authorize-key=1\n")
	fail := func(msg string) (string, int) {
		b.WriteString("error=" + msg + "\n")
		return b.String(), 1
	}
	if len(args) < 2 {
		return fail("usage: authorize_key.sh OSUSER 'TYPE BASE64 [COMMENT]' [SSHD_CONFIG]")
	}
	user, key := args[0], args[1]
	f := strings.Fields(key)
	if len(f) == 0 || !authorizeKeyTypes[f[0]] {
		return fail("not a public key line: unknown key type")
	}
	if len(f) < 2 || strings.Trim(f[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" {
		return fail("not a public key line: the key is not base64")
	}
	blob := f[1]
	u := o.user(user)
	if u == nil {
		return fail("no such user: " + user)
	}
	config := "/etc/ssh/sshd_config"
	if len(args) > 2 && args[2] != "" {
		config = args[2]
	}
	akf := ".ssh/authorized_keys"
	// As the script: sshd -T's first AuthorizedKeysFile, when sshd -T
	// answers for that config.
	if !o.SSHD.NotInstalled && o.SSHD.ConfigError == "" && o.configExists(config) {
		if v := o.settings()["authorizedkeysfile"]; len(v) > 0 {
			if first := strings.Fields(v[0]); len(first) > 0 && first[0] != "none" {
				akf = first[0]
			}
		}
	}
	path := expandSSHDPath(akf, u)
	b.WriteString("path=" + path + "\n")
	dir := path[:strings.LastIndexByte(path, '/')]
	if d, ok := o.Files[dir]; !ok || !d.Dir {
		o.Files[dir] = &OSFile{Dir: true, Mode: "700", Owner: u.Name, UID: u.UID}
		b.WriteString("created=" + dir + "\n")
	}
	if strings.HasSuffix(dir, "/.ssh") {
		d := o.Files[dir]
		d.Mode, d.Owner, d.UID = "700", u.Name, u.UID
	}
	file, ok := o.Files[path]
	if !ok || file.Dir {
		file = &OSFile{}
		o.Files[path] = file
	}
	present := false
	for _, l := range file.Keys {
		for _, field := range strings.Fields(l) {
			if field == blob {
				present = true
			}
		}
	}
	if present {
		b.WriteString("result=present\n")
	} else {
		file.Keys = append(file.Keys, key)
		b.WriteString("result=added\n")
	}
	file.Mode, file.Owner, file.UID = "600", u.Name, u.UID
	b.WriteString("end=ok\n")
	return b.String(), 0
}

func (o *OSState) installEIC() (stdout string, code int) {
	var b strings.Builder
	b.WriteString("ssmdoctor.install-eic=1\n")
	if o.hasPackage(eicPackage) {
		b.WriteString("result=present\nend=ok\n")
		return b.String(), 0
	}
	if o.PackageManager == "none" {
		b.WriteString("error=no dnf, yum or apt-get: install ec2-instance-connect by hand\n")
		return b.String(), 1
	}
	o.Packages = append(o.Packages, eicPackage)
	// The package's set-up wires itself into sshd.
	if o.SSHD.Settings == nil {
		o.SSHD.Settings = map[string][]string{}
	}
	cmd := eicKeysCommand
	if o.PackageManager == "dpkg" {
		cmd = "/usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f"
	}
	o.SSHD.Settings["authorizedkeyscommand"] = []string{cmd}
	o.SSHD.Settings["authorizedkeyscommanduser"] = []string{eicCommandUser}
	b.WriteString("result=installed\nend=ok\n")
	return b.String(), 0
}
