package sshconfig

import (
	"fmt"
	"path"
	"strings"
)

// Applies says whether a block applies to a host.
type Applies int

const (
	No    Applies = iota
	Yes           // it certainly applies
	Maybe         // a Match criterion we do not evaluate (exec, user, ...)
)

// Setting is one place where a keyword is set for a host.
type Setting struct {
	Directive
	Block   *Block
	Applies Applies
}

// Where describes the setting's location for a user, e.g.
// `/home/u/.ssh/config line 4 (Host *)`.
func (s Setting) Where() string {
	hdr := "before any Host block"
	if s.Block.Kind != "global" {
		hdr = s.Block.Header
	}
	return fmt.Sprintf("%s line %d (%s)", s.File, s.Line, hdr)
}

// Settings lists, in ssh's reading order, every directive for key that
// applies (or may apply) to host. ssh uses the first value it reads for
// most keywords, so Settings(...)[0] is the one in effect and any later one
// is shadowed.
func (c *Config) Settings(host, key string) []Setting {
	key = strings.ToLower(key)
	var out []Setting
	for _, b := range c.Blocks {
		a := b.applies(host)
		if a == No {
			continue
		}
		for _, d := range b.Directives {
			if d.Key == key {
				out = append(out, Setting{Directive: d, Block: b, Applies: a})
			}
		}
	}
	return out
}

func (b *Block) applies(host string) Applies {
	own := Yes
	switch b.Kind {
	case "host":
		if !MatchHost(host, b.Patterns) {
			own = No
		}
	case "match":
		own = matchCriteria(host, b.Patterns)
	}
	if own == No || b.Parent == nil {
		return own
	}
	p := b.Parent.applies(host)
	if p == No {
		return No
	}
	if p == Maybe || own == Maybe {
		return Maybe
	}
	return Yes
}

// MatchHost applies ssh's Host rule: some pattern matches and no negated
// pattern does. Patterns may be comma-separated lists.
func MatchHost(host string, patterns []string) bool {
	matched := false
	for _, field := range patterns {
		for _, p := range strings.Split(field, ",") {
			neg := strings.HasPrefix(p, "!")
			p = strings.TrimPrefix(p, "!")
			if p == "" {
				continue
			}
			if wildcard(strings.ToLower(p), strings.ToLower(host)) {
				if neg {
					return false
				}
				matched = true
			}
		}
	}
	return matched
}

// globEscaper is built once: a Replacer builds its tables on first use,
// which per call cost more than the match itself.
var globEscaper = strings.NewReplacer("[", "\\[", "]", "\\]", "\\", "\\\\")

// wildcard is ssh's * and ? glob; path.Match would also treat [ and \ as
// special, which ssh does not.
func wildcard(p, s string) bool {
	p = globEscaper.Replace(p)
	ok, err := path.Match(p, s)
	return err == nil && ok
}

func matchCriteria(host string, args []string) Applies {
	res := Yes
	for i := 0; i < len(args); i++ {
		crit := strings.ToLower(args[i])
		neg := strings.HasPrefix(crit, "!")
		crit = strings.TrimPrefix(crit, "!")
		var a Applies
		switch crit {
		case "all":
			a = Yes
		case "canonical", "final":
			a = Maybe
		case "host", "originalhost":
			if i+1 >= len(args) {
				return Maybe
			}
			i++
			a = No
			if MatchHost(host, []string{args[i]}) {
				a = Yes
			}
		default:
			// exec, user, localuser, localnetwork, tagged: not evaluated here.
			if i+1 < len(args) {
				i++
			}
			a = Maybe
		}
		if neg && a != Maybe {
			if a == Yes {
				a = No
			} else {
				a = Yes
			}
		}
		if a == No {
			return No
		}
		if a == Maybe {
			res = Maybe
		}
	}
	return res
}
