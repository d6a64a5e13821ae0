package fix

import (
	"bytes"
	"fmt"
	"strings"
)

// UnifiedDiff returns the difference from a to b in unified format with
// three lines of context, or "" when they are equal. A missing old file is
// shown as /dev/null. Carriage returns are not shown: CRLF files stay CRLF,
// and a diff full of ^M helps nobody review it.
func UnifiedDiff(oldName, newName string, a, b []byte, oldExists bool) string {
	if oldExists && string(a) == string(b) {
		return ""
	}
	ops := diffLines(a, b)
	if !oldExists {
		oldName = "/dev/null"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", oldName, newName)
	na, aEOL := countLines(a)
	nb, bEOL := countLines(b)
	for _, h := range hunks(ops, diffContext) {
		writeHunk(&sb, h, ops, na, nb, aEOL, bEOL)
	}
	return sb.String()
}

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// countLines returns the number of lines in s and whether the last one
// ends with a newline (true for an empty s).
func countLines(s []byte) (n int, finalEOL bool) {
	if len(s) == 0 {
		return 0, true
	}
	n = bytes.Count(s, []byte{'\n'})
	if s[len(s)-1] != '\n' {
		return n + 1, false
	}
	return n, true
}

// splitLines splits text into lines, each with its line ending ("\n",
// "\r\n", or none for a last line without one): two lines are equal only
// when their endings are too.
func splitLines(s []byte) []string {
	var lines []string
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n') + 1
		if i == 0 {
			i = len(s)
		}
		lines = append(lines, string(s[:i]))
		s = s[i:]
	}
	return lines
}

// shown is a line as the diff prints it: without its ending. Carriage
// returns are not shown.
func shown(line string) string {
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r")
}

type opKind byte

const (
	opEq  opKind = ' '
	opDel opKind = '-'
	opIns opKind = '+'
)

// op is one line of the diff. ai and bi are its line index in a and b; for
// an added line ai is the number of lines of a before it, for a removed
// line bi likewise.
type op struct {
	kind   opKind
	ai, bi int
	text   string
}

// maxDiffCells bounds the LCS table; beyond it the changed middle is shown
// as removed then added, which is still a correct diff.
const maxDiffCells = 4 << 20

// diffLines is a longest-common-subsequence diff of the lines of a and b.
// The common leading and trailing lines are found on the bytes, without
// splitting them into lines: fixes add a few lines to a file, so only the
// few changed lines, and the context shown around them, are ever split,
// compared or kept. Time is linear in the size of the files and memory in
// the size of the change (and the LCS table is bounded by maxDiffCells).
func diffLines(a, b []byte) []op {
	// Common prefix, cut back to the end of its last whole line.
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	p = bytes.LastIndexByte(a[:p], '\n') + 1
	// Common suffix of what follows, cut forward to the start of a line
	// in both files.
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	lineStart := func(x []byte, at int) bool { return at == p || x[at-1] == '\n' }
	if s > 0 && !(lineStart(a, len(a)-s) && lineStart(b, len(b)-s)) {
		// The suffix bytes are the same in both: its first newline ends
		// the partial line, in a and in b alike.
		if i := bytes.IndexByte(a[len(a)-s:], '\n'); i >= 0 {
			s -= i + 1
		} else {
			s = 0
		}
	}
	pre := bytes.Count(a[:p], []byte{'\n'})
	am, bm := splitLines(a[p:len(a)-s]), splitLines(b[p:len(b)-s])

	var out []op
	// Up to diffContext lines of the prefix, for context.
	ctxStart := p
	for k := 0; k < diffContext && ctxStart > 0; k++ {
		ctxStart = bytes.LastIndexByte(a[:ctxStart-1], '\n') + 1
	}
	before := splitLines(a[ctxStart:p])
	for i, l := range before {
		k := pre - len(before) + i
		out = append(out, op{opEq, k, k, l})
	}

	n, m := len(am), len(bm)
	if n*m > maxDiffCells {
		for i := range am {
			out = append(out, op{opDel, pre + i, pre, am[i]})
		}
		for j := range bm {
			out = append(out, op{opIns, pre + n, pre + j, bm[j]})
		}
	} else {
		// lcs[i][j] is the LCS length of am[i:] and bm[j:].
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if am[i] == bm[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && am[i] == bm[j]:
				out = append(out, op{opEq, pre + i, pre + j, am[i]})
				i++
				j++
			case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
				// Removals before additions, as diff(1) prints them.
				out = append(out, op{opDel, pre + i, pre + j, am[i]})
				i++
			default:
				out = append(out, op{opIns, pre + i, pre + j, bm[j]})
				j++
			}
		}
	}

	// Up to diffContext lines of the suffix.
	suffix := a[len(a)-s:]
	end := 0
	for k := 0; k < diffContext && end < len(suffix); k++ {
		if i := bytes.IndexByte(suffix[end:], '\n'); i >= 0 {
			end += i + 1
		} else {
			end = len(suffix)
		}
	}
	for k, l := range splitLines(suffix[:end]) {
		out = append(out, op{opEq, pre + n + k, pre + m + k, l})
	}
	return out
}

// hunk is a range [start, end) of ops.
type hunk struct{ start, end int }

// hunks groups changes with ctx lines of context, merging groups whose
// context would touch.
func hunks(ops []op, ctx int) []hunk {
	var out []hunk
	for i := 0; i < len(ops); i++ {
		if ops[i].kind == opEq {
			continue
		}
		start := max(0, i-ctx)
		end := i
		for end < len(ops) {
			if ops[end].kind != opEq {
				end++
				continue
			}
			// Run of equal lines: does another change follow within 2*ctx?
			k := end
			for k < len(ops) && ops[k].kind == opEq {
				k++
			}
			if k < len(ops) && k-end <= 2*ctx {
				end = k
				continue
			}
			end = min(len(ops), end+ctx)
			break
		}
		if len(out) > 0 && start <= out[len(out)-1].end {
			out[len(out)-1].end = end
		} else {
			out = append(out, hunk{start, end})
		}
		i = end - 1
	}
	return out
}

func writeHunk(sb *strings.Builder, h hunk, ops []op, na, nb int, aEOL, bEOL bool) {
	aStart, bStart, aLen, bLen := ops[h.start].ai, ops[h.start].bi, 0, 0
	for _, o := range ops[h.start:h.end] {
		if o.kind != opIns {
			aLen++
		}
		if o.kind != opDel {
			bLen++
		}
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", rangeOf(aStart, aLen), rangeOf(bStart, bLen))
	for _, o := range ops[h.start:h.end] {
		sb.WriteByte(byte(o.kind))
		sb.WriteString(shown(o.text))
		sb.WriteByte('\n')
		last := (o.kind != opIns && o.ai == na-1 && !aEOL) || (o.kind != opDel && o.bi == nb-1 && !bEOL)
		if last {
			sb.WriteString("\\ No newline at end of file\n")
		}
	}
}

// rangeOf formats "start,len" (1-based); an empty range names the line
// before it, as diff does.
func rangeOf(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
