package sshconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Directive is one "Keyword value" line.
type Directive struct {
	Key   string // lowercase
	Value string
	File  string
	Line  int
}

// Block is a Host or Match section (or the global section before the first
// one). Parent is the block an Include line sat in: a directive applies only
// when its block and every parent match.
type Block struct {
	Kind       string // "global", "host" or "match"
	Header     string // the line as written, e.g. "Host i-* mi-*"
	Patterns   []string
	File       string
	Line       int
	Directives []Directive
	Parent     *Block
}

// Config is a parsed client configuration in ssh's reading order.
type Config struct {
	Blocks []*Block
}

// Loader reads files; the zero value uses the real filesystem.
type Loader struct {
	ReadFile func(string) ([]byte, error)
	Glob     func(string) ([]string, error)
	// SSHDir resolves relative Include paths (~/.ssh for the user config).
	SSHDir string
	// Home expands a leading ~.
	Home string
}

// ParseError locates a line ssh would refuse.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Msg) }

const maxIncludeDepth = 16 // ssh's own limit

// Load reads path and everything it includes.
func (l Loader) Load(path string) (*Config, error) {
	if l.ReadFile == nil {
		l.ReadFile = os.ReadFile
	}
	if l.Glob == nil {
		l.Glob = filepath.Glob
	}
	cfg := &Config{}
	global := &Block{Kind: "global", File: path}
	cfg.Blocks = append(cfg.Blocks, global)
	if err := l.load(cfg, path, nil, 0); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (l Loader) load(cfg *Config, path string, parent *Block, depth int) error {
	if depth > maxIncludeDepth {
		return &ParseError{File: path, Msg: "Include nested too deeply (a loop?)"}
	}
	data, err := l.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read ssh config: %w", err)
	}
	cur := parent
	if cur == nil {
		cur = cfg.Blocks[0]
	}
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		key, args, err := splitLine(raw)
		if err != nil {
			return &ParseError{File: path, Line: n, Msg: err.Error()}
		}
		if key == "" {
			continue
		}
		if len(args) == 0 {
			return &ParseError{File: path, Line: n, Msg: fmt.Sprintf("no argument after keyword %q", key)}
		}
		switch key {
		case "host", "match":
			cur = &Block{Kind: key, Header: strings.TrimSpace(raw), Patterns: args, File: path, Line: n, Parent: parent}
			cfg.Blocks = append(cfg.Blocks, cur)
		case "include":
			for _, pat := range args {
				if err := l.include(cfg, pat, path, n, cur, depth); err != nil {
					return err
				}
			}
		default:
			cur.Directives = append(cur.Directives, Directive{Key: key, Value: strings.Join(args, " "), File: path, Line: n})
		}
	}
	return nil
}

func (l Loader) include(cfg *Config, pat, from string, line int, cur *Block, depth int) error {
	if strings.HasPrefix(pat, "~/") && l.Home != "" {
		pat = filepath.Join(l.Home, pat[2:])
	} else if !filepath.IsAbs(pat) {
		dir := l.SSHDir
		if dir == "" {
			dir = filepath.Dir(from)
		}
		pat = filepath.Join(dir, pat)
	}
	matches, err := l.Glob(pat)
	if err != nil {
		return &ParseError{File: from, Line: line, Msg: fmt.Sprintf("bad Include pattern %q", pat)}
	}
	// Directives after an Include but before the next Host stay in cur, so
	// included blocks are attached to cur's condition, not replacing it.
	parent := cur
	if cur.Kind == "global" {
		parent = nil
	}
	for _, m := range matches {
		if err := l.load(cfg, m, parent, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// splitLine returns the lowercase keyword and its arguments, honouring
// double quotes and the optional "=" separator as ssh does.
func splitLine(line string) (string, []string, error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil, nil
	}
	end := strings.IndexAny(line, " \t=")
	if end < 0 {
		return strings.ToLower(line), nil, nil
	}
	key := strings.ToLower(line[:end])
	rest := strings.TrimLeft(line[end:], " \t")
	rest = strings.TrimPrefix(rest, "=")
	rest = strings.TrimLeft(rest, " \t")
	if key == "proxycommand" || key == "localcommand" || key == "remotecommand" || key == "knownhostscommand" {
		// Commands are passed to the shell whole; ssh does not split them.
		if rest == "" {
			return key, nil, nil
		}
		return key, []string{rest}, nil
	}
	var args []string
	var b strings.Builder
	inQuote, have := false, false
	for _, r := range rest {
		switch {
		case r == '"':
			inQuote = !inQuote
			have = true
		case (r == ' ' || r == '\t') && !inQuote:
			if have {
				args = append(args, b.String())
				b.Reset()
				have = false
			}
		default:
			b.WriteRune(r)
			have = true
		}
	}
	if inQuote {
		return "", nil, fmt.Errorf("unterminated quote after keyword %q", key)
	}
	if have {
		args = append(args, b.String())
	}
	return key, args, nil
}
