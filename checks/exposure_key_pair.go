package checks

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

func exposureKeyPairCheck() Check {
	return New("exposure-key-pair", "no long-lived EC2 key pair where one-time keys work", LayerInstance,
		[]string{"instance-exists"}, onInstanceTimeout, runExposureKeyPair)
}

// runExposureKeyPair warns about an instance launched with a key pair when
// one-time keys (EC2 Instance Connect) would do: its platform ships EC2
// Instance Connect and, with --ephemeral-key, the caller may push keys. It
// reads only what the other instance checks read (the instance and its
// registration), so a fleet costs no call of its own
// (docs/check-catalogue.md#exposure-key-pair). With --on-instance it also
// says whether the key pair's key is still authorized (keyStillAuthorized):
// the on-instance run the instance-* checks share, and DescribeKeyPairs.
func runExposureKeyPair(ctx context.Context, env *Env) Result {
	if env.Target != nil && env.Target.Hybrid {
		return Skip("hybrid nodes are not launched with EC2 key pairs")
	}
	inst, r, ok := targetInstance(ctx, env)
	if !ok {
		return r
	}
	key := aws.ToString(inst.KeyName)
	if key == "" {
		return Pass("launched without a key pair")
	}
	if inst.Platform == ec2types.PlatformValuesWindows {
		return Pass("launched with key pair %s, which Windows needs to decrypt the administrator password", key)
	}
	info, err := env.AWS.InstanceInformation(ctx, env.Target.InstanceID)
	if err != nil {
		return undetermined(err)
	}
	if info == nil {
		return Pass("launched with key pair %s; whether one-time keys work cannot be told until the instance registers with Systems Manager", key)
	}
	platform := strings.TrimSpace(aws.ToString(info.PlatformName) + " " + aws.ToString(info.PlatformVersion))
	if !shipsInstanceConnect(aws.ToString(info.PlatformName), aws.ToString(info.PlatformVersion)) {
		return Pass("launched with key pair %s; %s does not ship EC2 Instance Connect, so the key pair stays the way in", key, platform).
			WithDetails("install ec2-instance-connect on the instance to use one-time keys (ssmdoctor ssh --ephemeral-key) instead")
	}
	if env.Options.Ephemeral {
		allowed, r, ok := callerMayPushKeys(ctx, env)
		if !ok {
			return r
		}
		if !allowed {
			return Pass("launched with key pair %s; you may not push one-time keys (caller-instance-connect), so the key pair stays the way in", key)
		}
	}
	warn := Warn("launched with key pair %s while one-time keys work: %s ships EC2 Instance Connect", key, platform).WithDetails(
		"whoever holds the key pair's private key can log in for as long as its public key stays in ~/.ssh/authorized_keys, outside IAM and Session Manager",
		"ssmdoctor ssh --ephemeral-key pushes a new key for each connection (valid 60 seconds), allowed or denied by IAM")
	retire := fmt.Sprintf("to retire %s: remove its line from the OS user's ~/.ssh/authorized_keys on the instance; the key pair stays in the instance's launch record", key)
	if !env.Options.OnInstance {
		return warn.WithDetails(retire)
	}
	return keyStillAuthorized(ctx, env, key, info.PingStatus, warn, retire)
}

// keyStillAuthorized (--on-instance) compares the key pair's public key
// with the OS user's authorized keys by SHA256 fingerprint (the
// on-instance script reports fingerprints only; DescribeKeyPairs returns
// the public key): still there, warn with the line to remove; gone, pass.
// When either side cannot be read, today's judgement stands, saying why.
func keyStillAuthorized(ctx context.Context, env *Env, key string, ping ssmtypes.PingStatus, warn Result, retire string) Result {
	unknown := func(why string) Result {
		return warn.WithDetails(retire, "--on-instance: could not tell whether "+key+" is still in authorized_keys: "+why)
	}
	if ping != ssmtypes.PingStatusOnline {
		return unknown(fmt.Sprintf("the on-instance script was not sent (the agent is %s)", ping))
	}
	rep, _, r, ok := onInstance(ctx, env)
	if !ok {
		why := "the on-instance script did not run (" + r.Message + ")"
		if r.Status == StatusSkip {
			why = "the on-instance script was skipped (" + r.Message + ")"
		}
		return unknown(why)
	}
	kp, err := env.AWS.KeyPair(ctx, key)
	switch {
	case err != nil:
		return unknown(fmt.Sprintf("could not read the key pair's public key (%v)", err))
	case kp == nil:
		return unknown("the key pair no longer exists in the account, so its public key cannot be compared")
	case kp.Fingerprint == "":
		return unknown("EC2 keeps no public key for it (key pairs created before 2021)")
	}
	for _, f := range rep.KeyFiles {
		for _, k := range f.Keys {
			if k.SHA256 == kp.Fingerprint {
				return Warn("key pair %s (%s) is still authorized for %s", key, kp.Fingerprint, rep.User).
					WithDetails(warn.Message).WithDetails(warn.Details...).
					WithDetails(fmt.Sprintf("to retire %s: on the instance, remove the line of %s whose fingerprint is %s (ssh-keygen -lf %s lists them in file order); the key pair stays in the instance's launch record",
						key, f.Path, kp.Fingerprint, f.Path))
			}
		}
	}
	return Pass("key pair %s (%s) is no longer in %s's authorized_keys", key, kp.Fingerprint, rep.User).
		WithDetails(warn.Message + "; its private key no longer logs in as " + rep.User)
}

// shipsInstanceConnect: the platform's AWS images come with EC2 Instance
// Connect installed (Amazon Linux 2 and 2023, Ubuntu 20.04 and later).
func shipsInstanceConnect(name, version string) bool {
	switch name {
	case "Amazon Linux":
		return version == "2" || strings.HasPrefix(version, "2023")
	case "Ubuntu":
		major, _, _ := strings.Cut(version, ".")
		n, err := strconv.Atoi(major)
		return err == nil && n >= 20
	}
	return false
}

// callerMayPushKeys asks what caller-instance-connect asks (the same
// request, so the memoized answer is reused: no call of its own).
func callerMayPushKeys(ctx context.Context, env *Env) (bool, Result, bool) {
	c, r, ok := callerFor(ctx, env)
	if !ok {
		return false, r, false
	}
	if c.Kind == "root" {
		return true, Result{}, true
	}
	cv := append([]awsfacts.CtxValue{{Key: "ec2:osuser", Type: types.ContextKeyTypeEnumString, Values: []string{osUserOf(env)}}}, principalCtx(c)...)
	reqs := []awsfacts.AccessReq{{Action: "ec2-instance-connect:SendSSHPublicKey", Resource: instanceArn(c, regionOf(env), env.Target), Context: cv}}
	decs, _, err := env.AWS.Evaluate(ctx, env.AWS.CallerPrincipal(c), reqs)
	if err != nil {
		return false, accessError(err), false
	}
	return len(decs) == 1 && decs[0] != nil && decs[0].Decision == iampolicy.Allowed, Result{}, true
}
