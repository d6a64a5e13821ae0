package checks

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

// LocalEnv is the workstation as the local checks see it. Every field is a
// seam a test may replace; NewLocalEnv fills them with the real thing.
type LocalEnv struct {
	LookPath  func(file string) (string, error)
	LookupEnv func(key string) (string, bool)
	// HomeDir is the home directory as ssh knows it: the passwd entry's,
	// where ssh reads ~/.ssh/config and expands "~" (it ignores $HOME).
	HomeDir  func() (string, error)
	Stat     func(name string) (fs.FileInfo, error)
	ReadFile func(name string) ([]byte, error)
	Glob     func(pattern string) ([]string, error)
	// Exec runs a program and returns its stdout and stderr; err is non-nil
	// when it could not start or exited non-zero (*exec.ExitError).
	Exec   func(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error)
	GOOS   string
	GOARCH string

	// Credentials resolves the AWS credentials and region the way the SDK
	// does (profiles, SSO, env): awsapi.CredentialsProbe, set by
	// checkrun.NewEnv. nil means "not available".
	Credentials func(ctx context.Context) (CredentialsInfo, error)

	// SSHConfigFile is passed to `ssh -G` as -F when set (tests, --ssh-config).
	SSHConfigFile string
	// SampleHost is the host `ssh -G` is asked about when no target was
	// given: any instance id shows whether i-* hosts route through SSM.
	SampleHost string

	mu   sync.Mutex
	memo map[string]*localMemo
}

// CredentialsInfo describes resolved credentials without the secrets.
type CredentialsInfo = awsfacts.CredentialsInfo

type localMemo struct {
	once sync.Once
	val  any
	err  error
}

// NewLocalEnv returns a LocalEnv backed by the real machine.
func NewLocalEnv() *LocalEnv {
	return &LocalEnv{
		LookPath:   exec.LookPath,
		LookupEnv:  os.LookupEnv,
		HomeDir:    sshconfig.PasswdHome,
		Stat:       os.Stat,
		ReadFile:   os.ReadFile,
		Glob:       filepath.Glob,
		Exec:       runProgram,
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		SampleHost: "i-0123456789abcdef0",
	}
}

func runProgram(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// remember computes f once per key for the life of the LocalEnv, so several
// checks (and several targets of a fleet) share one `ssh -G` or `ssh -V`.
// An answer cut short because ctx ended (a check's timeout) is not kept:
// the next target asks again, as the AWS memo does.
func (l *LocalEnv) remember(ctx context.Context, key string, f func() (any, error)) (any, error) {
	l.mu.Lock()
	if l.memo == nil {
		l.memo = map[string]*localMemo{}
	}
	e := l.memo[key]
	if e == nil {
		e = &localMemo{}
		l.memo[key] = e
	}
	l.mu.Unlock()
	e.once.Do(func() {
		e.val, e.err = f()
		if e.err != nil && (ctx.Err() != nil || awsfacts.IsCancellation(e.err)) {
			l.mu.Lock()
			if l.memo[key] == e {
				delete(l.memo, key)
			}
			l.mu.Unlock()
		}
	})
	return e.val, e.err
}

// Getenv returns the variable's value, or "" when unset.
func (l *LocalEnv) Getenv(key string) string {
	v, _ := l.LookupEnv(key)
	return v
}

// errNoCredentialsProbe means main did not wire AWS configuration loading.
var errNoCredentialsProbe = errors.New("AWS configuration loading is not available")

// Creds resolves credentials once.
func (l *LocalEnv) Creds(ctx context.Context) (CredentialsInfo, error) {
	v, err := l.remember(ctx, "creds", func() (any, error) {
		if l.Credentials == nil {
			return CredentialsInfo{}, errNoCredentialsProbe
		}
		return l.Credentials(ctx)
	})
	info, _ := v.(CredentialsInfo)
	return info, err
}
