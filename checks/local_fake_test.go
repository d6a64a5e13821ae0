package checks

import (
	"context"
	"errors"
	"io/fs"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// fakeMachine is a workstation made of maps, behind LocalEnv's seams.
type fakeMachine struct {
	path  map[string]string // program -> full path
	env   map[string]string
	files map[string]fakeFile
	runs  map[string]fakeRun // "prog arg arg" -> result
	creds func(context.Context) (CredentialsInfo, error)
	calls []string
}

type fakeFile struct {
	mode fs.FileMode
	data string
}

type fakeRun struct {
	stdout, stderr string
	err            error
}

type fileInfo struct {
	name string
	mode fs.FileMode
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return 0 }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

func newFakeMachine() *fakeMachine {
	return &fakeMachine{
		path:  map[string]string{"ssh": "/usr/bin/ssh"},
		env:   map[string]string{},
		files: map[string]fakeFile{},
		runs: map[string]fakeRun{
			"/usr/bin/ssh -V": {stderr: "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026\n"},
		},
	}
}

func (m *fakeMachine) local() *LocalEnv {
	return &LocalEnv{
		LookPath: func(f string) (string, error) {
			if p, ok := m.path[f]; ok {
				return p, nil
			}
			return "", exec.ErrNotFound
		},
		LookupEnv: func(k string) (string, bool) { v, ok := m.env[k]; return v, ok },
		HomeDir:   func() (string, error) { return "/home/u", nil },
		Stat: func(n string) (fs.FileInfo, error) {
			f, ok := m.files[n]
			if !ok {
				return nil, &fs.PathError{Op: "stat", Path: n, Err: fs.ErrNotExist}
			}
			return fileInfo{name: n, mode: f.mode}, nil
		},
		ReadFile: func(n string) ([]byte, error) {
			f, ok := m.files[n]
			if !ok {
				return nil, &fs.PathError{Op: "open", Path: n, Err: fs.ErrNotExist}
			}
			if f.mode&0o400 == 0 {
				return nil, &fs.PathError{Op: "open", Path: n, Err: fs.ErrPermission}
			}
			return []byte(f.data), nil
		},
		Glob: func(string) ([]string, error) { return nil, nil },
		Exec: func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
			key := strings.Join(append([]string{name}, args...), " ")
			m.calls = append(m.calls, key)
			r, ok := m.runs[key]
			if !ok {
				return nil, nil, errors.New("fake: unexpected command " + key)
			}
			return []byte(r.stdout), []byte(r.stderr), r.err
		},
		GOOS: "linux", GOARCH: "amd64",
		Credentials: m.creds,
		SampleHost:  "i-0123456789abcdef0",
	}
}

// sshG makes `ssh -G host` print cfg's effective lines.
func (m *fakeMachine) sshG(host, out string) { m.runs["/usr/bin/ssh -G "+host] = fakeRun{stdout: out} }

const (
	nativeProxy = "proxycommand ssmdoctor proxy %h %p\n"
	cliProxy    = "proxycommand sh -c \"aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters 'portNumber=%p'\"\n"
	baseG       = "user ec2-user\nhostname i-0123456789abcdef0\nport 22\nidentityfile ~/.ssh/id_rsa\nidentityfile ~/.ssh/id_ed25519\n"
)

type localCase struct {
	name    string
	setup   func(m *fakeMachine, o *Options)
	status  Status
	message string // substring
	fix     string // substring
}

func runLocalCases(t *testing.T, check func() Check, cases []localCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newFakeMachine()
			var o Options
			if c.setup != nil {
				c.setup(m, &o)
			}
			env := &Env{Options: o, Local: m.local()}
			r := check().Run(context.Background(), env)
			if r.Status != c.status || !strings.Contains(r.Message, c.message) || !strings.Contains(r.Fix, c.fix) {
				t.Fatalf("got %s %q fix %q details %q\nwant %s %q fix %q", r.Status, r.Message, r.Fix, r.Details, c.status, c.message, c.fix)
			}
			if strings.Contains(r.Message, "\n") {
				t.Fatalf("message spans lines: %q", r.Message)
			}
		})
	}
}
