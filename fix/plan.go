// Package fix plans and applies repairs: edits of files (shown as a unified
// diff, written atomically with a backup) and changes to an AWS account
// (shown as the exact API calls before they run). A plan is computed from
// the current state every time, so a plan that already holds makes no
// change, and a plan interrupted half-way is finished by planning again.
package fix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Plan is what one fix would do.
type Plan struct {
	Title string   // e.g. "ssh config", "instance role for i-0123..."
	Notes []string // explanations, warnings and costs, shown before the steps
	Steps []Step
	// Already is set when nothing needs to change; it says what holds.
	Already string
	// PrintOnly marks a plan that only informs (a policy printed without
	// --attach): nothing to change, but not "already configured" either.
	PrintOnly bool
}

// Step is one change.
type Step interface {
	// Show writes what the step will do: an API call with its parameters,
	// or a unified diff.
	Show(w io.Writer)
	// Summary is one line for progress and for the done/not-done report.
	Summary() string
	Apply(ctx context.Context) error
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return p == nil || len(p.Steps) == 0 }

// Show prints the plan for the user to review.
func (p *Plan) Show(w io.Writer) {
	fmt.Fprintf(w, "== %s\n", p.Title)
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if p.Empty() && p.PrintOnly {
		fmt.Fprintf(w, "nothing changed: %s\n", p.Already)
		return
	}
	if p.Empty() {
		msg := p.Already
		if msg == "" {
			msg = "nothing to change"
		}
		fmt.Fprintf(w, "already configured: %s\n", msg)
		return
	}
	for i, s := range p.Steps {
		fmt.Fprintf(w, "%d. ", i+1)
		s.Show(w)
	}
}

// PartialError reports a plan stopped by a failed step: what was done, the
// step that failed and what was not attempted. Running the fix again plans
// from the state left behind and finishes.
type PartialError struct {
	Title   string
	Done    []string
	Failed  string
	NotDone []string
	Err     error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Title, e.Failed, e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

// Report writes the done / failed / not done lists.
func (e *PartialError) Report(w io.Writer) {
	fmt.Fprintf(w, "%s stopped at step %d of %d.\n", e.Title, len(e.Done)+1, len(e.Done)+1+len(e.NotDone))
	for _, s := range e.Done {
		fmt.Fprintf(w, "  done:     %s\n", s)
	}
	fmt.Fprintf(w, "  failed:   %s: %v\n", e.Failed, e.Err)
	for _, s := range e.NotDone {
		fmt.Fprintf(w, "  not done: %s\n", s)
	}
	fmt.Fprintln(w, "  run the same fix again to finish: it plans from what is there now")
}

// Apply runs the steps in order and stops at the first failure, which it
// returns as a *PartialError. progress (may be nil) receives a line per
// finished step.
func (p *Plan) Apply(ctx context.Context, progress io.Writer) error {
	for i, s := range p.Steps {
		if err := ctx.Err(); err != nil {
			return p.partial(i, err)
		}
		if err := s.Apply(ctx); err != nil {
			return p.partial(i, err)
		}
		if progress != nil {
			fmt.Fprintf(progress, "done: %s\n", s.Summary())
		}
	}
	return nil
}

func (p *Plan) partial(i int, err error) error {
	e := &PartialError{Title: p.Title, Failed: p.Steps[i].Summary(), Err: err}
	for _, s := range p.Steps[:i] {
		e.Done = append(e.Done, s.Summary())
	}
	for _, s := range p.Steps[i+1:] {
		e.NotDone = append(e.NotDone, s.Summary())
	}
	return e
}

// Refusal is a fix that will not proceed as asked (a read-only file, an
// existing profile without --replace, an explicit deny): the user must act.
type Refusal struct {
	What string
	Hint string
}

func (r *Refusal) Error() string { return r.What }

func refuse(hint, format string, a ...any) error {
	return &Refusal{What: fmt.Sprintf(format, a...), Hint: hint}
}

// IsRefusal reports whether err is a Refusal, and returns it.
func IsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}
