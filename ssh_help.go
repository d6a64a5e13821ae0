package main

import (
	"fmt"
	"io"
)

// ssh and scp skip urfave/cli's flag parsing (their options belong to
// OpenSSH), so their --help is ours to print.

const sshHelp = `ssmdoctor ssh - ssh to an instance through Session Manager (no plugin, no AWS CLI)

Usage:
  ssmdoctor ssh [ssmdoctor options] [ssh options] [user@]TARGET [command]

TARGET is an instance id (i-..., mi-...), a Name tag, a private or public IPv4
or IPv6 address, or a private or public DNS name, as for 'ssmdoctor check'. ssmdoctor
resolves it, runs a quick preflight (cached briefly) and then runs the system ssh
with ProxyCommand set to 'ssmdoctor proxy' and HostKeyAlias set to the instance
id. ssh's exit status is returned as is. Without user@, the user follows the
platform (ec2-user, ubuntu, admin, centos).

ssmdoctor options (before the target):
` + ourOptionsHelp + `
ssh options:
  Every other option (-p, -L, -D, -i, -o, -v, -t, ...) goes to ssh unchanged,
  in order. "--" ends the options. Anything after TARGET is the remote command.

Examples:
  ssmdoctor ssh i-0123456789abcdef0
  ssmdoctor ssh --profile prod ubuntu@web-1 uptime
  ssmdoctor ssh -L 8080:localhost:80 -N ec2-user@i-0123456789abcdef0
  ssmdoctor ssh --ephemeral-key ec2-user@web-1 sudo systemctl status sshd
`

const scpHelp = `ssmdoctor scp - copy files to or from an instance through Session Manager

Usage:
  ssmdoctor scp [ssmdoctor options] [scp options] SOURCE... DEST

One side is remote, written [user@]TARGET:path ([user@][IPv6]:path for an IPv6
address), where TARGET is as for 'ssmdoctor ssh' (one instance per command). ssmdoctor resolves it,
runs the same preflight and key handling as 'ssmdoctor ssh', then runs the
system scp through 'ssmdoctor proxy' and returns its exit status.

ssmdoctor options (before the operands):
` + ourOptionsHelp + `
scp options:
  Every other option (-r, -p, -P, -l, -i, -o, -v, ...) goes to scp unchanged,
  in order. "--" ends the options.

Examples:
  ssmdoctor scp ./build.tar.gz ec2-user@i-0123456789abcdef0:/tmp/
  ssmdoctor scp -r --profile prod ubuntu@web-1:/var/log/app ./logs
`

const ourOptionsHelp = `  --profile P      AWS shared config profile (also AWS_PROFILE)
  --region R       AWS region (also AWS_REGION)
  --ephemeral-key  push a one-time ed25519 key with EC2 Instance Connect (the
                   default when you have no usable key and give no -i)
  --no-preflight   skip the preflight checks
  --timeout D      bound resolution, preflight and key push (e.g. 30s)
  --connect-timeout D
                   how long an AWS endpoint, a proxy or the data channel may
                   take to answer, per attempt (default 10s)
  --verbose        print each AWS call and the proxy's progress to stderr
  --no-color       accepted for symmetry with other commands
  --help, -h       print this help
`

func printHelp(w io.Writer, text string) error {
	if _, err := fmt.Fprint(w, text); err != nil {
		return internalErr("", fmt.Errorf("print help: %w", err))
	}
	return nil
}
