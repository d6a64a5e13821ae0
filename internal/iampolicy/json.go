package iampolicy

import (
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"
)

// A small JSON reader that keeps byte offsets of every value, because
// encoding/json cannot tell where a statement starts and ends and the
// doctor points users at the offending lines. String unescaping is
// delegated to encoding/json so escapes follow the standard exactly.

type jkind int

const (
	jObject jkind = iota
	jArray
	jString
	jNumber
	jBool
	jNull
)

func (k jkind) String() string {
	switch k {
	case jObject:
		return "an object"
	case jArray:
		return "an array"
	case jString:
		return "a string"
	case jNumber:
		return "a number"
	case jBool:
		return "a boolean"
	default:
		return "null"
	}
}

type jnode struct {
	kind    jkind
	str     string // decoded string, raw number text, or "true"/"false"
	start   int    // offset of the first byte
	end     int    // offset of the last byte (inclusive)
	members []jmember
	elems   []*jnode
}

type jmember struct {
	key    string
	keyOff int
	val    *jnode
}

// maxDepth bounds nesting: policies need about six levels, and a bound keeps
// hostile input from exhausting the stack.
const maxDepth = 64

type jparser struct {
	s     string
	i     int
	depth int
	dups  []jdup // duplicate keys seen (last one wins, as encoding/json does)
}

type jdup struct {
	key string
	off int
}

type jsonError struct {
	off int
	msg string
}

func (e *jsonError) Error() string { return e.msg }

func parseJSON(s string) (*jnode, []jdup, error) {
	p := &jparser{s: s}
	p.skipWS()
	n, err := p.value()
	if err != nil {
		return nil, nil, err
	}
	p.skipWS()
	if p.i < len(p.s) {
		return nil, nil, p.errorf("unexpected %s after the end of the document", p.describe())
	}
	return n, p.dups, nil
}

func (p *jparser) errorf(format string, args ...any) error {
	return &jsonError{off: p.i, msg: fmt.Sprintf(format, args...)}
}

func (p *jparser) describe() string {
	if p.i >= len(p.s) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return fmt.Sprintf("character %q", r)
}

func (p *jparser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() (*jnode, error) {
	if p.i >= len(p.s) {
		return nil, p.errorf("unexpected end of input, expected a value")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		start := p.i
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jnode{kind: jString, str: str, start: start, end: p.i - 1}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", jBool)
	case c == 'f':
		return p.literal("false", jBool)
	case c == 'n':
		return p.literal("null", jNull)
	default:
		return nil, p.errorf("unexpected %s, expected a value", p.describe())
	}
}

func (p *jparser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("document nested deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *jparser) object() (*jnode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &jnode{kind: jObject, start: p.i}
	p.i++ // '{'
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		n.end = p.i
		p.i++
		return n, nil
	}
	seen := map[string]int{}
	for {
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.errorf("unexpected %s, expected a string key", p.describe())
		}
		keyOff := p.i
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errorf("unexpected %s, expected ':' after key %q", p.describe(), key)
		}
		p.i++
		p.skipWS()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if at, ok := seen[key]; ok {
			p.dups = append(p.dups, jdup{key: key, off: keyOff})
			n.members[at].val = v
			n.members[at].keyOff = keyOff
		} else {
			seen[key] = len(n.members)
			n.members = append(n.members, jmember{key: key, keyOff: keyOff, val: v})
		}
		p.skipWS()
		if p.i >= len(p.s) {
			return nil, p.errorf("unexpected end of input, expected ',' or '}'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			n.end = p.i
			p.i++
			return n, nil
		default:
			return nil, p.errorf("unexpected %s, expected ',' or '}'", p.describe())
		}
	}
}

func (p *jparser) array() (*jnode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &jnode{kind: jArray, start: p.i}
	p.i++ // '['
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		n.end = p.i
		p.i++
		return n, nil
	}
	for {
		p.skipWS()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		p.skipWS()
		if p.i >= len(p.s) {
			return nil, p.errorf("unexpected end of input, expected ',' or ']'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			n.end = p.i
			p.i++
			return n, nil
		default:
			return nil, p.errorf("unexpected %s, expected ',' or ']'", p.describe())
		}
	}
}

// str reads a string starting at the opening quote and leaves p.i after the
// closing quote.
func (p *jparser) str() (string, error) {
	start := p.i
	p.i++
	escaped := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			raw := p.s[start:p.i]
			if !escaped && utf8.ValidString(raw) {
				return raw[1 : len(raw)-1], nil
			}
			var out string
			if err := json.Unmarshal([]byte(raw), &out); err != nil {
				p.i = start
				return "", p.errorf("invalid string: %v", err)
			}
			return out, nil
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return "", p.errorf("control character %q in string", rune(c))
		default:
			p.i++
		}
	}
	p.i = len(p.s)
	return "", p.errorf("unexpected end of input in string")
}

func (p *jparser) number() (*jnode, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, p.errorf("invalid number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.errorf("invalid number: digits expected after '.'")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errorf("invalid number: digits expected in exponent")
		}
	}
	return &jnode{kind: jNumber, str: p.s[start:p.i], start: start, end: p.i - 1}, nil
}

func (p *jparser) literal(word string, kind jkind) (*jnode, error) {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return nil, p.errorf("unexpected %s, expected a value", p.describe())
	}
	n := &jnode{kind: kind, str: word, start: p.i, end: p.i + len(word) - 1}
	p.i += len(word)
	return n, nil
}

// lineIndex converts byte offsets into 1-based line and character columns.
type lineIndex struct {
	s     string
	start []int // offset of each line's first byte
}

func newLineIndex(s string) *lineIndex {
	li := &lineIndex{s: s, start: []int{0}}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			li.start = append(li.start, i+1)
		}
	}
	return li
}

func (li *lineIndex) pos(off int) Position {
	if off < 0 {
		off = 0
	}
	if off > len(li.s) {
		off = len(li.s)
	}
	line := sort.Search(len(li.start), func(i int) bool { return li.start[i] > off }) - 1
	if line < 0 {
		line = 0
	}
	return Position{Line: line + 1, Column: utf8.RuneCountInString(li.s[li.start[line]:off]) + 1}
}
