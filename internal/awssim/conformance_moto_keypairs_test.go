package awssim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/motoserver"
)

// TestConformanceMotoDescribeKeyPairs imports an ed25519 key in moto
// (ImportKeyPair, tagged), seeds the same key pair into the simulator, and
// compares DescribeKeyPairs on both: by name with the public key, by name
// without it, by the key-name filter (with a name that matches nothing),
// and the error code for an unknown name. KeyPairId and CreateTime differ
// by construction (each side invents them), and KeyFingerprint because
// moto gives an ed25519 key's SHA-256 of the DER key in colon hex where
// AWS gives base64 of SHA-256 of the key blob (docs/test-doubles.md#known-moto-deviations);
// the simulator's fingerprint is TestEC2DescribeKeyPairs'.
func TestConformanceMotoDescribeKeyPairs(t *testing.T) {
	m := motoserver.Start(t)
	ctx := context.Background()
	acct := motoserver.NewAccountID()
	mc := ec2.NewFromConfig(m.Config(acct))
	if _, err := mc.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("legacy"), PublicKeyMaterial: []byte(demoLegacyKey),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeKeyPair, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}}}); err != nil {
		t.Fatalf("moto ImportKeyPair: %v", err)
	}

	st := ec2ReaderState(t, acct)
	st.KeyPairs["legacy"] = &KeyPair{PublicKey: demoLegacyKey, Tags: []Tag{{Key: "team", Value: "ops"}}}
	s := startSim(t, st, Options{})
	sc := ec2.NewFromConfig(awsConfig(s, filterKey, filterSecret, ""))
	clients := []*ec2.Client{mc, sc}
	ex := []exclusion{
		{"KeyPairs.*.KeyPairId", "invented by each side"},
		{"KeyPairs.*.CreateTime", "the time each side created it"},
		{"KeyPairs.*.KeyFingerprint", "moto: hex SHA-256 of the DER key for ed25519, AWS: base64 SHA-256 of the key blob"},
	}

	for _, c := range []struct {
		name string
		in   *ec2.DescribeKeyPairsInput
		n    int
	}{
		{"by name with public key", &ec2.DescribeKeyPairsInput{KeyNames: []string{"legacy"}, IncludePublicKey: aws.Bool(true)}, 1},
		{"by name", &ec2.DescribeKeyPairsInput{KeyNames: []string{"legacy"}}, 1},
		{"key-name filter", &ec2.DescribeKeyPairsInput{Filters: []ec2types.Filter{{Name: aws.String("key-name"), Values: []string{"legacy", "gone"}}}, IncludePublicKey: aws.Bool(true)}, 1},
		{"key-name filter, no match", &ec2.DescribeKeyPairsInput{Filters: []ec2types.Filter{{Name: aws.String("key-name"), Values: []string{"gone"}}}}, 0},
	} {
		var trees [2]any
		for i, cl := range clients {
			out, err := cl.DescribeKeyPairs(ctx, c.in)
			if err != nil {
				t.Fatalf("%s: DescribeKeyPairs (%d): %v", c.name, i, err)
			}
			if len(out.KeyPairs) != c.n {
				t.Errorf("%s (%d): %d key pairs, want %d", c.name, i, len(out.KeyPairs), c.n)
			}
			trees[i] = tree(t, out, idMap{})
		}
		compareTrees(t, "DescribeKeyPairs("+c.name+")", trees[0], trees[1], ex...)
	}

	var codes [2]string
	for i, cl := range clients {
		_, err := cl.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"gone"}})
		codes[i] = apiErrorCode(err)
	}
	if codes[0] != "InvalidKeyPair.NotFound" || codes[1] != codes[0] {
		t.Errorf("unknown key name: moto %q, simulator %q", codes[0], codes[1])
	}
}
