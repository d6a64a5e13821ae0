package awssim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// kmsKeyLocked resolves a key id or key ARN in a region and returns the
// key (with material, generated on first use) and its ARN.
func (s *Sim) kmsKeyLocked(region, ref string) (*KMSKey, string, *APIError) {
	acct := s.state.AccountID
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" {
			return nil, "", Errf("NotFoundException", "Invalid arn %s", ref)
		}
		region, id = parts[3], parts[5]
	}
	if name, ok := strings.CutPrefix(id, "alias/"); ok {
		return nil, "", Errf("NotFoundException", "Alias arn:aws:kms:%s:%s:alias/%s is not found.", region, acct, name)
	}
	id = strings.TrimPrefix(id, "key/")
	arn := "arn:aws:kms:" + region + ":" + acct + ":key/" + id
	k, ok := s.state.KMSKeys[id]
	keyRegion := ""
	if ok {
		keyRegion = k.Region
		if keyRegion == "" {
			keyRegion = s.state.DefaultRegion
		}
	}
	if !ok || keyRegion != region {
		return nil, "", Errf("NotFoundException", "Key '%s' does not exist", arn)
	}
	if len(k.Material) != 32 {
		k.Material = make([]byte, 32)
		rand.Read(k.Material)
	}
	return k, arn, nil
}

// kmsContext turns the encryption context into the condition keys KMS
// supplies, so kms:EncryptionContext:KEY conditions work.
func kmsContext(ctx map[string]string) map[string][]string {
	out := map[string][]string{}
	var keys []string
	for k, v := range ctx {
		out["kms:EncryptionContext:"+k] = []string{v}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		out["kms:EncryptionContextKeys"] = keys
	}
	return out
}

func (s *Sim) kmsGenerateDataKey(c *Call) (any, error) {
	var in struct {
		KeyID             string `json:"KeyId"`
		NumberOfBytes     *int
		KeySpec           string
		EncryptionContext map[string]string
	}
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	n := 0
	switch {
	case in.NumberOfBytes != nil && in.KeySpec != "":
		return nil, Errf("ValidationException", "Please specify either number of bytes or key spec.")
	case in.NumberOfBytes != nil:
		n = *in.NumberOfBytes
		if n < 1 || n > 1024 {
			return nil, Errf("ValidationException", "1 validation error detected: Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024", n)
		}
	case in.KeySpec == "AES_256":
		n = 32
	case in.KeySpec == "AES_128":
		n = 16
	case in.KeySpec != "":
		return nil, Errf("ValidationException", "1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", in.KeySpec)
	default:
		return nil, Errf("ValidationException", "Please specify either number of bytes or key spec.")
	}
	s.mu.Lock()
	k, arn, aerr := s.kmsKeyLocked(c.Region, in.KeyID)
	var material []byte
	if k != nil {
		material = append(material, k.Material...)
	}
	s.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	if err := s.authorize(c, "kms:GenerateDataKey", arn, kmsContext(in.EncryptionContext)); err != nil {
		return nil, err
	}
	pt := make([]byte, n)
	rand.Read(pt)
	blob, err := kmsSeal(k.ID, material, pt, in.EncryptionContext)
	if err != nil {
		return nil, fmt.Errorf("kms seal: %w", err)
	}
	return map[string]any{"CiphertextBlob": blob, "Plaintext": pt, "KeyId": arn}, nil
}

func (s *Sim) kmsDecrypt(c *Call) (any, error) {
	var in struct {
		CiphertextBlob    []byte
		EncryptionContext map[string]string
		KeyID             string `json:"KeyId"`
	}
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	blobID, ok := blobKeyID(in.CiphertextBlob)
	if !ok {
		return nil, Errf("InvalidCiphertextException", "")
	}
	s.mu.Lock()
	k, arn, aerr := s.kmsKeyLocked(c.Region, blobID)
	var material []byte
	if k != nil {
		material = append(material, k.Material...)
	}
	var reqARN string
	if aerr == nil && in.KeyID != "" {
		if _, a, err := s.kmsKeyLocked(c.Region, in.KeyID); err == nil {
			reqARN = a
		} else {
			reqARN = "?"
		}
	}
	s.mu.Unlock()
	if aerr != nil {
		// The blob names a key this account/region lacks: it cannot be ours.
		return nil, Errf("InvalidCiphertextException", "")
	}
	if reqARN != "" && reqARN != arn {
		return nil, Errf("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
	}
	if err := s.authorize(c, "kms:Decrypt", arn, kmsContext(in.EncryptionContext)); err != nil {
		return nil, err
	}
	pt, err := kmsOpen(material, in.CiphertextBlob, in.EncryptionContext)
	if errors.Is(err, errBadCiphertext) {
		return nil, Errf("InvalidCiphertextException", "")
	}
	if err != nil {
		return nil, fmt.Errorf("kms open: %w", err)
	}
	return map[string]any{"KeyId": arn, "Plaintext": pt, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil
}

// kmsDecryptDataKey plays the agent's KMS Decrypt of a session data key
// (the agent's instance role is not evaluated). keyID may be a key id or
// ARN, or empty to trust the blob; ctx must be the context the client used.
func (s *Sim) kmsDecryptDataKey(keyID string, blob []byte, ctx map[string]string) ([]byte, error) {
	blobID, ok := blobKeyID(blob)
	if !ok {
		return nil, fmt.Errorf("kms decrypt data key: %w", errBadCiphertext)
	}
	s.mu.Lock()
	region := s.state.DefaultRegion
	if k, found := s.state.KMSKeys[blobID]; found && k.Region != "" {
		region = k.Region
	}
	k, arn, aerr := s.kmsKeyLocked(region, blobID)
	var material []byte
	if k != nil {
		material = append(material, k.Material...)
	}
	if aerr == nil && keyID != "" {
		if _, a, err := s.kmsKeyLocked(region, keyID); err != nil || a != arn {
			aerr = Errf("IncorrectKeyException", "key %s is not the key of the ciphertext", keyID)
		}
	}
	s.mu.Unlock()
	if aerr != nil {
		return nil, fmt.Errorf("kms decrypt data key: %w", aerr)
	}
	pt, err := kmsOpen(material, blob, ctx)
	if err != nil {
		return nil, fmt.Errorf("kms decrypt data key: %w", err)
	}
	return pt, nil
}
