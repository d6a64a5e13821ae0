package main

import (
	"bytes"
	"os"
	"testing"
)

// withDeps changes the world run() builds for the rest of the test, on
// top of what earlier calls changed.
func withDeps(t *testing.T, f func(*deps)) {
	t.Helper()
	prev := adjustDeps
	adjustDeps = func(d *deps) {
		if prev != nil {
			prev(d)
		}
		f(d)
	}
	t.Cleanup(func() { adjustDeps = prev })
}

// The terminal is decided by the terminal driver, not by the file's mode:
// /dev/null is a character device and no terminal, so nothing prompts at
// it; buffers and pipes are no terminals either.
func TestSystemDepsTerminals(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	d := systemDeps(null, w, &bytes.Buffer{})
	if d.stdinTerminal || d.stdoutTerminal || d.stderrTerminal {
		t.Fatalf("/dev/null, a pipe and a buffer taken for terminals: %+v", d)
	}
	if d.useColor(false) {
		t.Fatal("colour on a pipe")
	}
	d.stdoutTerminal = true
	d.lookupEnv = func(k string) (string, bool) { return map[string]string{"NO_COLOR": "1"}[k], k == "NO_COLOR" }
	if d.useColor(false) {
		t.Fatal("colour despite NO_COLOR")
	}
}

// setEnv sets environment variables (an empty value unsets) and returns a
// function that restores the previous values; for tests that drive run()
// in this process with another AWS configuration.
func setEnv(kvs [][2]string) func() {
	type prev struct {
		val string
		ok  bool
	}
	saved := map[string]prev{}
	for _, kv := range kvs {
		if _, done := saved[kv[0]]; !done {
			v, ok := os.LookupEnv(kv[0])
			saved[kv[0]] = prev{v, ok}
		}
		if kv[1] == "" {
			os.Unsetenv(kv[0])
		} else {
			os.Setenv(kv[0], kv[1])
		}
	}
	return func() {
		for k, p := range saved {
			if p.ok {
				os.Setenv(k, p.val)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}
