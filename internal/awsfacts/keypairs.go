package awsfacts

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/crypto/ssh"
)

// KeyPairsAPI is EC2's DescribeKeyPairs; the SDK's EC2 client has it.
type KeyPairsAPI interface {
	DescribeKeyPairs(context.Context, *ec2.DescribeKeyPairsInput, ...func(*ec2.Options)) (*ec2.DescribeKeyPairsOutput, error)
}

// KeyPair is the public side of an EC2 key pair, as far as the checks
// compare it: its name and its public key's SHA256 fingerprint, never the
// key itself.
type KeyPair struct {
	Name string
	// Fingerprint is "SHA256:…" of the public key EC2 returned; "" when it
	// returned none (key pairs created before 2021 have no stored public
	// key) or one that does not parse.
	Fingerprint string
}

// keyPairsChunk bounds the values of one key-name filter.
const keyPairsChunk = 200

// KeyPair describes the key pair name with its public key
// (IncludePublicKey); nil when the account has no key pair of that name
// (deleted since the launch). Memoized; in a fleet run (PrefetchFleet) the
// first question describes every key pair the fleet's instances name, one
// DescribeKeyPairs per 200 names, and every later one is answered from
// it. Only the --on-instance comparison asks (exposure-key-pair), so a run
// without it makes no such call.
func (e *AWSEnv) KeyPair(ctx context.Context, name string) (*KeyPair, error) {
	if e.fleet && len(e.fleetKeyNames) > 0 {
		if _, err := e.fleetKeyPairs.get(ctx, "", func() (bool, error) { return true, e.fetchKeyPairs(ctx, e.fleetKeyNames) }); err != nil {
			return nil, err
		}
	}
	return e.keyPairs.get(ctx, name, func() (*KeyPair, error) {
		api, ok := e.ec2.(KeyPairsAPI)
		if !ok {
			return nil, callErr("ec2:DescribeKeyPairs", errors.New("this client cannot describe key pairs"))
		}
		out, err := api.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{name}, IncludePublicKey: aws.Bool(true)})
		if ErrorCode(err) == "InvalidKeyPair.NotFound" {
			return nil, nil
		}
		if err != nil {
			return nil, callErr("ec2:DescribeKeyPairs", err)
		}
		for _, k := range out.KeyPairs {
			if aws.ToString(k.KeyName) == name {
				return keyPairOf(k), nil
			}
		}
		return nil, nil
	})
}

// fetchKeyPairs describes names by the key-name filter (a name that no
// longer exists matches nothing instead of failing the call) and stores
// every answer, nil for the names not found.
func (e *AWSEnv) fetchKeyPairs(ctx context.Context, names []string) error {
	api, ok := e.ec2.(KeyPairsAPI)
	if !ok {
		return callErr("ec2:DescribeKeyPairs", errors.New("this client cannot describe key pairs"))
	}
	got := map[string]*KeyPair{}
	for _, chunk := range chunks(names, keyPairsChunk) {
		out, err := api.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{IncludePublicKey: aws.Bool(true),
			Filters: []ec2types.Filter{{Name: aws.String("key-name"), Values: chunk}}})
		if err != nil {
			return callErr("ec2:DescribeKeyPairs", err)
		}
		for _, n := range chunk {
			got[n] = nil
		}
		for _, k := range out.KeyPairs {
			got[aws.ToString(k.KeyName)] = keyPairOf(k)
		}
	}
	e.keyPairs.putAll(got, nil)
	return nil
}

func keyPairOf(k ec2types.KeyPairInfo) *KeyPair {
	kp := &KeyPair{Name: aws.ToString(k.KeyName)}
	if pub := strings.TrimSpace(aws.ToString(k.PublicKey)); pub != "" {
		if pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pub)); err == nil {
			kp.Fingerprint = ssh.FingerprintSHA256(pk)
		}
	}
	return kp
}
