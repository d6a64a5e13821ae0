package awssim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sort"
)

// Ciphertext blobs are this simulator's own format (AWS's is opaque too):
//
//	version byte 1 | key id length byte | key id | 12-byte nonce | AES-256-GCM sealed plaintext
//
// The additional data is the canonical encryption context, so a blob opens
// only with the context it was made with, as in KMS.
const kmsBlobVersion = 1

var errBadCiphertext = errors.New("invalid ciphertext")

// canonicalContext encodes the context unambiguously: sorted keys, each key
// and value length-prefixed.
func canonicalContext(ctx map[string]string) []byte {
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []byte
	for _, k := range keys {
		b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(ctx[k])))
		b = append(b, ctx[k]...)
	}
	return b
}

func kmsSeal(keyID string, material, plaintext []byte, ctx map[string]string) ([]byte, error) {
	if len(keyID) > 255 {
		return nil, errors.New("kms key id longer than 255 bytes")
	}
	aead, err := kmsAEAD(material)
	if err != nil {
		return nil, err
	}
	blob := []byte{kmsBlobVersion, byte(len(keyID))}
	blob = append(blob, keyID...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	blob = append(blob, nonce...)
	return aead.Seal(blob, nonce, plaintext, canonicalContext(ctx)), nil
}

// blobKeyID reads the key id a blob names, without opening it.
func blobKeyID(blob []byte) (string, bool) {
	if len(blob) < 2 || blob[0] != kmsBlobVersion || len(blob) < 2+int(blob[1]) {
		return "", false
	}
	return string(blob[2 : 2+int(blob[1])]), true
}

func kmsOpen(material, blob []byte, ctx map[string]string) ([]byte, error) {
	id, ok := blobKeyID(blob)
	if !ok {
		return nil, errBadCiphertext
	}
	aead, err := kmsAEAD(material)
	if err != nil {
		return nil, err
	}
	rest := blob[2+len(id):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, errBadCiphertext
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], canonicalContext(ctx))
	if err != nil {
		return nil, errBadCiphertext
	}
	return pt, nil
}

func kmsAEAD(material []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(material)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
