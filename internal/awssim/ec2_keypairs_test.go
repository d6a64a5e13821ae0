package awssim

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/crypto/ssh"
)

const demoLegacyKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBI7LQAiXFZQ+1vHiv3Q3MH9zoiJxzcfYUY19NC2khPB"

// DescribeKeyPairs through the SDK on the demo: by name with and without
// the public key, by the key-name filter (an unknown name in a filter
// matches nothing), and InvalidKeyPair.NotFound for an unknown name.
func TestEC2DescribeKeyPairs(t *testing.T) {
	s := startSim(t, DemoScenario(), Options{})
	c := ec2.NewFromConfig(awsConfig(s, DemoAccessKey, DemoSecretKey, ""))
	ctx := context.Background()

	out, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"demo-legacy"}, IncludePublicKey: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.KeyPairs) != 1 {
		t.Fatalf("key pairs: %+v", out.KeyPairs)
	}
	k := out.KeyPairs[0]
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(aws.ToString(k.PublicKey)))
	if err != nil {
		t.Fatalf("public key %q: %v", aws.ToString(k.PublicKey), err)
	}
	if aws.ToString(k.KeyName) != "demo-legacy" || aws.ToString(k.KeyPairId) != "key-0de0001e9ac70000a" || k.KeyType != ec2types.KeyTypeEd25519 ||
		aws.ToString(k.PublicKey) != demoLegacyKey || k.CreateTime == nil ||
		aws.ToString(k.KeyFingerprint) != strings.TrimPrefix(ssh.FingerprintSHA256(pk), "SHA256:")+"=" ||
		ssh.FingerprintSHA256(pk) != "SHA256:O1LpjgNU40hOijqvtklZuZQeBhk5xFE8ZrDy9Mjp5so" || len(k.Tags) != 1 {
		t.Errorf("key pair: %+v", k)
	}

	out, err = c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"demo-legacy"}})
	if err != nil || len(out.KeyPairs) != 1 || out.KeyPairs[0].PublicKey != nil {
		t.Errorf("without IncludePublicKey: %v %+v", err, out)
	}

	out, err = c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{Filters: []ec2types.Filter{{Name: aws.String("key-name"), Values: []string{"demo-legacy", "gone"}}}})
	if err != nil || len(out.KeyPairs) != 1 || aws.ToString(out.KeyPairs[0].KeyName) != "demo-legacy" {
		t.Errorf("key-name filter: %v %+v", err, out)
	}
	out, err = c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{Filters: []ec2types.Filter{{Name: aws.String("key-name"), Values: []string{"gone"}}}})
	if err != nil || len(out.KeyPairs) != 0 {
		t.Errorf("key-name filter without a match: %v %+v", err, out)
	}

	_, err = c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"gone"}})
	wantAPIError(t, err, "InvalidKeyPair.NotFound", 400, "The key pair 'gone' does not exist")
}

// The demo's key-pair instance has its launch key in ec2-user's
// authorized_keys (cloud-init's doing), next to the demo user's key; an
// instance without a key pair has only the latter.
func TestDefaultOSHasTheLaunchKey(t *testing.T) {
	st := DemoScenario()
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	keys := osOf(st.Instances["i-0bad000000000000c"]).Files["/home/ec2-user/.ssh/authorized_keys"].Keys
	if len(keys) != 2 || keys[0] != demoUserKey || keys[1] != demoLegacyKey+" demo-legacy" {
		t.Errorf("key-pair instance's authorized_keys: %q", keys)
	}
	if keys := osOf(st.Instances["i-0a11600d000000001"]).Files["/home/ec2-user/.ssh/authorized_keys"].Keys; len(keys) != 1 {
		t.Errorf("healthy instance's authorized_keys: %q", keys)
	}
}

// A scenario key pair must hold an OpenSSH public key.
func TestScenarioKeyPairValidated(t *testing.T) {
	st := DemoScenario()
	st.KeyPairs["bad"] = &KeyPair{PublicKey: "not a key"}
	if err := st.Normalize(); err == nil || !strings.Contains(err.Error(), "PublicKey is not an OpenSSH public key") {
		t.Errorf("Normalize: %v", err)
	}
}
