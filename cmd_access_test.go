package main

import (
	"testing"
)

func TestAccessSmoke(t *testing.T) {
	demoInProcess(t, "AKIADEMOADMIN0000001", nil)
	for _, f := range []string{"human", "csv"} {
		r := runInProcess(t, "access", demoHealthy, "--format", f, "--deterministic")
		t.Logf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := runInProcess(t, "access", "--principal", "user/gina", "--deterministic")
	t.Logf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
}
