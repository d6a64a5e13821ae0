package fix

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	cases := []struct {
		name      string
		a, b      string
		oldExists bool
		want      string
	}{
		{"equal", "x\n", "x\n", true, ""},
		{"new file", "", "a\nb\n", false, "--- /dev/null\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"prepend to empty", "", "a\n", true, "--- old\n+++ new\n@@ -0,0 +1 @@\n+a\n"},
		{"prepend", "1\n2\n3\n4\n5\n", "a\nb\n\n1\n2\n3\n4\n5\n", true,
			"--- old\n+++ new\n@@ -1,3 +1,6 @@\n+a\n+b\n+\n 1\n 2\n 3\n"},
		{"change in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n", true,
			"--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n", true,
			"--- old\n+++ new\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n@@ -10,3 +11,4 @@\n 10\n 11\n 12\n+13\n"},
		{"no final newline", "a", "x\na", true, "--- old\n+++ new\n@@ -1 +1,2 @@\n+x\n a\n\\ No newline at end of file\n"},
		{"crlf not shown", "a\r\n", "x\r\na\r\n", true, "--- old\n+++ new\n@@ -1 +1,2 @@\n+x\n a\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := UnifiedDiff("old", "new", []byte(c.a), []byte(c.b), c.oldExists)
			if got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// patch(1) must accept the diff and turn the old file into the new one.
func TestUnifiedDiffAppliesWithPatch(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("patch required in CI")
		}
		t.Skip("patch(1) not installed")
	}
	pairs := [][2]string{
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "0\n1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\n13\n"},
		{"Host a\n  User b\n", "# c\nInclude x\n\nHost a\n  User b\n"},
		{"a\nb\nc\n", "c\nb\na\n"},
		{"a\nb", "a\nb\nc"},
	}
	for i, p := range pairs {
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, []byte(p[0]), 0o600); err != nil {
			t.Fatal(err)
		}
		d := UnifiedDiff("f", "f", []byte(p[0]), []byte(p[1]), true)
		cmd := exec.Command(patch, "-s", "f")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pair %d: patch: %v\n%s\ndiff:\n%s", i, err, out, d)
		}
		got, _ := os.ReadFile(f)
		if string(got) != p[1] {
			t.Fatalf("pair %d: patched %q, want %q\ndiff:\n%s", i, got, p[1], d)
		}
	}
}

// A 20 MB config, as fix changes it (lines added at the top) and with one
// line changed in the middle: the hunk with its context and the right line
// numbers, the same diff the full line-by-line comparison gives.
func TestUnifiedDiffLargeFile(t *testing.T) {
	old := bigSSHConfig(20 << 20)
	lines := strings.SplitAfter(old, "\n")
	n := len(lines) - 1 // the last element is "" after the final newline
	mid := n / 2
	ctx := func(from, to int) string {
		var b strings.Builder
		for _, l := range lines[from:to] {
			b.WriteString(" " + l)
		}
		return b.String()
	}
	for _, c := range []struct{ name, new, want string }{
		{"added at the top", "# added\nInclude ssmdoctor.conf\n\n" + old,
			"@@ -1,3 +1,6 @@\n+# added\n+Include ssmdoctor.conf\n+\n" + ctx(0, 3)},
		{"changed in the middle", strings.Join(lines[:mid], "") + "    User changed\n" + strings.Join(lines[mid+1:], ""),
			fmt.Sprintf("@@ -%d,7 +%d,7 @@\n", mid-2, mid-2) + ctx(mid-3, mid) + "-" + lines[mid] + "+    User changed\n" + ctx(mid+1, mid+4)},
	} {
		a, b := []byte(old), []byte(c.new)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		got := UnifiedDiff("config", "config", a, b, true)
		runtime.ReadMemStats(&m1)
		// The diff needs next to nothing beside its inputs (it was 568 MB
		// when every line was split and kept).
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 8<<20 {
			t.Errorf("%s: the diff allocated %d MB", c.name, alloc>>20)
		}
		if want := "--- config\n+++ config\n" + c.want; got != want {
			t.Fatalf("%s: diff of the 20 MB file:\n%.2000s\nwant:\n%s", c.name, got, want)
		}
		if before := beforeUnifiedDiff("config", "config", []byte(old), []byte(c.new), true); got != before {
			t.Fatalf("%s: differs from the line-by-line diff:\n%s\nline by line:\n%s", c.name, got, before)
		}
	}
}

// Pairs where the common prefix or suffix ends inside a line, and where
// only the final newline or a line ending differs, against patch(1).
func TestUnifiedDiffPartialLinesWithPatch(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("patch required in CI")
		}
		t.Skip("patch(1) not installed")
	}
	pairs := [][2]string{
		{"Host web\n  User a\n", "Host web2\n  User a\n"},
		{"abc\nxyz\n", "abd\nxyz\n"},
		{"a\nb\nHost x\n", "a\nb\nHost yx\n"},
		{"a", "a\n"},
		{"a\n", "a"},
		{"one\ntwo\n", "one\r\ntwo\n"},
		{"x\ny\nz\n", "x\nY\ny\nz\n"},
		{"same\nsame\nsame\n", "same\nsame\nsame\nsame\n"},
		{"", "new\n"},
	}
	for i, p := range pairs {
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, []byte(p[0]), 0o600); err != nil {
			t.Fatal(err)
		}
		d := UnifiedDiff("f", "f", []byte(p[0]), []byte(p[1]), true)
		cmd := exec.Command(patch, "-s", "--binary", "f")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pair %d: patch: %v\n%s\ndiff:\n%s", i, err, out, d)
		}
		// CR is not shown in the diff, so a pair differing only by one
		// is checked for a hunk, not by patching.
		if got, _ := os.ReadFile(f); string(got) != p[1] && !strings.Contains(p[0]+p[1], "\r") {
			t.Fatalf("pair %d: patched %q, want %q\ndiff:\n%s", i, got, p[1], d)
		}
	}
}
