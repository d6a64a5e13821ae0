//go:build windows

package onetimekey

import (
	"fmt"
	"net"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// On Windows the agent is a named pipe with an unguessable name whose
// DACL admits the current user alone (pipeSDDL); it is created as the
// first instance of its name, so nobody can have squatted it.
func listenAgent(string) (net.Listener, string, error) {
	sid, err := currentUserSID()
	if err != nil {
		return nil, "", err
	}
	name, err := pipeName()
	if err != nil {
		return nil, "", err
	}
	ln, err := winio.ListenPipe(name, &winio.PipeConfig{SecurityDescriptor: pipeSDDL(sid)})
	if err != nil {
		return nil, "", fmt.Errorf("named pipe %s: %w", name, err)
	}
	return ln, name, nil
}

func currentUserSID() (string, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("read the current user's SID: %w", err)
	}
	return tu.User.Sid.String(), nil
}

func dialAgent(sock string) (net.Conn, error) {
	timeout := 2 * time.Second
	return winio.DialPipe(sock, &timeout)
}

// ssh reads the pipe's path from SSH_AUTH_SOCK: through -o its
// backslashes would be unescaped by newer OpenSSH releases and kept by
// older ones.
func identityAgentOptions(string) []string { return []string{"-o", "IdentityAgent=SSH_AUTH_SOCK"} }

func agentEnv(sock string) []string { return []string{"SSH_AUTH_SOCK=" + sock} }

// defaultAgent is the agent Windows OpenSSH uses without SSH_AUTH_SOCK.
const defaultAgent = `\\.\pipe\openssh-ssh-agent`
