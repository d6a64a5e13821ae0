package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Visible makes every control character in s visible, so that a string
// from AWS (a Name tag, an error message) or from a file cannot move the
// cursor, clear the screen or rewrite earlier lines of a terminal: a tag
// "web\r\x1b[2J" prints as `web\r\x1b[2J`. C0 controls (tab included), DEL,
// C1 controls, bidirectional overrides and invalid UTF-8 are escaped; every
// other character, backslash included, passes unchanged. Machine formats
// (json, junit) keep exact values: their encoders escape them.
func Visible(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if needsEscape(r, n) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r, n):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		// Bidirectional overrides reorder what follows them on the line.
		return true
	}
	return false
}
