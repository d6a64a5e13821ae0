package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/fatih/color"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

type palette struct{ pass, warn, fail, skip, err, bold, dim *color.Color }

func newPalette(on bool) palette {
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		// Per-value switch, so the global color.NoColor (which looks only
		// at os.Stdout) never overrides the caller's decision.
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		pass: mk(color.FgGreen), warn: mk(color.FgYellow), fail: mk(color.FgRed, color.Bold),
		skip: mk(color.Faint), err: mk(color.FgMagenta), bold: mk(color.Bold), dim: mk(color.Faint),
	}
}

var marks = map[checks.Status]string{
	checks.StatusPass: "✓", checks.StatusWarn: "!", checks.StatusFail: "✗",
	checks.StatusSkip: "-", checks.StatusError: "?",
}

func (p palette) mark(s checks.Status) string {
	m := marks[s]
	switch s {
	case checks.StatusPass:
		return p.pass.Sprint(m)
	case checks.StatusWarn:
		return p.warn.Sprint(m)
	case checks.StatusFail:
		return p.fail.Sprint(m)
	case checks.StatusSkip:
		return p.skip.Sprint(m)
	}
	return p.err.Sprint("?")
}

var layerTitles = map[checks.Layer]string{
	checks.LayerLocal: "Local workstation", checks.LayerCaller: "Caller IAM",
	checks.LayerInstance: "Instance", checks.LayerSession: "Session",
}

// Human writes the report for people: grouped by layer, one line per check,
// details and the fix command only under what needs attention.
func Human(w io.Writer, r Report, o Options) error {
	bw := bufio.NewWriter(w)
	p := newPalette(o.Color)
	if len(r.Targets) > 1 && !o.Detail {
		humanFleet(bw, p, r)
	} else {
		for i, t := range r.Targets {
			if i > 0 {
				fmt.Fprintln(bw)
			}
			humanTarget(bw, p, t)
		}
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, p.bold.Sprint(r.Summarize().Line()))
	return bw.Flush()
}

func targetLabel(t Target) string {
	if t.Input == "" && t.InstanceID == "" {
		return "no target: local and caller checks only"
	}
	label := t.Input
	if label == "" {
		label = t.InstanceID
	}
	// In parentheses what the input alone does not say: the Name tag and
	// the id it resolved to.
	var also []string
	for _, s := range []string{t.Name, t.InstanceID} {
		if s != "" && s != label && !slices.Contains(also, s) {
			also = append(also, s)
		}
	}
	if len(also) > 0 {
		label += " (" + strings.Join(also, ", ") + ")"
	}
	if t.Region != "" {
		label += " in " + t.Region
	}
	return Visible(label)
}

// instanceName names a target in the fleet summary: "web-1 (i-0abc…)", or
// the id alone when it has no Name tag.
func instanceName(t Target) string {
	id := t.InstanceID
	if id == "" {
		id = t.Input
	}
	if t.Name == "" || t.Name == id {
		return Visible(id)
	}
	return Visible(t.Name + " (" + id + ")")
}

func humanTarget(w io.Writer, p palette, t Target) {
	fmt.Fprintln(w, p.bold.Sprint(targetLabel(t)))
	for _, l := range checks.Layers() {
		first := true
		for _, c := range t.Checks {
			if c.Layer != l {
				continue
			}
			if first {
				fmt.Fprintf(w, "%s\n", layerTitles[l])
				first = false
			}
			humanLine(w, p, c)
		}
	}
}

func humanLine(w io.Writer, p palette, c checks.Outcome) {
	res := c.Result
	msg := res.Message
	if res.Status == checks.StatusError {
		msg = undeterminedText(res)
	}
	fmt.Fprintf(w, "  %s %s: %s\n", p.mark(res.Status), Visible(c.Title), Visible(msg))
	if res.Status == checks.StatusPass || res.Status == checks.StatusSkip {
		return
	}
	for _, d := range res.Details {
		for _, line := range strings.Split(d, "\n") {
			fmt.Fprintf(w, "      %s\n", p.dim.Sprint(Visible(line)))
		}
	}
	if res.Fix != "" {
		fmt.Fprintf(w, "      fix: %s\n", p.bold.Sprint(Visible(res.Fix)))
	}
}

const maxListedIDs = 10

// humanFleet summarises many targets per check: how many instances are in
// each non-passing state, and which.
func humanFleet(w io.Writer, p palette, r Report) {
	fmt.Fprintf(w, "%s\n", p.bold.Sprintf("%d targets", len(r.Targets)))
	type row struct {
		id, title string
		byStatus  map[checks.Status][]string
	}
	var order []string
	rows := map[string]*row{}
	layerOf := map[string]checks.Layer{}
	for _, t := range r.Targets {
		name := instanceName(t)
		for _, c := range t.Checks {
			rw := rows[c.ID]
			if rw == nil {
				rw = &row{id: c.ID, title: c.Title, byStatus: map[checks.Status][]string{}}
				rows[c.ID] = rw
				order = append(order, c.ID)
				layerOf[c.ID] = c.Layer
			}
			rw.byStatus[c.Result.Status] = append(rw.byStatus[c.Result.Status], name)
		}
	}
	worst := []checks.Status{checks.StatusFail, checks.StatusError, checks.StatusWarn, checks.StatusSkip, checks.StatusPass}
	for _, l := range checks.Layers() {
		first := true
		for _, id := range order {
			if layerOf[id] != l {
				continue
			}
			if first {
				fmt.Fprintf(w, "%s\n", layerTitles[l])
				first = false
			}
			rw := rows[id]
			top := checks.StatusPass
			for _, s := range worst {
				if len(rw.byStatus[s]) > 0 {
					top = s
					break
				}
			}
			var parts []string
			for _, s := range worst {
				if n := len(rw.byStatus[s]); n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", n, fleetWord(s)))
				}
			}
			fmt.Fprintf(w, "  %s %s: %s\n", p.mark(top), Visible(rw.title), strings.Join(parts, ", "))
			for _, s := range worst[:3] {
				if ids := rw.byStatus[s]; len(ids) > 0 {
					fmt.Fprintf(w, "      %s: %s\n", fleetWord(s), listIDs(ids))
				}
			}
		}
	}
	fmt.Fprintln(w, p.dim.Sprint("run with --verbose for every target's details"))
}

func fleetWord(s checks.Status) string {
	switch s {
	case checks.StatusPass:
		return "passed"
	case checks.StatusWarn:
		return "warned"
	case checks.StatusFail:
		return "failed"
	case checks.StatusSkip:
		return "skipped"
	}
	return "undetermined"
}

func listIDs(ids []string) string {
	ids = append([]string(nil), ids...)
	sort.Strings(ids)
	if len(ids) <= maxListedIDs {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:maxListedIDs], ", "), len(ids)-maxListedIDs)
}
