package awssim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Session encryption (docs/session-protocol.md#kms-encryption):
// AES-256-GCM, a fresh 12-byte nonce per message, sent as
// nonce || ciphertext || tag, no additional data.

func dcAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	return cipher.NewGCM(b)
}

func dcSeal(a cipher.AEAD, plain []byte) []byte {
	out := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	rand.Read(out)
	return a.Seal(out, out, plain, nil)
}

func dcOpen(a cipher.AEAD, sealed []byte) ([]byte, error) {
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, errors.New("sealed payload shorter than nonce and tag")
	}
	n := a.NonceSize()
	return a.Open(nil, sealed[:n], sealed[n:], nil)
}
