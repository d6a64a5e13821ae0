package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
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

// TestWithFixTakesKnownIDs: every WithFix in the checks names its selector
// by a checks.Fix* constant (or ""), never by a string a typo could
// break: a FixID nobody can run would be offered to users.
func TestWithFixTakesKnownIDs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("checks", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("glob: %v", err)
	}
	// The constants of checks/fixes.go; TestFixSelectorsTable ties their
	// values to the table.
	consts := map[string]bool{"NoFix": true, "FixSSHConfig": true, "FixInstanceRole": true, "FixUserPolicy": true,
		"FixDHMC": true, "FixHybridTier": true, "FixVPCEndpoints": true, "FixStart": true}
	fset := token.NewFileSet()
	calls := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "WithFix" || len(call.Args) != 2 {
				return true
			}
			calls++
			switch a := call.Args[1].(type) {
			case *ast.Ident:
				if !consts[a.Name] {
					t.Errorf("%s: WithFix(…, %s): not a checks.Fix* constant", fset.Position(a.Pos()), a.Name)
				}
			case *ast.BasicLit:
				if a.Value != `""` {
					t.Errorf("%s: WithFix(…, %s): name the selector by its checks.Fix* constant", fset.Position(a.Pos()), a.Value)
				}
			default:
				t.Errorf("%s: WithFix's selector is not a constant", fset.Position(call.Pos()))
			}
			return true
		})
	}
	if calls < 20 {
		t.Fatalf("found only %d WithFix calls: the scan is broken", calls)
	}
}
