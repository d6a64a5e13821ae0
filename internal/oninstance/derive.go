package oninstance

import (
	"fmt"
	"path"
	"strings"
)

// What the report implies, without verdicts: which listeners Session
// Manager can reach, which sshd rule turns the user away, which paths
// StrictModes would reject.

// ReachableListeners are the listeners on the port that a connection to
// localhost (what the agent opens) reaches: wildcard and loopback
// addresses.
func (r *Report) ReachableListeners() []string {
	var out []string
	for _, a := range r.ListenAddrs {
		if reachableFromLocalhost(a) {
			out = append(out, a)
		}
	}
	return out
}

func reachableFromLocalhost(a string) bool {
	host := a
	if i := strings.LastIndex(a, ":"); i >= 0 {
		host = a[:i]
	}
	host = strings.Trim(host, "[]")
	if i := strings.IndexByte(host, '%'); i >= 0 { // [::1%lo]
		host = host[:i]
	}
	switch {
	case host == "*" || host == "0.0.0.0" || host == "::" || host == "" || host == "::1":
		return true
	case strings.HasPrefix(host, "127.") || strings.HasPrefix(host, "::ffff:127."):
		return true
	case len(host) == 8 && isHex(host): // /proc/net/tcp: little-endian hex
		return host == "00000000" || strings.HasSuffix(host, "7F")
	case len(host) == 32 && isHex(host): // /proc/net/tcp6
		return host == strings.Repeat("0", 32) || host == "00000000000000000000000001000000"
	}
	return false
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

// RefusedBy names the sshd rule that refuses the user on a connection
// from localhost, in sshd's order (DenyUsers, AllowUsers, DenyGroups,
// AllowGroups, then PermitRootLogin for root); "" when none does.
func (r *Report) RefusedBy() string {
	user := r.User
	for _, p := range r.Options["denyusers"] {
		if userPatternMatches(p, user) {
			return fmt.Sprintf("DenyUsers %s", p)
		}
	}
	if allow := r.Options["allowusers"]; len(allow) > 0 {
		ok := false
		for _, p := range allow {
			if userPatternMatches(p, user) {
				ok = true
			}
		}
		if !ok {
			return "AllowUsers " + strings.Join(allow, " ") + " (does not list " + user + ")"
		}
	}
	for _, p := range r.Options["denygroups"] {
		for _, g := range r.Groups {
			if wildcard(p, g) {
				return fmt.Sprintf("DenyGroups %s (%s is in %s)", p, user, g)
			}
		}
	}
	if allow := r.Options["allowgroups"]; len(allow) > 0 {
		ok := false
		for _, p := range allow {
			for _, g := range r.Groups {
				if wildcard(p, g) {
					ok = true
				}
			}
		}
		if !ok {
			return "AllowGroups " + strings.Join(allow, " ") + " (" + user + " is in none of them)"
		}
	}
	if r.UID == "0" || user == "root" {
		switch v := r.Option("permitrootlogin"); v {
		case "no", "forced-commands-only":
			return "PermitRootLogin " + v
		}
	}
	return ""
}

// userPatternMatches applies an AllowUsers/DenyUsers entry (USER or
// USER@HOST) to user connecting from localhost.
func userPatternMatches(p, user string) bool {
	u, host, hasHost := strings.Cut(p, "@")
	if !wildcard(u, user) {
		return false
	}
	if !hasHost {
		return true
	}
	return wildcard(host, "127.0.0.1") || wildcard(host, "localhost") || strings.HasPrefix(host, "127.") && strings.Contains(host, "/")
}

func wildcard(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// StrictModesProblems lists what sshd's StrictModes rejects about the
// user's home, ~/.ssh and authorized keys files: owned by neither the user
// nor root, or writable by group or others. Empty when StrictModes is off.
func (r *Report) StrictModesProblems() []string {
	if r.Option("strictmodes") == "no" || !r.UserExists {
		return nil
	}
	var out []string
	check := func(what, p string, s *Stat) {
		if s == nil || s.Missing {
			return
		}
		if s.UID != r.UID && s.UID != "0" {
			out = append(out, fmt.Sprintf("%s %s is owned by %s, not %s or root", what, p, ownerName(s), r.User))
		}
		if s.Mode&0o022 != 0 {
			out = append(out, fmt.Sprintf("%s %s is %04o: writable by group or others", what, p, s.Mode))
		}
	}
	check("the home directory", r.Home, r.HomeStat)
	check("", r.Home+"/.ssh", r.SSHDirStat)
	for i := range r.KeyFiles {
		f := &r.KeyFiles[i]
		check("", f.Path, &f.Stat)
	}
	for i, s := range out {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

func ownerName(s *Stat) string {
	if s.Owner != "" {
		return s.Owner
	}
	return "uid " + s.UID
}

// KeysCommand is sshd's AuthorizedKeysCommand ("" for none).
func (r *Report) KeysCommand() string {
	if v := r.Option("authorizedkeyscommand"); v != "none" {
		return v
	}
	return ""
}

// EICWired: the AuthorizedKeysCommand is EC2 Instance Connect's.
func (r *Report) EICWired() bool {
	return strings.Contains(r.KeysCommand(), "eic_run_authorized_keys")
}
