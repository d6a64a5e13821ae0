package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

// Markdown writes a job summary (GitHub's $GITHUB_STEP_SUMMARY, or any
// Markdown page): one table row per target with its verdict, and for a
// target that failed, each failing or undetermined check with what it
// found and the command that fixes it. Warnings are counted, not listed:
// the summary answers "which instances are broken and how do I fix them".
func Markdown(w io.Writer, r Report, o Options) error {
	bw := bufio.NewWriter(w)
	s := r.Summarize()
	fmt.Fprintf(bw, "### ssmdoctor check\n\n")
	verdict := "✅ nothing failed"
	if s.Failed > 0 || s.Undetermined > 0 {
		verdict = "❌ " + mdCount(countTargets(r, failing), "target") + " failing"
	}
	fmt.Fprintf(bw, "%s: %s.\n\n", verdict, s.Line())
	fmt.Fprintf(bw, "| target | region | result | failing checks and fixes |\n")
	fmt.Fprintf(bw, "|---|---|---|---|\n")
	for _, t := range r.Targets {
		var ts Summary
		var bad []string
		for _, c := range t.Checks {
			ts.add(c.Result.Status)
			if failing(c.Result.Status) {
				bad = append(bad, markdownFinding(c))
			}
		}
		result := "✅ pass"
		switch {
		case ts.Failed > 0 || ts.Undetermined > 0:
			var parts []string
			if ts.Failed > 0 {
				parts = append(parts, fmt.Sprintf("%d failed", ts.Failed))
			}
			if ts.Undetermined > 0 {
				parts = append(parts, fmt.Sprintf("%d undetermined", ts.Undetermined))
			}
			result = "❌ " + strings.Join(parts, ", ")
		case ts.Warnings > 0:
			result = "⚠️ " + mdCount(ts.Warnings, "warning")
		}
		if ts.Warnings > 0 && (ts.Failed > 0 || ts.Undetermined > 0) {
			result += ", " + mdCount(ts.Warnings, "warning")
		}
		region := cell(t.Region)
		if region == "" {
			region = "–"
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", markdownTarget(t), region, result, strings.Join(bad, "<br>"))
	}
	if r.Version != "" {
		fmt.Fprintf(bw, "\n<sub>ssmdoctor %s</sub>\n", cell(r.Version))
	}
	return bw.Flush()
}

func failing(st checks.Status) bool { return st == checks.StatusFail || st == checks.StatusError }

func countTargets(r Report, pred func(checks.Status) bool) int {
	n := 0
	for _, t := range r.Targets {
		for _, c := range t.Checks {
			if pred(c.Result.Status) {
				n++
				break
			}
		}
	}
	return n
}

func mdCount(n int, word string) string {
	return fmt.Sprintf("%d %s", n, plural(n, word, word+"s"))
}

func markdownTarget(t Target) string {
	if t.InstanceID == "" && t.Input == "" {
		return "(no target: local and caller checks)"
	}
	name := suiteName(t)
	s := code(name)
	if t.Name != "" && t.Name != name {
		s += " " + cell(t.Name)
	}
	return s
}

// markdownFinding is one failing check in a cell: its ID, what it found,
// and the fix as code.
func markdownFinding(c checks.Outcome) string {
	s := "**" + cell(c.ID) + "**: " + cell(failureMessage(c.Result))
	if c.Result.Fix != "" {
		s += " — fix: " + code(c.Result.Fix)
	}
	return s
}

// cell makes text safe inside a table cell: one line, no HTML, no table
// delimiters, no emphasis or links from AWS's or a user's words, control
// characters visible.
func cell(s string) string {
	s = Visible(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '|', '\\', '`', '*', '_', '[', ']', '#', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// code is s as an inline code span in a table cell: fenced with more
// backticks than s holds, its | escaped (GitHub's tables split on an
// unescaped | even inside code).
func code(s string) string {
	s = Visible(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}
