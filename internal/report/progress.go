package report

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress is the one live line a check run shows on a terminal: how many
// of the targets (or checks) are done, the rate and the time left,
// rewritten in place with a carriage return and erase-line, and erased
// by Close, so that the report starts on a clean line. A nil *Progress
// (what NewProgress returns for anything but a terminal) writes nothing.
type Progress struct {
	w     io.Writer
	total int
	unit  string
	now   func() time.Time

	mu     sync.Mutex
	start  time.Time
	drawn  time.Time
	done   int
	shown  bool
	closed bool
}

// progressEvery is the least time between two redraws: a fleet of
// thousands finishing targets in bursts is drawn ten times a second, not
// once per target.
const progressEvery = 100 * time.Millisecond

// eraseLine returns to the start of the line and erases it (ECMA-48 EL 2).
const eraseLine = "\r\x1b[2K"

// NewProgress starts the line on w, counting total units ("targets",
// "checks"). terminal says whether w is a terminal (IsTerminal, or a fake
// in tests); when it is not, the result is nil and every method is a no-op.
// now is the clock (nil: time.Now).
func NewProgress(w io.Writer, terminal bool, total int, unit string, now func() time.Time) *Progress {
	if !terminal || total <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	p := &Progress{w: w, total: total, unit: unit, now: now, start: now()}
	p.mu.Lock()
	p.draw(true)
	p.mu.Unlock()
	return p
}

// Add counts n more units done and redraws the line when it is due.
func (p *Progress) Add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.done += n
	p.draw(p.done >= p.total)
}

// Close erases the line. Safe to call more than once.
func (p *Progress) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown && !p.closed {
		io.WriteString(p.w, eraseLine)
	}
	p.closed = true
}

func (p *Progress) draw(force bool) {
	t := p.now()
	if !force && p.shown && t.Sub(p.drawn) < progressEvery {
		return
	}
	p.drawn, p.shown = t, true
	io.WriteString(p.w, eraseLine+p.line(t))
}

// line is kept short: a line wider than the terminal wraps, and the
// carriage return would then rewrite only its last row.
func (p *Progress) line(t time.Time) string {
	s := fmt.Sprintf("checking: %d/%d %s", p.done, p.total, p.unit)
	elapsed := t.Sub(p.start)
	if p.done == 0 || elapsed <= 0 {
		return s
	}
	rate := float64(p.done) / elapsed.Seconds()
	s += fmt.Sprintf(", %.1f/s", rate)
	if left := p.total - p.done; left > 0 {
		eta := time.Duration(float64(left) / rate * float64(time.Second))
		s += ", about " + eta.Round(time.Second).String() + " left"
	}
	return s
}
