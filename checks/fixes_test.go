package checks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestWithFixTakesKnownIDs: every WithFix in the checks names its selector
// by a checks.Fix* constant (or ""), never by a string a typo could
// break: a FixID nobody can run would be offered to users.
func TestWithFixTakesKnownIDs(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("glob: %v", err)
	}
	// The constants of checks/fixes.go; TestFixSelectorsTable ties their
	// values to the table.
	consts := map[string]bool{"NoFix": true, "FixSSHConfig": true, "FixInstanceRole": true, "FixUserPolicy": true,
		"FixDHMC": true, "FixHybridTier": true, "FixVPCEndpoints": true, "FixStart": true, "FixCloseSSHPort": true}
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
