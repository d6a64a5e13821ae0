package checks

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

const (
	khInstance = "i-0a11600d000000001"
	// staleHostKey is another machine's key.
	staleHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOw0gBrqGxwq2bHtCGBAc2NVWY2gTfUjpyZ9mxIr1kHZ"
)

func hashedName(host string) string {
	salt := []byte("0123456789abcdefghij")
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(host))
	return "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func knownHostsLocal(knownHosts string) *LocalEnv {
	m := newFakeMachine()
	m.sshG(khInstance, "user ec2-user\nhostname "+khInstance+"\nport 22\nidentityfile ~/.ssh/id_ed25519\nuserknownhostsfile ~/.ssh/known_hosts ~/.ssh/known_hosts2\n")
	if knownHosts != "" {
		m.files["/home/u/.ssh/known_hosts"] = fakeFile{mode: 0o644, data: knownHosts}
	}
	return m.local()
}

func TestLocalKnownHostsWithoutInstance(t *testing.T) {
	target := &Target{InstanceID: khInstance}
	cases := []struct {
		name, file string
		status     Status
		msg        string
	}{
		{"none", "", StatusPass, "no known_hosts entry"},
		{"one key", khInstance + " " + staleHostKey + "\n", StatusPass, "not compared with the instance"},
		{"two different ED25519 keys, one hashed", khInstance + " " + staleHostKey + "\n" + hashedName(khInstance) + " " + awssim.HostPublicKey(khInstance) + "\n", StatusWarn, "two different ED25519 keys"},
		{"another host only", "i-0ffffffffffffffff " + staleHostKey + "\n", StatusPass, "no known_hosts entry"},
		{"negated", "i-*,!" + khInstance + " " + staleHostKey + "\n", StatusPass, "no known_hosts entry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := &Env{Target: target, Local: knownHostsLocal(tc.file)}
			r := localKnownHostsCheck().Run(context.Background(), env)
			if r.Status != tc.status || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s %q, want %s %q", r.Status, r.Message, tc.status, tc.msg)
			}
		})
	}
}

// With --on-instance the simulated instance's host key (derived from its
// id) is compared with known_hosts.
func TestLocalKnownHostsAgainstInstance(t *testing.T) {
	a, _ := simEnv(t, awssim.DemoScenario(), awssim.DemoAccessKey)
	ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{khInstance}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		status     Status
		msg        string
	}{
		{"replaced", khInstance + " " + staleHostKey + "\n", StatusFail, "than the instance has"},
		{"agrees (hashed)", hashedName(khInstance) + " " + awssim.HostPublicKey(khInstance) + "\n", StatusPass, "agrees with the instance's host key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &Env{AWS: a, Target: ts[0], Local: knownHostsLocal(tc.file), Options: Options{OnInstance: true, OnInstanceWait: 20 * time.Second}}
			r := localKnownHostsCheck().Run(context.Background(), env)
			if r.Status != tc.status || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s %q %q, want %s %q", r.Status, r.Message, r.Details, tc.status, tc.msg)
			}
			if tc.status == StatusFail && !strings.Contains(r.Fix, "ssh-keygen -R "+khInstance) {
				t.Fatalf("fix %q", r.Fix)
			}
		})
	}
}
