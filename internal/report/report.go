// Package report renders results: every byte of check's, access's and
// sessions' result output lives here, in the formats of the one registry
// (formats.go): human, json, junit, github and csv, each rendering the
// kinds of report it can.
package report

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

// Report is one run of `ssmdoctor check`, over zero or more targets.
type Report struct {
	Version     string    // ssmdoctor version
	GeneratedAt time.Time // omitted in deterministic mode
	Targets     []Target
}

// Target is the outcomes for one instance; a run without a target has one
// Target with an empty Input (local and caller checks only).
type Target struct {
	Input      string
	InstanceID string
	Region     string
	Name       string // the instance's Name tag, "" when it has none
	Checks     []checks.Outcome
}

// Options change how a report is written, never what it says.
type Options struct {
	Color bool // decided once by the caller; see UseColor
	// Deterministic drops timestamps and durations so output can be
	// compared byte for byte (golden files, CI diffs).
	Deterministic bool
	// Detail prints every instance of a fleet in the human format instead
	// of the per-check summary.
	Detail bool
}

// Summary counts outcomes by status over every target.
type Summary struct {
	Passed, Warnings, Failed, Skipped, Undetermined int
}

// Summarize counts outcomes.
func (r Report) Summarize() Summary {
	var s Summary
	for _, t := range r.Targets {
		for _, o := range t.Checks {
			s.add(o.Result.Status)
		}
	}
	return s
}

func (s *Summary) add(st checks.Status) {
	switch st {
	case checks.StatusPass:
		s.Passed++
	case checks.StatusWarn:
		s.Warnings++
	case checks.StatusFail:
		s.Failed++
	case checks.StatusSkip:
		s.Skipped++
	default:
		s.Undetermined++
	}
}

// Line is the one-line summary printed by the human format.
func (s Summary) Line() string {
	return fmt.Sprintf("%d passed, %d %s, %d failed, %d skipped, %d could not be determined",
		s.Passed, s.Warnings, plural(s.Warnings, "warning", "warnings"), s.Failed, s.Skipped, s.Undetermined)
}

// plural is one when n is 1, else many: every format's counted nouns.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// UseColor decides colour once: never with --no-color, NO_COLOR or
// TERM=dumb, and only when w is a terminal.
func UseColor(w io.Writer, noColorFlag bool, getenv func(string) string) bool {
	return !noColorFlag && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb" && IsTerminal(w)
}

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
