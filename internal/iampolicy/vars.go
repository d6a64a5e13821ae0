package iampolicy

import "strings"

// expand resolves policy variables (${aws:username}, ${aws:PrincipalTag/x},
// any ${key} of the context, ${key, 'default'}, and the escapes ${*} ${?}
// ${$}) in s.
//
// With glob set the result is an internal pattern: wildcards written in the
// document stay wildcards, while substituted values and the escapes match
// literally. Without glob the result is plain text (for StringEquals).
//
// It returns ok=false when a variable has no value and no default, which
// makes the resource or condition value match nothing (AWS behaviour);
// onMissing, if set, hears each such key. A multi-valued key cannot be a
// variable in AWS, so it also yields ok=false. When vars is false (policy
// Version other than 2012-10-17) s is taken literally.
func expand(s string, ctx Context, vars, glob bool, onMissing func(string)) (string, bool) {
	if !vars || !strings.Contains(s, "${") {
		if glob {
			return literalPattern(s), true
		}
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	lit := func(t string) {
		if glob {
			t = literalPattern(t)
		}
		b.WriteString(t)
	}
	val := func(t string) {
		if !glob {
			b.WriteString(t)
			return
		}
		for i := 0; i < len(t); i++ {
			if c := t[i]; c == '*' || c == '?' || c == escByte {
				b.WriteByte(escByte)
			}
			b.WriteByte(t[i])
		}
	}
	ok := true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			lit(s)
			break
		}
		lit(s[:i])
		key, def, hasDef, n := parseVariable(s[i:])
		if n == 0 {
			// Not a well-formed variable: keep "${" as text.
			lit("${")
			s = s[i+2:]
			continue
		}
		s = s[i+n:]
		switch key {
		case "*", "?", "$":
			val(key)
			continue
		}
		v, present := ctx.Get(key)
		switch {
		case present && len(v) == 1:
			val(v[0])
		case !present && hasDef:
			val(def)
		default:
			ok = false
			if onMissing != nil {
				onMissing(key)
			}
		}
	}
	if !ok {
		return "", false
	}
	return b.String(), true
}

// parseVariable reads "${key}" or "${key, 'default'}" at the start of s and
// returns the number of bytes consumed, or 0 if s does not start with one.
func parseVariable(s string) (key, def string, hasDef bool, n int) {
	rest := s[2:]
	k := strings.IndexAny(rest, ",}")
	if k < 0 {
		return "", "", false, 0
	}
	key = strings.TrimSpace(rest[:k])
	if key == "" {
		return "", "", false, 0
	}
	if rest[k] == '}' {
		return key, "", false, 2 + k + 1
	}
	after := rest[k+1:]
	trimmed := strings.TrimLeft(after, " \t")
	skipped := len(after) - len(trimmed)
	if !strings.HasPrefix(trimmed, "'") {
		return "", "", false, 0
	}
	q := strings.IndexByte(trimmed[1:], '\'')
	if q < 0 {
		return "", "", false, 0
	}
	def = trimmed[1 : 1+q]
	tail := trimmed[1+q+1:]
	tailTrimmed := strings.TrimLeft(tail, " \t")
	if !strings.HasPrefix(tailTrimmed, "}") {
		return "", "", false, 0
	}
	consumed := 2 + k + 1 + skipped + 1 + q + 1 + (len(tail) - len(tailTrimmed)) + 1
	return key, def, true, consumed
}
