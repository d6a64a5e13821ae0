package fix

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestClipMessage: a script's long error is cut at a character boundary,
// never inside one (a cut inside one printed an invalid byte).
func TestClipMessage(t *testing.T) {
	msg := strings.Repeat("a", 299) + "é" + strings.Repeat("b", 50) // é spans bytes 299-300
	got := clipMessage(msg, 300)
	if !utf8.ValidString(got) || got != strings.Repeat("a", 299)+"…" {
		t.Errorf("clipped %q", got)
	}
	if got := clipMessage("short", 300); got != "short" {
		t.Errorf("short message changed: %q", got)
	}
}
