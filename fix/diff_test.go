package fix

import (
	"os"
	"os/exec"
	"path/filepath"
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
