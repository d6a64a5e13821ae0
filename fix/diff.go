package fix

import (
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
	al, aEOL := splitLines(string(a))
	bl, bEOL := splitLines(string(b))
	ops := diffLines(al, bl)
	if !oldExists {
		oldName = "/dev/null"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", oldName, newName)
	for _, h := range hunks(ops, 3) {
		writeHunk(&sb, h, ops, len(al), len(bl), aEOL, bEOL)
	}
	return sb.String()
}

// splitLines splits text into lines without their endings; finalEOL tells
// whether the last line ended with a newline.
func splitLines(s string) (lines []string, finalEOL bool) {
	if s == "" {
		return nil, true
	}
	finalEOL = strings.HasSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\n")
	for _, l := range strings.Split(s, "\n") {
		lines = append(lines, strings.TrimSuffix(l, "\r"))
	}
	return lines, finalEOL
}

type opKind byte

const (
	opEq  opKind = ' '
	opDel opKind = '-'
	opIns opKind = '+'
)

type op struct {
	kind   opKind
	ai, bi int // line index in a (eq, del) and b (eq, ins)
	text   string
}

// maxDiffCells bounds the LCS table; beyond it the changed middle is shown
// as removed then added, which is still a correct diff.
const maxDiffCells = 4 << 20

// diffLines is a longest-common-subsequence diff. Common leading and
// trailing lines are peeled off first: fixes add lines to a file, so the
// table left over is tiny.
func diffLines(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []op
	for i := 0; i < pre; i++ {
		out = append(out, op{opEq, i, i, a[i]})
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(am), len(bm)
	if n*m > maxDiffCells {
		for i := range am {
			out = append(out, op{opDel, pre + i, -1, am[i]})
		}
		for j := range bm {
			out = append(out, op{opIns, -1, pre + j, bm[j]})
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
				out = append(out, op{opDel, pre + i, -1, am[i]})
				i++
			default:
				out = append(out, op{opIns, -1, pre + j, bm[j]})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ai, bi := len(a)-suf+k, len(b)-suf+k
		out = append(out, op{opEq, ai, bi, a[ai]})
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
	aStart, bStart, aLen, bLen := -1, -1, 0, 0
	for _, o := range ops[h.start:h.end] {
		if o.kind != opIns {
			if aStart < 0 {
				aStart = o.ai
			}
			aLen++
		}
		if o.kind != opDel {
			if bStart < 0 {
				bStart = o.bi
			}
			bLen++
		}
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", rangeOf(aStart, aLen, h, ops, true), rangeOf(bStart, bLen, h, ops, false))
	for _, o := range ops[h.start:h.end] {
		sb.WriteByte(byte(o.kind))
		sb.WriteString(o.text)
		sb.WriteByte('\n')
		last := (o.kind != opIns && o.ai == na-1 && !aEOL) || (o.kind != opDel && o.bi == nb-1 && !bEOL)
		if last {
			sb.WriteString("\\ No newline at end of file\n")
		}
	}
}

// rangeOf formats "start,len" (1-based); an empty range names the line
// before it, as diff does.
func rangeOf(start, n int, h hunk, ops []op, old bool) string {
	if n == 0 {
		// Position of the insertion point: count lines of this side before the hunk.
		before := 0
		for _, o := range ops[:h.start] {
			if (old && o.kind != opIns) || (!old && o.kind != opDel) {
				before++
			}
		}
		return fmt.Sprintf("%d,0", before)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
