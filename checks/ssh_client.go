package checks

import (
	"context"
	"errors"
	"time"
)

func sshClientCheck() Check {
	return New("ssh-client", "OpenSSH client is installed", LayerLocal, nil, 10*time.Second, runSSHClient)
}

func runSSHClient(ctx context.Context, env *Env) Result {
	c, err := env.Local.SSH(ctx)
	if errors.Is(err, errSSHMissing) {
		return Fail("ssh is not on PATH").WithFix(sshInstallCommand(env.Local.GOOS), "").
			WithDetails("ssmdoctor ssh also needs the OpenSSH client; the proxy alone works with any ssh")
	}
	if err != nil {
		return Fail("ssh is on PATH but does not run").WithDetails(err.Error())
	}
	return Pass("%s (%s)", c.Version, c.Path)
}

func sshInstallCommand(goos string) string {
	switch goos {
	case "windows":
		return "Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0"
	case "darwin":
		return "brew install openssh"
	}
	return "sudo apt-get install openssh-client   # or: sudo dnf install openssh-clients"
}
