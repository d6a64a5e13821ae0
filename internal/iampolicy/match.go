package iampolicy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns use '*' (any run of characters, including ':' and '/') and '?'
// (exactly one character). Text that must match literally even though it
// contains those characters -- substituted policy variables, ${*} and ${?}
// -- is escaped in the internal pattern form with a NUL byte before it;
// a NUL from the document itself is escaped as two NULs. Documents almost
// never contain NUL, so plain patterns are used as they are.
const escByte = '\x00'

// MatchAction reports whether an Action entry such as "ssm:Start*" matches
// action, case-insensitively as AWS does.
func MatchAction(pattern, action string) bool {
	return glob(literalPattern(pattern), action, true)
}

// MatchResource reports whether a Resource entry matches resource,
// case-sensitively, without policy-variable substitution.
func MatchResource(pattern, resource string) bool {
	return glob(literalPattern(pattern), resource, false)
}

// literalPattern turns document text into the internal pattern form.
func literalPattern(p string) string {
	if strings.IndexByte(p, escByte) < 0 {
		return p
	}
	return strings.ReplaceAll(p, "\x00", "\x00\x00")
}

// glob matches s against the internal pattern p. It is the classic
// single-backtrack algorithm: O(len(p)*len(s)) at worst, never exponential,
// which matters because policies and resources come from users.
func glob(p, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				pi++
				starP, starS = pi, si
				continue
			case '?':
				_, w := utf8.DecodeRuneInString(s[si:])
				pi++
				si += w
				continue
			default:
				lit := pi
				if c == escByte && pi+1 < len(p) {
					lit = pi + 1
				}
				_, lw := utf8.DecodeRuneInString(p[lit:])
				_, sw := utf8.DecodeRuneInString(s[si:])
				if sameChar(p[lit:lit+lw], s[si:si+sw], fold) {
					pi = lit + lw
					si += sw
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last '*' swallow one more character and retry.
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		pi, si = starP, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// sameChar compares two encoded characters. Invalid UTF-8 compares by bytes
// so two different invalid bytes never fold together.
func sameChar(a, b string, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if len(a) == 1 && len(b) == 1 && a[0] < utf8.RuneSelf && b[0] < utf8.RuneSelf {
		return lowerByte(a[0]) == lowerByte(b[0])
	}
	ra, wa := utf8.DecodeRuneInString(a)
	rb, wb := utf8.DecodeRuneInString(b)
	if (ra == utf8.RuneError && wa <= 1) || (rb == utf8.RuneError && wb <= 1) {
		return false
	}
	if ra == rb {
		return true
	}
	for r := unicode.SimpleFold(ra); r != ra; r = unicode.SimpleFold(r) {
		if r == rb {
			return true
		}
	}
	return false
}

// arnMatch implements ArnLike/ArnEquals: both sides are split into the six
// ARN fields (arn:partition:service:region:account:resource, the resource
// keeping any further ':'), and each field is matched on its own, so a '*'
// in the region cannot swallow the account. A pattern without any ':' (such
// as "*") is matched against the whole value; other patterns with fewer
// than six fields cannot line up with an ARN and match nothing.
func arnMatch(p, s string) bool {
	if strings.IndexByte(p, ':') < 0 {
		return glob(p, s, false)
	}
	pf := strings.SplitN(p, ":", 6)
	if len(pf) < 6 {
		return false
	}
	sf := strings.SplitN(s, ":", 6)
	if len(sf) < 6 {
		return false
	}
	for i := range pf {
		if !glob(pf[i], sf[i], false) {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
