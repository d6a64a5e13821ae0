package checks

import (
	"context"
	"strings"
)

func instanceOSUserCheck() Check {
	return New("instance-os-user", "the OS user exists with a login shell and a home (--on-instance)", LayerInstance,
		onInstanceDeps, onInstanceTimeout, runInstanceOSUser)
}

func runInstanceOSUser(ctx context.Context, env *Env) Result {
	rep, _, r, ok := onInstance(ctx, env)
	if !ok {
		return r
	}
	u := rep.User
	if !rep.UserExists {
		return Fail("no user %s on the instance", u).
			WithDetails("the default user depends on the image: Amazon Linux and RHEL ec2-user, Ubuntu ubuntu, Debian admin, SUSE ec2-user, CentOS centos").
			WithFix("ssmdoctor check "+env.Target.InstanceID+" --user NAME --on-instance   # with the image's user", "")
	}
	sh := rep.Shell
	if strings.HasSuffix(sh, "/nologin") || strings.HasSuffix(sh, "/false") || sh == "" {
		return Fail("%s's login shell is %q: sshd authenticates the key, then runs nothing", u, sh).
			WithFix("sudo usermod -s /bin/bash "+u, "")
	}
	if rep.HomeStat == nil || rep.HomeStat.Missing {
		return Warn("%s's home directory %s does not exist: authorized_keys under it cannot be read", u, rep.Home)
	}
	return Pass("%s exists (uid %s, shell %s, home %s)", u, rep.UID, sh, rep.Home)
}
