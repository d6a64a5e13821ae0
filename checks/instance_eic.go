package checks

import "context"

func instanceEICCheck() Check {
	return New("instance-eic", "EC2 Instance Connect is installed and wired into sshd (--on-instance, one-time keys)", LayerInstance,
		onInstanceDeps, onInstanceTimeout, runInstanceEIC)
}

func runInstanceEIC(ctx context.Context, env *Env) Result {
	if !env.Options.Ephemeral {
		return Skip("one-time keys are not used (--ephemeral-key): your own key authenticates")
	}
	rep, _, r, ok := onInstance(ctx, env)
	if !ok {
		return r
	}
	fix := fixCommand(env, "--install-eic "+env.Target.InstanceID)
	installed := rep.EICCommand != "none" && rep.EICCommand != "" || rep.EICPackage == "installed"
	switch {
	case !installed:
		return Fail("ec2-instance-connect is not installed: sshd cannot see the keys pushed with SendSSHPublicKey").WithFix(fix, FixInstallEIC)
	case !rep.EICWired():
		cmd := rep.KeysCommand()
		if cmd == "" {
			cmd = "none"
		}
		return Fail("ec2-instance-connect is installed, but sshd's AuthorizedKeysCommand is %s", cmd).
			WithDetails("the package sets AuthorizedKeysCommand to eic_run_authorized_keys; reinstall it, or restore the setting in "+rep.Config).
			WithFix(fix, "")
	}
	return Pass("ec2-instance-connect is installed and sshd runs %s", rep.KeysCommand())
}
