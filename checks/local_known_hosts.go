package checks

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
)

func localKnownHostsCheck() Check {
	return New("local-known-hosts", "known_hosts agrees with the instance's host key (HostKeyAlias)", LayerLocal,
		[]string{"ssh-config"}, 3*time.Minute, runLocalKnownHosts)
}

// knownHost is one known_hosts line that names the host.
type knownHost struct {
	File        string
	Line        int
	Type        string // ED25519, ECDSA, RSA, …
	Fingerprint string
	Revoked     bool
}

func (k knownHost) where() string { return fmt.Sprintf("%s line %d", k.File, k.Line) }

func runLocalKnownHosts(ctx context.Context, env *Env) Result {
	if env.Target == nil || env.Target.InstanceID == "" {
		return Skip("no target instance given")
	}
	host := env.SSHHost()
	eff, err := env.Local.EffectiveSSH(ctx, host)
	if err != nil {
		return Undetermined("ssh -G", "could not read the effective ssh configuration: %v", err)
	}
	// ssmdoctor ssh passes HostKeyAlias=<instance id>; a config may set
	// its own.
	name := env.Target.InstanceID
	if a := eff.Config.Get("hostkeyalias"); a != "" && a != "none" {
		name = a
	}
	port := env.Options.Port
	if port == 0 {
		port = 22
	}
	lookup := name
	if port != 22 {
		lookup = "[" + name + "]:" + strconv.Itoa(port)
	}
	files := eff.Config.All("userknownhostsfile")
	if len(files) == 0 {
		files = []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}
	}
	var entries []knownHost
	for _, f := range strings.Fields(strings.Join(files, " ")) {
		if f == "none" || f == "/dev/null" {
			continue
		}
		p := env.Local.ExpandHome(f)
		b, err := env.Local.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Undetermined("read "+p, "could not read %s: %v", p, err)
		}
		entries = append(entries, knownHostsFor(p, b, lookup)...)
	}
	fix := "ssh-keygen -R " + shellQuote(lookup)
	if len(entries) == 0 {
		return Pass("no known_hosts entry for %s yet: ssh asks to trust its key on the first connection", lookup)
	}
	var have []string
	for _, e := range entries {
		have = append(have, fmt.Sprintf("%s: %s %s", e.where(), e.Type, e.Fingerprint))
	}
	// With --on-instance the instance's host keys are known: compare.
	if env.Options.OnInstance && env.AWS != nil {
		if rep, _, _, ok := onInstance(ctx, env); ok && len(rep.HostKeys) > 0 {
			return compareHostKeys(lookup, entries, rep.HostKeys, fix).WithDetails(have...)
		}
	}
	byType := map[string]string{}
	for _, e := range entries {
		if e.Revoked {
			continue
		}
		if fp, ok := byType[e.Type]; ok && fp != e.Fingerprint {
			return Warn("known_hosts holds two different %s keys for %s: one of them is stale", e.Type, lookup).
				WithDetails(have...).WithFix(fix, "")
		}
		byType[e.Type] = e.Fingerprint
	}
	return Pass("%s for %s (not compared with the instance: --on-instance reads its host keys)", plural(len(entries), "known_hosts key"), lookup).WithDetails(have...)
}

// compareHostKeys: a known key of a type the instance has, with another
// fingerprint, is what ssh stops at ("REMOTE HOST IDENTIFICATION HAS
// CHANGED"): the instance id now names another machine, or it was rebuilt.
func compareHostKeys(lookup string, entries []knownHost, hostKeys []oninstance.Fingerprint, fix string) Result {
	inst := map[string]string{}
	for _, k := range hostKeys {
		inst[k.Type] = k.SHA256
	}
	matched := false
	for _, e := range entries {
		fp, ok := inst[e.Type]
		switch {
		case !ok:
		case e.Revoked && fp == e.Fingerprint:
			return Fail("%s marks the instance's %s host key %s as revoked", e.where(), e.Type, fp).WithFix(fix, "")
		case !e.Revoked && fp != e.Fingerprint:
			return Fail("%s holds another %s key for %s (%s) than the instance has (%s): ssh refuses to connect; was the instance replaced or rebuilt?",
				e.where(), e.Type, lookup, e.Fingerprint, fp).WithFix(fix, "")
		case !e.Revoked:
			matched = true
		}
	}
	if !matched {
		return Warn("known_hosts holds no key of the types the instance has for %s: ssh will ask to trust it", lookup)
	}
	return Pass("known_hosts agrees with the instance's host key for %s", lookup)
}

// knownHostsFor returns the lines of a known_hosts file that name host,
// hashed or not.
func knownHostsFor(file string, b []byte, host string) []knownHost {
	var out []knownHost
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		marker, hosts, key, _, _, err := ssh.ParseKnownHosts([]byte(line))
		if err != nil || marker == "cert-authority" || !hostsMatch(hosts, host) {
			continue
		}
		out = append(out, knownHost{File: file, Line: i + 1, Type: keyTypeName(key.Type()), Fingerprint: ssh.FingerprintSHA256(key), Revoked: marker == "revoked"})
	}
	return out
}

// hostsMatch applies a known_hosts host list (patterns, negations,
// hashed names) to host.
func hostsMatch(patterns []string, host string) bool {
	matched := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		var ok bool
		if strings.HasPrefix(p, "|1|") {
			ok = hashedMatch(p, host)
		} else {
			ok, _ = path.Match(strings.ToLower(p), strings.ToLower(host))
			if !ok {
				// A pattern without brackets names port 22 only.
				ok = strings.EqualFold(p, host)
			}
		}
		if ok && neg {
			return false
		}
		matched = matched || ok
	}
	return matched
}

func hashedMatch(entry, host string) bool {
	parts := strings.Split(entry, "|") // "", "1", salt, hash
	if len(parts) != 4 {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	want, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(host))
	return hmac.Equal(m.Sum(nil), want)
}

// keyTypeName is ssh-keygen -l's name of a key type.
func keyTypeName(t string) string {
	switch {
	case t == ssh.KeyAlgoED25519:
		return "ED25519"
	case t == ssh.KeyAlgoRSA:
		return "RSA"
	case strings.HasPrefix(t, "ecdsa-"):
		return "ECDSA"
	case t == ssh.KeyAlgoSKED25519:
		return "ED25519-SK"
	case t == ssh.KeyAlgoSKECDSA256:
		return "ECDSA-SK"
	}
	return strings.ToUpper(t)
}
