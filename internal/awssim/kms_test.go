package awssim

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

const kmsTestKey = "1234abcd-12ab-34cd-56ef-1234567890ab"
const kmsTestKeyARN = "arn:aws:kms:us-east-1:123456789012:key/" + kmsTestKey

// TestKMSRoundTrip is the Session Manager use: a 64-byte data key under the
// session's context, opened by Decrypt and by the agent side only with the
// same context.
func TestKMSRoundTrip(t *testing.T) {
	s, _ := startSSMSim(t)
	c := kmsAs(s, "ops")
	ctx := context.Background()
	ec := map[string]string{"aws:ssm:SessionId": "ops-0123456789abcdef0", "aws:ssm:TargetId": idHealthy}
	gen, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(kmsTestKey), NumberOfBytes: aws.Int32(64), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.Plaintext) != 64 || aws.ToString(gen.KeyId) != kmsTestKeyARN || len(gen.CiphertextBlob) <= 64 || bytes.Contains(gen.CiphertextBlob, gen.Plaintext) {
		t.Fatalf("GenerateDataKey: %d-byte plaintext, key %s, %d-byte blob", len(gen.Plaintext), aws.ToString(gen.KeyId), len(gen.CiphertextBlob))
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gen.CiphertextBlob, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec.Plaintext, gen.Plaintext) || aws.ToString(dec.KeyId) != kmsTestKeyARN || dec.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Fatalf("Decrypt: %+v", dec)
	}
	// By ARN with an explicit KeyId works too.
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gen.CiphertextBlob, EncryptionContext: ec, KeyId: aws.String(kmsTestKeyARN)}); err != nil {
		t.Fatalf("Decrypt with KeyId: %v", err)
	}
	agent, err := s.kmsDecryptDataKey(kmsTestKey, gen.CiphertextBlob, ec)
	if err != nil || !bytes.Equal(agent, gen.Plaintext) {
		t.Fatalf("agent side: %v", err)
	}

	wrong := map[string]string{"aws:ssm:SessionId": "ops-0123456789abcdef0", "aws:ssm:TargetId": idOldAgent}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gen.CiphertextBlob, EncryptionContext: wrong})
	iamWantErr(t, err, "InvalidCiphertextException", 400, "")
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gen.CiphertextBlob})
	iamWantErr(t, err, "InvalidCiphertextException", 400, "")
	if _, err := s.kmsDecryptDataKey(kmsTestKey, gen.CiphertextBlob, wrong); err == nil {
		t.Fatal("agent side opened the key with the wrong context")
	}
	tampered := append([]byte(nil), gen.CiphertextBlob...)
	tampered[len(tampered)-1] ^= 1
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: tampered, EncryptionContext: ec})
	iamWantErr(t, err, "InvalidCiphertextException", 400, "")
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: []byte("not a blob"), EncryptionContext: ec})
	iamWantErr(t, err, "InvalidCiphertextException", 400, "")
}

func TestKMSErrors(t *testing.T) {
	s, _ := startSSMSim(t)
	c := kmsAs(s, "ops")
	ctx := context.Background()
	spec, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(kmsTestKeyARN), KeySpec: types.DataKeySpecAes128})
	if err != nil || len(spec.Plaintext) != 16 {
		t.Fatalf("AES_128 by ARN: %v", err)
	}
	cases := []struct {
		name, code string
		in         *kms.GenerateDataKeyInput
	}{
		{"unknown key", "NotFoundException", &kms.GenerateDataKeyInput{KeyId: aws.String("00000000-0000-0000-0000-000000000000"), NumberOfBytes: aws.Int32(32)}},
		{"alias", "NotFoundException", &kms.GenerateDataKeyInput{KeyId: aws.String("alias/ssm"), NumberOfBytes: aws.Int32(32)}},
		{"key of another region", "NotFoundException", &kms.GenerateDataKeyInput{KeyId: aws.String("eu000000-12ab-34cd-56ef-1234567890ab"), NumberOfBytes: aws.Int32(32)}},
		{"neither size nor spec", "ValidationException", &kms.GenerateDataKeyInput{KeyId: aws.String(kmsTestKey)}},
		{"both size and spec", "ValidationException", &kms.GenerateDataKeyInput{KeyId: aws.String(kmsTestKey), NumberOfBytes: aws.Int32(32), KeySpec: types.DataKeySpecAes256}},
		{"too many bytes", "ValidationException", &kms.GenerateDataKeyInput{KeyId: aws.String(kmsTestKey), NumberOfBytes: aws.Int32(1025)}},
	}
	for _, tc := range cases {
		if _, err := c.GenerateDataKey(ctx, tc.in); apiCode(err) != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
	gen, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(kmsTestKey), NumberOfBytes: aws.Int32(32)})
	if err != nil {
		t.Fatal(err)
	}
	s.WithState(func(st *State) {
		st.KMSKeys["other000-12ab-34cd-56ef-1234567890ab"] = &KMSKey{ID: "other000-12ab-34cd-56ef-1234567890ab", Region: "us-east-1"}
	})
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gen.CiphertextBlob, KeyId: aws.String("other000-12ab-34cd-56ef-1234567890ab")})
	iamWantErr(t, err, "IncorrectKeyException", 400, "")
}

func TestKMSAccessDenied(t *testing.T) {
	s, _ := startSSMSim(t)
	gen, err := kmsAs(s, "ops").GenerateDataKey(context.Background(), &kms.GenerateDataKeyInput{KeyId: aws.String(kmsTestKey), NumberOfBytes: aws.Int32(64)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = kmsAs(s, "denied").GenerateDataKey(context.Background(), &kms.GenerateDataKeyInput{KeyId: aws.String(kmsTestKey), NumberOfBytes: aws.Int32(64)})
	iamWantErr(t, err, "AccessDeniedException", 400, "User: arn:aws:iam::123456789012:user/denied is not authorized to perform: kms:GenerateDataKey on resource: "+kmsTestKeyARN+" with an explicit deny in an identity-based policy")
	_, err = kmsAs(s, "nodoc").Decrypt(context.Background(), &kms.DecryptInput{CiphertextBlob: gen.CiphertextBlob})
	iamWantErr(t, err, "AccessDeniedException", 400, "User: arn:aws:iam::123456789012:user/nodoc is not authorized to perform: kms:Decrypt on resource: "+kmsTestKeyARN+" because no identity-based policy allows the kms:Decrypt action")
}
