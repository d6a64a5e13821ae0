package sshconfig

import (
	"bytes"
	"strings"
)

// The editing side is pure (bytes in, bytes out) so that it can be fuzzed
// and shown as a diff before anything touches the disk. It never rewrites a
// line the user wrote: the only edit it makes to a user's file is to put
// lines in front of it.

// IncludeComment explains the added Include to whoever reads the file later.
const IncludeComment = "# Added by ssmdoctor (ssmdoctor fix --ssh-config): Session Manager for i-* and mi-* hosts."

// EnsureInclude returns config with an "Include name" line as its first
// directive. ssh keeps the first value it reads for a keyword, so only the
// very top guarantees that the included Host block wins; an Include inside a
// Host or Match block would be conditional. When the first directive already
// includes name, config comes back unchanged (changed is false), which makes
// the edit idempotent. The added lines use the file's own line ending.
func EnsureInclude(config []byte, name string) (out []byte, changed bool) {
	if first, ok := firstDirective(config); ok && includesName(first, name) {
		return config, false
	}
	eol := LineEnding(config)
	var b bytes.Buffer
	b.WriteString(IncludeComment)
	b.WriteString(eol)
	b.WriteString("Include ")
	b.WriteString(quoteArg(name))
	b.WriteString(eol)
	if len(config) > 0 {
		// A blank line keeps our two lines visibly apart from the user's.
		b.WriteString(eol)
	}
	b.Write(config)
	return b.Bytes(), true
}

// LineEnding is "\r\n" when the file's first line ends that way, else "\n".
// Files mixing both keep whatever each line had; only added lines follow
// the first.
func LineEnding(config []byte) string {
	i := bytes.IndexByte(config, '\n')
	if i > 0 && config[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// firstDirective returns the first line that is neither blank nor a comment.
func firstDirective(config []byte) (string, bool) {
	for rest := config; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		t := strings.TrimSpace(string(line))
		if t == "" || t[0] == '#' {
			continue
		}
		return t, true
	}
	return "", false
}

// includesName reports whether line is an Include naming name (as written
// relative to ~/.ssh, or as ~/.ssh/name).
func includesName(line, name string) bool {
	key, args, err := splitLine(line)
	if err != nil || key != "include" {
		return false
	}
	for _, a := range args {
		if a == name || a == "~/.ssh/"+name {
			return true
		}
	}
	return false
}

// quoteArg quotes an argument that holds blanks, as ssh's parser expects.
func quoteArg(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}

// IncludeLines returns where name is included, 1-based, for explaining a
// second Include that the new top line makes redundant.
func IncludeLines(config []byte, name string) []int {
	var out []int
	for n, rest := 1, config; len(rest) > 0; n++ {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		// Only a line naming the file can include it: most lines are
		// passed over without a copy.
		if bytes.Contains(line, []byte(name)) && includesName(strings.TrimSpace(string(line)), name) {
			out = append(out, n)
		}
	}
	return out
}
