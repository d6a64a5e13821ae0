package golden

import (
	"fmt"
	"strings"
	"testing"
)

func TestLineDiffNamesTheFirstDifference(t *testing.T) {
	d := lineDiff("a\nb\nc\nd\n", "a\nb\nX\nd\n")
	if !strings.HasPrefix(d, "first difference at line 3\n") || !strings.Contains(d, "  c\n") || !strings.Contains(d, "  X\n") {
		t.Fatalf("diff:\n%s", d)
	}
}

// A mismatch fails the test; a match does not.
func TestAssert(t *testing.T) {
	ft := &fakeT{TB: t}
	Assert(ft, "sample.txt", []byte("hello\n"))
	if ft.failed {
		t.Fatalf("matching output failed: %s", ft.msg)
	}
	ft = &fakeT{TB: t}
	Assert(ft, "sample.txt", []byte("hullo\n"))
	if !ft.failed || !strings.Contains(ft.msg, "sample.txt differs") {
		t.Fatalf("differing output: failed=%v %s", ft.failed, ft.msg)
	}
}

type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, a ...any) {
	f.failed = true
	f.msg = sprintf(format, a...)
}
func (f *fakeT) Fatalf(format string, a ...any) {
	f.failed = true
	f.msg = sprintf(format, a...)
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
