package iampolicy

import "strings"

// Context holds request context values. AWS matches condition keys
// case-insensitively, so Set stores keys lowercased; values keep their case.
// A key is present when it has at least one value.
type Context map[string][]string

// Set replaces the values of key. The values are copied so callers may reuse
// their slice. Like any map, a nil Context cannot be Set.
func (c Context) Set(key string, values ...string) {
	c[strings.ToLower(key)] = append([]string(nil), values...)
}

// Get returns the values of key and whether it is present (has values).
func (c Context) Get(key string) ([]string, bool) {
	if len(c) == 0 {
		return nil, false
	}
	if v, ok := c[key]; ok {
		return v, len(v) > 0
	}
	// Lowercase ASCII keys on the stack: m[string(bytes)] does not allocate,
	// and Get runs for every condition of every evaluation.
	var buf [128]byte
	if lk, ok := lowerASCII(buf[:0], key); ok {
		if v, ok := c[string(lk)]; ok {
			return v, len(v) > 0
		}
	} else if v, ok := c[strings.ToLower(key)]; ok {
		return v, len(v) > 0
	}
	// Contexts built as map literals may carry mixed-case keys; matching
	// them too keeps the case-insensitive promise without forcing Set.
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return v, len(v) > 0
		}
	}
	return nil, false
}

// lowerASCII appends key lowercased to dst; ok is false for non-ASCII keys.
func lowerASCII(dst []byte, key string) ([]byte, bool) {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 0x80 {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}
