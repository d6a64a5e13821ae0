// Package golden compares test output with files under a package's
// testdata directory, and rewrites them when the tests run with -update.
// Only tests import it.
//
//	go test ./internal/report -run TestGolden -update   # after checking the diff
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata instead of comparing with them")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// Assert compares got with testdata/name. With -update it writes got
// there instead (creating directories), so a change of output is one
// reviewed diff of the golden file.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (create it with: go test -run '%s' -update, then review it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (if the change is intended, rerun with -update and review the diff):\n%s",
			path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first lines that differ, with a few lines around
// them: enough to see the change without a diff tool.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	from := max(0, i-2)
	b.WriteString("first difference at line " + itoa(i+1) + "\n--- want\n")
	for j := from; j < min(len(w), i+4); j++ {
		b.WriteString("  " + w[j] + "\n")
	}
	b.WriteString("--- got\n")
	for j := from; j < min(len(g), i+4); j++ {
		b.WriteString("  " + g[j] + "\n")
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
