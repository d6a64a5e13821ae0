package awssim

import (
	"crypto/rsa"
	"strings"

	"golang.org/x/crypto/ssh"
)

// eicPublicKey parses a key as EC2 Instance Connect accepts it: OpenSSH
// format, ED25519, ECDSA, or RSA of at least 2048 bits. It returns the
// authorized_keys line without comment.
func eicPublicKey(text string) (string, *APIError) {
	invalid := Errf("InvalidArgsException", "The public key is not valid. Supported types are ssh-rsa (2048 bits or more), ssh-ed25519 and ecdsa-sha2-nistp256/384/521, in OpenSSH format.")
	pk, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(text))
	if err != nil || len(strings.TrimSpace(string(rest))) > 0 {
		return "", invalid
	}
	switch pk.Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
	case ssh.KeyAlgoRSA:
		ck, ok := pk.(ssh.CryptoPublicKey)
		if !ok {
			return "", invalid
		}
		rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
		if !ok || rk.N.BitLen() < 2048 {
			return "", invalid
		}
	default:
		return "", invalid
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))), nil
}

func (s *Sim) eicSendSSHPublicKey(c *Call) (any, error) {
	var in struct {
		InstanceID       string `json:"InstanceId"`
		InstanceOSUser   string `json:"InstanceOSUser"`
		SSHPublicKey     string `json:"SSHPublicKey"`
		AvailabilityZone string `json:"AvailabilityZone"`
	}
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if in.InstanceID == "" || in.InstanceOSUser == "" || in.SSHPublicKey == "" {
		return nil, Errf("InvalidArgsException", "InstanceId, InstanceOSUser and SSHPublicKey are required.")
	}
	s.mu.Lock()
	inst, ok := s.state.Instances[in.InstanceID]
	ok = ok && inst.Region == c.Region && !isHybrid(in.InstanceID)
	var tags []Tag
	var az, state string
	if ok {
		tags = append(tags, inst.Tags...)
		state = inst.State
		if sn, found := s.state.Subnets[inst.SubnetID]; found {
			az = sn.AvailabilityZone
		}
	}
	arn := "arn:aws:ec2:" + c.Region + ":" + s.state.AccountID + ":instance/" + in.InstanceID
	s.mu.Unlock()

	ctx := tagContext(map[string][]string{"ec2:osuser": {in.InstanceOSUser}}, tags, "ec2:ResourceTag/")
	if err := s.authorize(c, "ec2-instance-connect:SendSSHPublicKey", arn, ctx); err != nil {
		return nil, err
	}
	if !ok {
		return nil, Errf("EC2InstanceNotFoundException", "Instance %s not found.", in.InstanceID)
	}
	if in.AvailabilityZone != "" && az != "" && in.AvailabilityZone != az {
		return nil, Errf("EC2InstanceNotFoundException", "Instance %s not found in availability zone %s.", in.InstanceID, in.AvailabilityZone)
	}
	if state != "running" {
		return nil, Errf("EC2InstanceStateInvalidException", "Instance %s is not in a valid state for EC2 Instance Connect: it is %s.", in.InstanceID, state)
	}
	line, aerr := eicPublicKey(in.SSHPublicKey)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	s.ext.eic.push(in.InstanceID, in.InstanceOSUser, line, s.now().Add(eicKeyLifetime))
	s.mu.Unlock()
	return map[string]any{"RequestId": c.RequestID, "Success": true}, nil
}
