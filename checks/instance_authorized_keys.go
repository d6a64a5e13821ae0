package checks

import (
	"context"
	"strconv"
	"strings"
)

func instanceAuthorizedKeysCheck() Check {
	return New("instance-authorized-keys", "the key ssh offers is authorized for the OS user (--on-instance)", LayerInstance,
		[]string{"instance-os-user"}, onInstanceTimeout, runInstanceAuthorizedKeys)
}

func runInstanceAuthorizedKeys(ctx context.Context, env *Env) Result {
	if env.Options.Ephemeral && env.Options.OnInstance {
		return Skip("one-time keys: sshd reads them through EC2 Instance Connect (instance-eic)")
	}
	rep, _, r, ok := onInstance(ctx, env)
	if !ok {
		return r
	}
	fix := fixCommand(env, "--authorize-key "+env.Target.InstanceID+" --user "+rep.User)
	var details []string
	for _, f := range rep.KeyFiles {
		switch {
		case f.Stat.Missing:
			details = append(details, f.Path+": missing")
		case f.Error != "":
			details = append(details, f.Path+": "+f.Error)
		default:
			var fps []string
			for _, k := range f.Keys {
				fps = append(fps, k.SHA256)
			}
			details = append(details, f.Path+": "+plural(len(f.Keys), "key")+" "+strings.Join(fps, " "))
		}
	}
	if cmd := rep.KeysCommand(); cmd != "" {
		details = append(details, "AuthorizedKeysCommand "+cmd+" may admit other keys")
	}
	if probs := rep.StrictModesProblems(); len(probs) > 0 {
		return Fail("sshd's StrictModes ignores %s's keys: %s", rep.User, probs[0]).
			WithDetails(append(probs[1:], details...)...).WithFix(fix, FixAuthorizeKey)
	}
	authorized := map[string]bool{}
	for _, k := range rep.Fingerprints() {
		authorized[k.SHA256] = true
	}
	offered, notes, err := offeredKeys(ctx, env)
	if err != nil {
		return Undetermined("ssh -G", "could not tell which keys ssh offers: %v", err).WithDetails(details...)
	}
	details = append(details, notes...)
	for _, k := range offered {
		if authorized[k.Fingerprint] {
			return Pass("%s is authorized for %s", k, rep.User).WithDetails(details...)
		}
	}
	if len(authorized) == 0 {
		return Fail("no key is authorized for %s on the instance", rep.User).WithDetails(details...).WithFix(fix, FixAuthorizeKey)
	}
	if len(offered) == 0 {
		return Warn("%s has authorized keys, but ssh here has none to offer", rep.User).WithDetails(details...)
	}
	var offer []string
	for _, k := range offered {
		offer = append(offer, k.String())
	}
	return Fail("none of the keys ssh offers is authorized for %s: %s", rep.User, strings.Join(offer, ", ")).
		WithDetails(details...).WithFix(fix, FixAuthorizeKey)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
