package awssim

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// KeyPair is an EC2 key pair as DescribeKeyPairs shows it. The simulator
// holds only the public key (OpenSSH authorized_keys form); a scenario's
// instance launched with it (Instance.KeyName) has it in its OS user's
// authorized_keys, as cloud-init puts it there (defaultOS).
type KeyPair struct {
	Name       string    `json:"KeyName"`
	ID         string    `json:"KeyPairId"`
	Region     string    `json:"Region"`
	Type       string    `json:"KeyType"` // ed25519 or rsa, from the key
	PublicKey  string    `json:"PublicKey"`
	CreateTime time.Time `json:"CreateTime"`
	Tags       []Tag     `json:"Tags"`
}

type ec2KeyPairX struct {
	KeyPairID      string          `xml:"keyPairId"`
	KeyName        string          `xml:"keyName"`
	KeyFingerprint string          `xml:"keyFingerprint"`
	KeyType        string          `xml:"keyType"`
	Tags           ec2List[ec2Tag] `xml:"tagSet"`
	PublicKey      string          `xml:"publicKey,omitempty"`
	CreateTime     string          `xml:"createTime"`
}

type ec2DescribeKeyPairsOut struct {
	KeyPairs ec2List[ec2KeyPairX] `xml:"keySet"`
}

// normalizeKeyPairs checks each key pair's public key and fills its id,
// type, region and creation time.
func (st *State) normalizeKeyPairs() error {
	for _, name := range sortedKeys(st.KeyPairs) {
		k := st.KeyPairs[name]
		setDefault(&k.Name, name)
		if k.Name != name {
			return scenarioErr("key pair", name, "KeyName %s differs from its key", k.Name)
		}
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.PublicKey))
		if err != nil {
			return scenarioErr("key pair", name, "PublicKey is not an OpenSSH public key: %v", err)
		}
		typ := "rsa"
		if pk.Type() == ssh.KeyAlgoED25519 {
			typ = "ed25519"
		} else if pk.Type() != ssh.KeyAlgoRSA {
			return scenarioErr("key pair", name, "EC2 key pairs are ed25519 or rsa, not %s", pk.Type())
		}
		setDefault(&k.Type, typ)
		setDefault(&k.ID, "key-"+ec2Hex("key pair "+name, 17))
		setDefault(&k.Region, st.DefaultRegion)
		setDefaultTime(&k.CreateTime, scenarioEpoch)
	}
	for _, id := range sortedKeys(st.Instances) {
		inst := st.Instances[id]
		if k := st.KeyPairs[inst.KeyName]; k != nil && inst.KeyName != "" {
			inst.launchKey = strings.TrimSpace(k.PublicKey)
		}
	}
	return nil
}

// keyPairFingerprint is EC2's keyFingerprint of an imported key: for
// ed25519 the base64 SHA-256 digest of the key blob (OpenSSH's SHA256
// fingerprint, padded); for RSA the MD5 digest of the DER public key, in
// colon-separated hex.
func keyPairFingerprint(k *KeyPair) string {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.PublicKey))
	if err != nil {
		return ""
	}
	if pk.Type() == ssh.KeyAlgoED25519 {
		sum := sha256.Sum256(pk.Marshal())
		return base64.StdEncoding.EncodeToString(sum[:])
	}
	cpk, ok := pk.(ssh.CryptoPublicKey)
	if !ok {
		return ""
	}
	der, err := x509.MarshalPKIXPublicKey(cpk.CryptoPublicKey())
	if err != nil {
		return ""
	}
	sum := md5.Sum(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = hex.EncodeToString([]byte{b})
	}
	return strings.Join(parts, ":")
}

// DescribeKeyPairs: by KeyName.N (an unknown name fails the call with
// InvalidKeyPair.NotFound) or KeyPairId.N, filtered by key-name,
// key-pair-id, fingerprint, key-type and tags; the public key only with
// IncludePublicKey=true.
func (s *Sim) ec2DescribeKeyPairs(c *Call) (any, error) {
	if err := s.authorize(c, "ec2:DescribeKeyPairs", "*", nil); err != nil {
		return nil, err
	}
	names, ids := c.FormList("KeyName"), c.FormList("KeyPairId")
	include := ec2Bool(c, "IncludePublicKey", false)
	s.mu.Lock()
	defer s.mu.Unlock()
	byID := map[string]*KeyPair{}
	for _, k := range s.state.KeyPairs {
		byID[k.ID] = k
	}
	for _, n := range names {
		k := s.state.KeyPairs[n]
		if k == nil || k.Region != c.Region {
			return nil, Errf("InvalidKeyPair.NotFound", "The key pair '%s' does not exist", n)
		}
		ids = append(ids, k.ID)
	}
	kps, _, err := ec2Select(c, byID, func(k *KeyPair) string { return k.Region }, ids,
		func(missing []string) error {
			return Errf("InvalidKeyPair.NotFound", "The key pair ID '%s' does not exist", strings.Join(missing, ", "))
		},
		func(k *KeyPair) (map[string][]string, []Tag) {
			return map[string][]string{"key-name": {k.Name}, "key-pair-id": {k.ID}, "fingerprint": {keyPairFingerprint(k)}, "key-type": {k.Type}}, k.Tags
		}, 0)
	if err != nil {
		return nil, err
	}
	out := ec2DescribeKeyPairsOut{KeyPairs: ec2ListOf([]ec2KeyPairX{})}
	for _, k := range kps {
		x := ec2KeyPairX{KeyPairID: k.ID, KeyName: k.Name, KeyFingerprint: keyPairFingerprint(k), KeyType: k.Type,
			Tags: ec2TagSet(k.Tags), CreateTime: ISOTime(k.CreateTime)}
		if include {
			x.PublicKey = strings.TrimSpace(k.PublicKey)
		}
		out.KeyPairs.Item = append(out.KeyPairs.Item, x)
	}
	return out, nil
}
