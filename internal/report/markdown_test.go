package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

// Words from AWS or a user (a Name tag, an error message, a fix with a
// pipe) cannot break the table, inject HTML or links, or end a code span.
func TestMarkdownEscapesCells(t *testing.T) {
	r := Report{Targets: []Target{{InstanceID: "i-0123456789abcdef0", Region: "us-east-1", Name: "a|b <img src=x> [l](u) *e* \x1b[2J",
		Checks: []checks.Outcome{out("instance-running", "t", checks.LayerInstance,
			checks.Fail("line one\nline | two").WithFix("echo `id` | tee x", ""))}}}}
	var b bytes.Buffer
	if err := Markdown(&b, r, Options{Deterministic: true}); err != nil {
		t.Fatal(err)
	}
	want := "| `i-0123456789abcdef0` a\\|b &lt;img src=x&gt; \\[l\\](u) \\*e\\* \\\\x1b\\[2J | us-east-1 | ❌ 1 failed | " +
		"**instance-running**: line one\\\\nline \\| two — fix: ``echo `id` \\| tee x`` |\n"
	if !strings.Contains(b.String(), want) {
		t.Fatalf("got\n%s\nwant the row\n%s", b.String(), want)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if strings.HasPrefix(line, "| `i-") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 5 {
			t.Fatalf("the row does not have 4 cells: %s", line)
		}
	}
}

func TestMarkdownCodeSpans(t *testing.T) {
	for in, want := range map[string]string{
		"ssmdoctor fix --start i-1": "`ssmdoctor fix --start i-1`",
		"a `b` c":                   "``a `b` c``",
		"`x`":                       "`` `x` ``",
		"a|b":                       "`a\\|b`",
	} {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
}
