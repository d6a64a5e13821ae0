//go:build !windows

package onetimekey

import (
	"net"
	"path/filepath"
)

// The agent listens on a unix socket in the key's 0700 directory.
func listenAgent(dir string) (net.Listener, string, error) {
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	return ln, sock, err
}

func dialAgent(sock string) (net.Conn, error) { return net.Dial("unix", sock) }

func identityAgentOptions(sock string) []string { return []string{"-o", "IdentityAgent=" + sock} }

func agentEnv(string) []string { return nil }

// defaultAgent is the agent ssh uses without SSH_AUTH_SOCK: none.
const defaultAgent = ""
