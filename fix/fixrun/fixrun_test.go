package fixrun

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/fix"
)

// An interrupt names the stage it stopped and whether anything was
// applied, with the next step once something was.
func TestInterruptedNamesStage(t *testing.T) {
	for _, c := range []struct {
		stage     string
		applied   bool
		msg, hint string
	}{
		{"at the prompt", false, "fix: interrupted at the prompt: nothing was applied", ""},
		{"while applying", true, "fix: interrupted while applying", "run the same fix again: it plans from what is there now"},
		{"while verifying", true, "fix: interrupted while verifying", "the change was applied; run 'ssmdoctor check' to see whether it worked"},
	} {
		r := New(Options{})
		r.stage, r.applied = c.stage, c.applied
		var fe *Error
		if err := r.Interrupted(); !errors.As(err, &fe) || fe.Kind != Interrupted || fe.Err.Error() != c.msg || fe.Hint != c.hint {
			t.Errorf("%s: %v (%+v)", c.stage, err, fe)
		}
	}
}

// A refusal is the account's state (Problems), a run's own Error keeps
// its kind, anything else is ssmdoctor failing (Failed).
func TestPlanErrorKinds(t *testing.T) {
	var fe *Error
	err := planError(checks.FixDHMC, &fix.Refusal{What: "no can do", Hint: "do this"})
	if !errors.As(err, &fe) || fe.Kind != Problems || fe.Err.Error() != "fix --dhmc: no can do" || fe.Hint != "do this" {
		t.Errorf("refusal: %v %+v", err, fe)
	}
	own := usage("h", "fix: bad")
	if planError(checks.FixDHMC, own) != own {
		t.Error("a run's own error was rewrapped")
	}
	err = planError(checks.FixStart, errors.New("boom"))
	if !errors.As(err, &fe) || fe.Kind != Failed || fe.Err.Error() != "fix --start: boom" {
		t.Errorf("other: %v %+v", err, fe)
	}
}

// A selector that needs an instance, without one, and an unknown
// selector are usage errors, found before AWS is asked anything.
func TestPlanUsageErrors(t *testing.T) {
	r := New(Options{LoadAWS: nil}) // a call to LoadAWS would panic
	var fe *Error
	if _, err := r.plan(t.Context(), checks.FixStart, nil); !errors.As(err, &fe) || fe.Kind != Usage || fe.Err.Error() != "fix: --start needs a TARGET" {
		t.Errorf("no target: %v", err)
	}
	if _, err := r.plan(t.Context(), "bogus", nil); !errors.As(err, &fe) || fe.Kind != Usage || fe.Err.Error() != `fix: no fix named "bogus"` {
		t.Errorf("unknown: %v", err)
	}
}

// --yes never asks; otherwise the run is at the prompt while Confirm
// waits, and Confirm's error ends it as it is.
func TestConfirm(t *testing.T) {
	asked := 0
	refuse := errors.New("no terminal")
	o := Options{Confirm: func(context.Context, string) (bool, error) { asked++; return false, refuse }}
	r := New(o)
	if ok, err := r.confirm(t.Context(), "x"); ok || err != refuse || asked != 1 || r.stage != "at the prompt" {
		t.Errorf("ok %v err %v asked %d stage %q", ok, err, asked, r.stage)
	}
	o.Yes = true
	r = New(o)
	if ok, err := r.confirm(t.Context(), "x"); !ok || err != nil || asked != 1 {
		t.Errorf("--yes: ok %v err %v asked %d", ok, err, asked)
	}
}

// The ssh config fix refuses a --via it does not know, after finding the
// home it would edit.
func TestPlanSSHConfigVia(t *testing.T) {
	home := t.TempDir()
	var out bytes.Buffer
	o := Options{Via: "telnet", Stdout: &out}
	o.Seam.PasswdHome = func() (string, error) { return home, nil }
	var fe *Error
	if _, err := New(o).planSSHConfig(); !errors.As(err, &fe) || fe.Kind != Usage || fe.Err.Error() != `fix: --via must be native or aws-cli, got "telnet"` {
		t.Errorf("%v", err)
	}
}
