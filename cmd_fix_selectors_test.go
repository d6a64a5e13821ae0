package main

import (
	"slices"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/fix/fixrun"
)

// TestFixSelectorsTable: the selector table and checks.FixIDs are the same
// set in the same order; every selector is a flag of the fix command; a
// selector that names its target takes it as the flag's value; every
// check a selector answers exists; an unknown id has no row.
func TestFixSelectorsTable(t *testing.T) {
	var ids []checks.FixID
	for _, row := range fixrun.Selectors {
		ids = append(ids, row.ID)
		if row.Target != fixrun.TargetNone && row.Plan == nil {
			t.Errorf("%s: no plan", row.ID)
		}
		if len(row.Answers) == 0 {
			t.Errorf("%s: answers no check, so nothing would verify it", row.ID)
		}
	}
	if !slices.Equal(ids, checks.FixIDs()) {
		t.Fatalf("selector table %v, checks.FixIDs %v", ids, checks.FixIDs())
	}
	known := map[string]bool{}
	for _, c := range checks.All() {
		known[c.ID()] = true
	}
	flags := map[string]string{} // name -> "bool" or "string"
	for _, f := range fixCommand().Flags {
		kind := "bool"
		if v, ok := f.(interface{ TakesValue() bool }); ok && v.TakesValue() {
			kind = "string"
		}
		for _, n := range f.Names() {
			flags[n] = kind
		}
	}
	for _, row := range fixrun.Selectors {
		want := "bool"
		if row.Target == fixrun.TargetRequired {
			want = "string"
		}
		if flags[string(row.ID)] != want {
			t.Errorf("--%s is a %q flag of fix, want %s", row.ID, flags[string(row.ID)], want)
		}
		for _, id := range row.Answers {
			if !known[id] {
				t.Errorf("%s answers %q, which is not a check", row.ID, id)
			}
		}
	}
	if _, ok := fixrun.SelectorFor("bogus"); ok {
		t.Error("an unknown selector has a row")
	}
}
