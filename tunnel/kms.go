package tunnel

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// kmsCipher holds the two AES-256-GCM keys of an encrypted session. The
// 64-byte data key is split (docs/session-protocol.md#kms-encryption):
// bytes 0..31 decrypt what the agent sends, bytes 32..63 encrypt what we
// send; the agent mirrors them.
type kmsCipher struct {
	enc, dec cipher.AEAD
}

const gcmNonce = 12

func newKMSCipher(dataKey []byte) (*kmsCipher, error) {
	if len(dataKey) != 64 {
		return nil, fmt.Errorf("kms data key: want 64 bytes, got %d", len(dataKey))
	}
	dec, err := newGCM(dataKey[:32])
	if err != nil {
		return nil, err
	}
	enc, err := newGCM(dataKey[32:])
	if err != nil {
		return nil, err
	}
	return &kmsCipher{enc: enc, dec: dec}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes key: %w", err)
	}
	return cipher.NewGCM(b)
}

// seal returns nonce || ciphertext || tag.
func (k *kmsCipher) seal(p []byte) []byte {
	out := make([]byte, gcmNonce, gcmNonce+len(p)+k.enc.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic("tunnel: crypto/rand failed: " + err.Error())
	}
	return k.enc.Seal(out, out[:gcmNonce], p, nil)
}

var errShortCiphertext = errors.New("ciphertext shorter than its nonce")

func (k *kmsCipher) open(c []byte) ([]byte, error) {
	if len(c) < gcmNonce {
		return nil, errShortCiphertext
	}
	p, err := k.dec.Open(nil, c[:gcmNonce], c[gcmNonce:], nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt payload: %w", err)
	}
	return p, nil
}
