package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The binary built for the CLI tests (checkBinary) reads ssh's home, the
// passwd entry's, from this variable instead of the passwd database.
const (
	testPasswdHomeVar     = "SSMDOCTOR_TEST_PASSWD_HOME"
	testPasswdHomeLDFlag  = "github.com/ssmdoctor/ssmdoctor/internal/sshconfig.testHomeVar=" + testPasswdHomeVar
	testStoppedInstanceID = "i-0ff00000000000008" // stopped in the demo scenario
)

// setPasswdHome makes home the passwd home for in-process runs.
func setPasswdHome(t *testing.T, home string) {
	t.Helper()
	withDeps(t, func(d *deps) { d.passwdHome = func() (string, error) { return home, nil } })
}

// fakeStdinTerminal makes run() treat any stdin as a terminal, as if someone
// sat at the prompt.
func fakeStdinTerminal(t *testing.T) {
	t.Helper()
	withDeps(t, func(d *deps) { d.stdinTerminal = true })
}

// lockedBuffer is written by run() while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// treeOf maps every file under dir to its content.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
