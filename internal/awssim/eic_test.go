package awssim

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2instanceconnect"
	"golang.org/x/crypto/ssh"
)

func eicKeyLine(t *testing.T, pub any) string {
	t.Helper()
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
}

func newED25519Line(t *testing.T) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return eicKeyLine(t, pub)
}

func sendKey(c *ec2instanceconnect.Client, id, user, key string) (*ec2instanceconnect.SendSSHPublicKeyOutput, error) {
	return c.SendSSHPublicKey(context.Background(), &ec2instanceconnect.SendSSHPublicKeyInput{
		InstanceId: aws.String(id), InstanceOSUser: aws.String(user), SSHPublicKey: aws.String(key)})
}

// TestEICSendSSHPublicKey: the key is held for that instance and user for
// 60 s of the simulator's clock, and the admin endpoint serves it.
func TestEICSendSSHPublicKey(t *testing.T) {
	s, clk := startSSMSim(t)
	c := eicAs(s, "ops")
	key := newED25519Line(t)
	out, err := sendKey(c, idHealthy, "ec2-user", key+" me@laptop")
	if err != nil {
		t.Fatal(err)
	}
	if !out.Success || aws.ToString(out.RequestId) == "" {
		t.Fatalf("response %+v", out)
	}
	if got := s.AuthorizedKeys(idHealthy, "ec2-user"); len(got) != 1 || got[0] != key {
		t.Fatalf("AuthorizedKeys = %q, want [%q]", got, key)
	}
	if got := s.AuthorizedKeys(idHealthy, "root"); len(got) != 0 {
		t.Fatalf("other user sees %q", got)
	}
	if got := s.AuthorizedKeys(idOldAgent, "ec2-user"); len(got) != 0 {
		t.Fatalf("other instance sees %q", got)
	}
	fetch := func() string {
		t.Helper()
		resp, err := http.Get(s.URL() + "/_sim/eic-keys?" + url.Values{"instance": {idHealthy}, "user": {"ec2-user"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := fetch(); got != key+"\n" {
		t.Fatalf("endpoint body %q", got)
	}
	// A second key, pushed 30 s later with the right AZ, outlives the first.
	clk.Advance(30 * time.Second)
	key2 := newED25519Line(t)
	if _, err := c.SendSSHPublicKey(context.Background(), &ec2instanceconnect.SendSSHPublicKeyInput{InstanceId: aws.String(idHealthy),
		InstanceOSUser: aws.String("ec2-user"), SSHPublicKey: aws.String(key2), AvailabilityZone: aws.String("us-east-1a")}); err != nil {
		t.Fatalf("right AZ: %v", err)
	}
	clk.Advance(29 * time.Second)
	if got := s.AuthorizedKeys(idHealthy, "ec2-user"); len(got) != 2 {
		t.Fatalf("at 59 s: %q", got)
	}
	clk.Advance(2 * time.Second)
	if got := s.AuthorizedKeys(idHealthy, "ec2-user"); len(got) != 1 || got[0] != key2 {
		t.Fatalf("at 61 s only the second key may remain: %q", got)
	}
	clk.Advance(30 * time.Second)
	if got := fetch(); got != "" {
		t.Fatalf("at 91 s the endpoint still serves %q", got)
	}
}

func TestEICErrors(t *testing.T) {
	s, _ := startSSMSim(t)
	c := eicAs(s, "ops")
	good := newED25519Line(t)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cases := []struct {
		name, id, key, code string
	}{
		{"unknown instance", "i-0fffffffffffffff0", good, "EC2InstanceNotFoundException"},
		{"hybrid node", idHybrid, good, "EC2InstanceNotFoundException"},
		{"other region", idOtherRegion, good, "EC2InstanceNotFoundException"},
		{"stopped", idStopped, good, "EC2InstanceStateInvalidException"},
		{"garbage key", idHealthy, "ssh-ed25519 AAAAnotakey", "InvalidArgsException"},
		{"not a key", idHealthy, "hello", "InvalidArgsException"},
		{"rsa 1024", idHealthy, eicKeyLine(t, &rsa1024.PublicKey), "InvalidArgsException"},
		{"rsa 2048", idHealthy, eicKeyLine(t, &rsa2048.PublicKey), ""},
		{"ecdsa p256", idHealthy, eicKeyLine(t, &ec.PublicKey), ""},
	}
	for _, tc := range cases {
		_, err := sendKey(c, tc.id, "ec2-user", tc.key)
		if apiCode(err) != tc.code || (tc.code == "" && err != nil) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.code)
		}
	}
	_, err := c.SendSSHPublicKey(context.Background(), &ec2instanceconnect.SendSSHPublicKeyInput{InstanceId: aws.String(idHealthy),
		InstanceOSUser: aws.String("ec2-user"), SSHPublicKey: aws.String(good), AvailabilityZone: aws.String("us-east-1b")})
	iamWantErr(t, err, "EC2InstanceNotFoundException", 400, "")

	s.Throttle("ec2-instance-connect.SendSSHPublicKey", 1)
	_, err = sendKey(c, idHealthy, "ec2-user", good)
	iamWantErr(t, err, "ThrottlingException", 400, "Rate exceeded")
	if _, err := sendKey(c, idHealthy, "ec2-user", good); err != nil {
		t.Fatalf("after the throttled call: %v", err)
	}
}

func TestEICAccessDenied(t *testing.T) {
	s, _ := startSSMSim(t)
	key := newED25519Line(t)
	if _, err := sendKey(eicAs(s, "osuser"), idHealthy, "ec2-user", key); err != nil {
		t.Fatalf("ec2-user allowed by ec2:osuser: %v", err)
	}
	_, err := sendKey(eicAs(s, "osuser"), idHealthy, "root", key)
	iamWantErr(t, err, "AccessDeniedException", 403, "User: arn:aws:iam::123456789012:user/osuser is not authorized to perform: ec2-instance-connect:SendSSHPublicKey on resource: arn:aws:ec2:us-east-1:123456789012:instance/"+idHealthy+" because no identity-based policy allows the ec2-instance-connect:SendSSHPublicKey action")
	if _, err := sendKey(eicAs(s, "osuser"), idOldAgent, "ec2-user", key); apiCode(err) != "AccessDeniedException" {
		t.Fatalf("instance without Env=prod: got %v", err)
	}
	_, err = sendKey(eicAs(s, "denied"), idHealthy, "ec2-user", key)
	iamWantErr(t, err, "AccessDeniedException", 403, "")
	if got := s.AuthorizedKeys(idHealthy, "root"); len(got) != 0 {
		t.Fatalf("denied push stored: %q", got)
	}
}

// needPython3 skips (or fails under CI) when python3, which the
// AuthorizedKeysCommand script uses, is absent.
func needPython3(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is required in CI for the AuthorizedKeysCommand script: %v", err)
		}
		t.Skipf("python3 not found, cannot run the AuthorizedKeysCommand script: %v", err)
	}
}

// TestEICAuthorizedKeysCommand runs the written script as sshd would.
func TestEICAuthorizedKeysCommand(t *testing.T) {
	needPython3(t)
	s, _ := startSSMSim(t)
	key := newED25519Line(t)
	if _, err := sendKey(eicAs(s, "ops"), idHealthy, "ec2-user", key); err != nil {
		t.Fatal(err)
	}
	path, err := WriteAuthorizedKeysCommand(t.TempDir(), s.URL(), idHealthy)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("script mode: %v %v", fi, err)
	}
	for user, want := range map[string]string{"ec2-user": key + "\n", "root": "", "it's": ""} {
		out, err := exec.Command(path, user).Output()
		if err != nil {
			t.Fatalf("%s: run script: %v", user, err)
		}
		if string(out) != want {
			t.Errorf("%s: script printed %q, want %q", user, out, want)
		}
	}
}
