package fix

// The diff as it was before the common prefix and suffix were found on the
// bytes: kept only so that BenchmarkUnifiedDiff20MB measures before and
// after in one run.

import (
	"fmt"
	"strings"
)

func beforeUnifiedDiff(oldName, newName string, a, b []byte, oldExists bool) string {
	if oldExists && string(a) == string(b) {
		return ""
	}
	al, aEOL := beforeSplitLines(string(a))
	bl, bEOL := beforeSplitLines(string(b))
	ops := beforeDiffLines(al, bl)
	if !oldExists {
		oldName = "/dev/null"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", oldName, newName)
	for _, h := range beforeHunks(ops, 3) {
		beforeWriteHunk(&sb, h, ops, len(al), len(bl), aEOL, bEOL)
	}
	return sb.String()
}

// splitLines splits text into lines without their endings; finalEOL tells
// whether the last line ended with a newline.
func beforeSplitLines(s string) (lines []string, finalEOL bool) {
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

type beforeOpKind byte

const (
	beforeOpEq  beforeOpKind = ' '
	beforeOpDel beforeOpKind = '-'
	beforeOpIns beforeOpKind = '+'
)

type beforeOp struct {
	kind   beforeOpKind
	ai, bi int // line index in a (eq, del) and b (eq, ins)
	text   string
}

// beforeMaxDiffCells bounds the LCS table; beyond it the changed middle is shown
// as removed then added, which is still a correct diff.
const beforeMaxDiffCells = 4 << 20

// diffLines is a longest-common-subsequence diff. Common leading and
// trailing lines are peeled off first: fixes add lines to a file, so the
// table left over is tiny.
func beforeDiffLines(a, b []string) []beforeOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []beforeOp
	for i := 0; i < pre; i++ {
		out = append(out, beforeOp{beforeOpEq, i, i, a[i]})
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(am), len(bm)
	if n*m > beforeMaxDiffCells {
		for i := range am {
			out = append(out, beforeOp{beforeOpDel, pre + i, -1, am[i]})
		}
		for j := range bm {
			out = append(out, beforeOp{beforeOpIns, -1, pre + j, bm[j]})
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
				out = append(out, beforeOp{beforeOpEq, pre + i, pre + j, am[i]})
				i++
				j++
			case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
				// Removals before additions, as diff(1) prints them.
				out = append(out, beforeOp{beforeOpDel, pre + i, -1, am[i]})
				i++
			default:
				out = append(out, beforeOp{beforeOpIns, -1, pre + j, bm[j]})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ai, bi := len(a)-suf+k, len(b)-suf+k
		out = append(out, beforeOp{beforeOpEq, ai, bi, a[ai]})
	}
	return out
}

// hunk is a range [start, end) of ops.
type beforeHunk struct{ start, end int }

// hunks groups changes with ctx lines of context, merging groups whose
// context would touch.
func beforeHunks(ops []beforeOp, ctx int) []beforeHunk {
	var out []beforeHunk
	for i := 0; i < len(ops); i++ {
		if ops[i].kind == beforeOpEq {
			continue
		}
		start := max(0, i-ctx)
		end := i
		for end < len(ops) {
			if ops[end].kind != beforeOpEq {
				end++
				continue
			}
			// Run of equal lines: does another change follow within 2*ctx?
			k := end
			for k < len(ops) && ops[k].kind == beforeOpEq {
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
			out = append(out, beforeHunk{start, end})
		}
		i = end - 1
	}
	return out
}

func beforeWriteHunk(sb *strings.Builder, h beforeHunk, ops []beforeOp, na, nb int, aEOL, bEOL bool) {
	aStart, bStart, aLen, bLen := -1, -1, 0, 0
	for _, o := range ops[h.start:h.end] {
		if o.kind != beforeOpIns {
			if aStart < 0 {
				aStart = o.ai
			}
			aLen++
		}
		if o.kind != beforeOpDel {
			if bStart < 0 {
				bStart = o.bi
			}
			bLen++
		}
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", beforeRangeOf(aStart, aLen, h, ops, true), beforeRangeOf(bStart, bLen, h, ops, false))
	for _, o := range ops[h.start:h.end] {
		sb.WriteByte(byte(o.kind))
		sb.WriteString(o.text)
		sb.WriteByte('\n')
		last := (o.kind != beforeOpIns && o.ai == na-1 && !aEOL) || (o.kind != beforeOpDel && o.bi == nb-1 && !bEOL)
		if last {
			sb.WriteString("\\ No newline at end of file\n")
		}
	}
}

// rangeOf formats "start,len" (1-based); an empty range names the line
// before it, as diff does.
func beforeRangeOf(start, n int, h beforeHunk, ops []beforeOp, old bool) string {
	if n == 0 {
		// Position of the insertion point: count lines of this side before the hunk.
		before := 0
		for _, o := range ops[:h.start] {
			if (old && o.kind != beforeOpIns) || (!old && o.kind != beforeOpDel) {
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
