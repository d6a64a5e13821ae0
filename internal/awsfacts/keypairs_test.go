package awsfacts_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts/awsfactstest"
)

const (
	testPubKey      = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBI7LQAiXFZQ+1vHiv3Q3MH9zoiJxzcfYUY19NC2khPB"
	testFingerprint = "SHA256:O1LpjgNU40hOijqvtklZuZQeBhk5xFE8ZrDy9Mjp5so"
)

// keyPairs answers DescribeKeyPairs from known (name -> public key, ""
// for a key pair without a stored public key), by name or by the key-name
// filter, and records each request.
func keyPairs(f *awsfactstest.Fake, known map[string]string, reqs *[]*ec2.DescribeKeyPairsInput) {
	f.On("DescribeKeyPairs", func(in any) (any, error) {
		req := in.(*ec2.DescribeKeyPairsInput)
		*reqs = append(*reqs, req)
		names := req.KeyNames
		for _, fl := range req.Filters {
			if aws.ToString(fl.Name) == "key-name" {
				names = append(names, fl.Values...)
			}
		}
		var out []ec2types.KeyPairInfo
		for _, n := range names {
			pub, ok := known[n]
			if !ok {
				if len(req.KeyNames) > 0 {
					return nil, &smithy.GenericAPIError{Code: "InvalidKeyPair.NotFound", Message: "The key pair '" + n + "' does not exist"}
				}
				continue
			}
			k := ec2types.KeyPairInfo{KeyName: aws.String(n), KeyType: ec2types.KeyTypeEd25519}
			if pub != "" && aws.ToBool(req.IncludePublicKey) {
				k.PublicKey = aws.String(pub)
			}
			out = append(out, k)
		}
		return &ec2.DescribeKeyPairsOutput{KeyPairs: out}, nil
	})
}

// KeyPair asks for the public key and answers its SHA256 fingerprint,
// once per name; a key pair that no longer exists is nil, one without a
// stored public key has no fingerprint.
func TestKeyPairFingerprint(t *testing.T) {
	f := awsfactstest.Healthy("i-0123456789abcdef0")
	var reqs []*ec2.DescribeKeyPairsInput
	keyPairs(f, map[string]string{"legacy": testPubKey, "old": ""}, &reqs)
	a := f.View("us-east-1")
	ctx := context.Background()
	for range 2 {
		k, err := a.KeyPair(ctx, "legacy")
		if err != nil || k == nil || k.Name != "legacy" || k.Fingerprint != testFingerprint {
			t.Fatalf("legacy: %+v %v", k, err)
		}
	}
	if len(reqs) != 1 || len(reqs[0].KeyNames) != 1 || reqs[0].KeyNames[0] != "legacy" || !aws.ToBool(reqs[0].IncludePublicKey) {
		t.Errorf("requests: %d, first %+v", len(reqs), reqs[0])
	}
	if k, err := a.KeyPair(ctx, "gone"); err != nil || k != nil {
		t.Errorf("deleted key pair: %+v %v", k, err)
	}
	if k, err := a.KeyPair(ctx, "old"); err != nil || k == nil || k.Fingerprint != "" {
		t.Errorf("key pair without a public key: %+v %v", k, err)
	}
	f.Deny("DescribeKeyPairs")
	a = f.View("us-east-1")
	if _, err := a.KeyPair(ctx, "legacy"); awsfacts.Classify(err) != awsfacts.Denied {
		t.Errorf("denied: %v", err)
	}
}

// In a fleet run the first question describes the key pairs of every
// instance in one call (the key-name filter: a deleted one matches
// nothing), and the prefetch itself describes none.
func TestKeyPairFleetOneCall(t *testing.T) {
	ids := []string{"i-0123456789abcdef0", "i-0123456789abcdef1", "i-0123456789abcdef2"}
	keyOf := map[string]string{ids[0]: "legacy", ids[1]: "gone", ids[2]: "legacy"}
	f := awsfactstest.Healthy(ids...)
	f.On("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
	describe := f.Handler("DescribeInstances")
	f.On("DescribeInstances", func(in any) (any, error) {
		out, err := describe(in)
		if err != nil {
			return nil, err
		}
		for _, r := range out.(*ec2.DescribeInstancesOutput).Reservations {
			for i := range r.Instances {
				r.Instances[i].KeyName = aws.String(keyOf[aws.ToString(r.Instances[i].InstanceId)])
			}
		}
		return out, nil
	})
	var reqs []*ec2.DescribeKeyPairsInput
	keyPairs(f, map[string]string{"legacy": testPubKey}, &reqs)
	var targets []*awsfacts.Target
	for _, id := range ids {
		targets = append(targets, &awsfacts.Target{Input: id, InstanceID: id, Region: "us-east-1"})
	}
	a := f.View("us-east-1")
	ctx := context.Background()
	if err := awsfacts.PrefetchFleet(ctx, a, targets, awsfacts.FleetQuestions{}); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 0 {
		t.Fatalf("the prefetch described key pairs: %d calls", len(reqs))
	}
	for _, id := range ids {
		k, err := a.KeyPair(ctx, keyOf[id])
		if err != nil {
			t.Fatal(err)
		}
		if keyOf[id] == "gone" && k != nil || keyOf[id] == "legacy" && (k == nil || k.Fingerprint != testFingerprint) {
			t.Errorf("%s: %+v", id, k)
		}
	}
	if len(reqs) != 1 || len(reqs[0].KeyNames) != 0 || len(reqs[0].Filters) != 1 || len(reqs[0].Filters[0].Values) != 2 {
		t.Errorf("want one DescribeKeyPairs filtered by both names, got %d: %+v", len(reqs), reqs)
	}
}
