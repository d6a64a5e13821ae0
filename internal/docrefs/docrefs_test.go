package docrefs

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// TestDocReferencesResolve scans every .go and .md file of the repository.
// In Go comments: every docs/ reference names an existing file (and an
// existing heading, for docs/<file>.md#<anchor>); every other *.md name is a
// repository path of an existing file; the section sign does not occur.
// In Go string literals: every docs/ reference resolves. In Markdown:
// every relative link resolves to a file and, with #anchor, a heading;
// bare docs/ paths and *.md names resolve; the section sign does not occur.
func TestDocReferencesResolve(t *testing.T) {
	root := repoRoot(t)
	r := &resolver{root: root, anchors: map[string]map[string]bool{}}
	var goFiles, mdFiles []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasSuffix(name, ".go"):
			goFiles = append(goFiles, rel)
		case strings.HasSuffix(name, ".md"):
			mdFiles = append(mdFiles, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk the repository: %v", err)
	}
	if len(goFiles) == 0 || len(mdFiles) == 0 {
		t.Fatalf("found %d .go and %d .md files under %s; the walk is broken", len(goFiles), len(mdFiles), root)
	}
	var problems []string
	for _, f := range goFiles {
		problems = append(problems, r.checkGo(f)...)
	}
	for _, f := range mdFiles {
		problems = append(problems, r.checkMarkdown(f)...)
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.Logf("cite a document as docs/<file>.md or docs/<file>.md#<anchor> (anchor: the heading, GitHub-style); see docs/README.md")
	}
}

// TestAnchor pins the heading-to-anchor rule the check relies on.
func TestAnchor(t *testing.T) {
	for _, c := range []struct{ heading, want string }{
		{"Frame layout", "frame-layout"},
		{"Message types, payload types and flags", "message-types-payload-types-and-flags"},
		{"RTT and RTO estimation", "rtt-and-rto-estimation"},
		{"`ssm:StartSession` (caller-start-session)", "ssmstartsession-caller-start-session"},
		{"A. Local workstation / runner", "a-local-workstation--runner"},
		{"[Linked](other.md) heading", "linked-heading"},
		{"snake_case stays", "snake_case-stays"},
	} {
		if got := anchor(c.heading); got != c.want {
			t.Errorf("anchor(%q) = %q, want %q", c.heading, got, c.want)
		}
	}
	f := strings.Join([]string{"# Title", "## Notes", "```", "## not a heading", "```", "## Notes", "Setext", "---"}, "\n")
	got := headingAnchors([]byte(f))
	for _, want := range []string{"title", "notes", "notes-1", "setext"} {
		if !got[want] {
			t.Errorf("headingAnchors: %q missing from %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Errorf("headingAnchors: a line inside a code fence counted as a heading")
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

type resolver struct {
	root    string
	anchors map[string]map[string]bool // repo path -> anchors of its headings
}

var (
	// A docs/ reference: a path under docs/, optionally with #anchor.
	docsRef = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./-])(docs/[A-Za-z0-9_./-]*[A-Za-z0-9_-](?:#[A-Za-z0-9_-]+)?)`)
	// Any *.md name, with the path before it.
	mdName = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./-])([A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md)(?:#([A-Za-z0-9_-]+))?\b`)
	// Markdown inline links and reference definitions.
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdDef  = regexp.MustCompile(`(?m)^\s{0,3}\[[^\]]+\]:\s*(\S+)`)
	scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
)

// resolve checks a repository path (slash-separated, relative to the root)
// and an optional anchor; it returns "" or what is wrong.
func (r *resolver) resolve(p, frag string) string {
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Sprintf("%s is outside the repository", p)
	}
	st, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(p)))
	if err != nil {
		return fmt.Sprintf("%s does not exist", p)
	}
	if frag == "" {
		return ""
	}
	if st.IsDir() || !strings.HasSuffix(p, ".md") {
		return fmt.Sprintf("%s#%s: an anchor needs a Markdown file", p, frag)
	}
	if !r.anchorsOf(p)[frag] {
		return fmt.Sprintf("%s has no heading with anchor #%s", p, frag)
	}
	return ""
}

func (r *resolver) anchorsOf(p string) map[string]bool {
	if a, ok := r.anchors[p]; ok {
		return a
	}
	b, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(p)))
	a := map[string]bool{}
	if err == nil {
		a = headingAnchors(b)
	}
	r.anchors[p] = a
	return a
}

func splitFrag(ref string) (string, string) {
	p, frag, _ := strings.Cut(ref, "#")
	return p, frag
}

// checkGo checks the comments and string literals of one Go file.
func (r *resolver) checkGo(rel string) []string {
	src, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(rel)))
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", rel, err)}
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return []string{fmt.Sprintf("%s: parse: %v", rel, err)}
	}
	var out []string
	report := func(pos token.Pos, format string, a ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(pos), fmt.Sprintf(format, a...)))
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			text := c.Text
			if strings.ContainsRune(text, '§') {
				report(c.Pos(), "comment uses a section sign; cite docs/<file>.md#<anchor> instead: %s", excerpt(text, "§"))
			}
			for _, m := range docsRef.FindAllStringSubmatch(text, -1) {
				if msg := r.resolve(splitFrag(m[1])); msg != "" {
					report(c.Pos(), "comment cites %s: %s", m[1], msg)
				}
			}
			for _, m := range mdName.FindAllStringSubmatch(text, -1) {
				if strings.HasPrefix(m[1], "docs/") {
					continue // checked above, with its anchor
				}
				if msg := r.resolve(m[1], m[2]); msg != "" {
					report(c.Pos(), "comment names %s: %s (write the path from the repository root)", m[1], msg)
				}
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		for _, m := range docsRef.FindAllStringSubmatch(lit.Value, -1) {
			if msg := r.resolve(splitFrag(m[1])); msg != "" {
				report(lit.Pos(), "string cites %s: %s", m[1], msg)
			}
		}
		return true
	})
	return out
}

// checkMarkdown checks one Markdown file's links, docs/ paths, *.md names
// and section signs. Fenced code blocks are skipped.
func (r *resolver) checkMarkdown(rel string) []string {
	src, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(rel)))
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", rel, err)}
	}
	dir := path.Dir(rel)
	var out []string
	inFence := ""
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if fence := fenceOf(line); fence != "" {
			switch {
			case inFence == "":
				inFence = fence
			case strings.HasPrefix(fence, inFence):
				inFence = ""
			}
			continue
		}
		if inFence != "" {
			continue
		}
		at := fmt.Sprintf("%s:%d", rel, n)
		if strings.ContainsRune(line, '§') {
			out = append(out, fmt.Sprintf("%s: section sign; link docs/<file>.md#<anchor> instead: %s", at, excerpt(line, "§")))
		}
		var targets []string
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		for _, m := range mdDef.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		for _, tgt := range targets {
			if scheme.MatchString(tgt) || strings.HasPrefix(tgt, "//") {
				continue // an external address
			}
			p, frag := splitFrag(strings.Trim(tgt, "<>"))
			if p == "" {
				p = rel // #anchor in the same file
			} else if strings.HasPrefix(p, "/") {
				p = strings.TrimPrefix(p, "/")
			} else {
				p = path.Join(dir, p)
			}
			if msg := r.resolve(p, frag); msg != "" {
				out = append(out, fmt.Sprintf("%s: link %s: %s", at, tgt, msg))
			}
		}
		// Outside links, a docs/ path is a path from the repository root
		// and any other *.md name is a path from the root or from this
		// file's directory.
		text := mdLink.ReplaceAllString(line, "]")
		text = mdDef.ReplaceAllString(text, "")
		for _, m := range docsRef.FindAllStringSubmatch(text, -1) {
			if msg := r.resolve(splitFrag(m[1])); msg != "" {
				out = append(out, fmt.Sprintf("%s: %s: %s", at, m[1], msg))
			}
		}
		for _, m := range mdName.FindAllStringSubmatch(text, -1) {
			if strings.HasPrefix(m[1], "docs/") {
				continue
			}
			if r.resolve(m[1], m[2]) != "" && r.resolve(path.Join(dir, m[1]), m[2]) != "" {
				out = append(out, fmt.Sprintf("%s: %s: %s", at, m[1], r.resolve(path.Join(dir, m[1]), m[2])))
			}
		}
	}
	return out
}

func excerpt(s, around string) string {
	i := strings.Index(s, around)
	lo, hi := max(0, i-40), min(len(s), i+40)
	return strings.TrimSpace(s[lo:hi])
}

// fenceOf returns the fence a line opens or closes (``` or ~~~, possibly
// longer), or "".
func fenceOf(line string) string {
	l := strings.TrimLeft(line, " ")
	if len(line)-len(l) > 3 {
		return ""
	}
	for _, ch := range []string{"`", "~"} {
		n := len(l) - len(strings.TrimLeft(l, ch))
		if n >= 3 {
			return strings.Repeat(ch, n)
		}
	}
	return ""
}

// headingAnchors returns the anchors GitHub gives the headings of a
// Markdown file (ATX and setext headings outside code fences; a repeated
// anchor gets -1, -2, ...).
func headingAnchors(src []byte) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	add := func(h string) {
		a := anchor(h)
		if n, dup := seen[a]; dup {
			seen[a] = n + 1
			a = fmt.Sprintf("%s-%d", a, n+1)
		} else {
			seen[a] = 0
		}
		out[a] = true
	}
	lines := strings.Split(string(src), "\n")
	inFence := ""
	for i, line := range lines {
		line = strings.TrimRight(line, "\r")
		if fence := fenceOf(line); fence != "" {
			switch {
			case inFence == "":
				inFence = fence
			case strings.HasPrefix(fence, inFence):
				inFence = ""
			}
			continue
		}
		if inFence != "" {
			continue
		}
		trimmed := strings.TrimLeft(line, " ")
		if len(line)-len(trimmed) <= 3 && strings.HasPrefix(trimmed, "#") {
			level := len(trimmed) - len(strings.TrimLeft(trimmed, "#"))
			rest := trimmed[level:]
			if level <= 6 && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
				h := strings.TrimSpace(rest)
				h = strings.TrimSpace(strings.TrimRight(h, "#"))
				add(h)
				continue
			}
		}
		// Setext: a text line underlined with = or -.
		if i+1 < len(lines) && strings.TrimSpace(line) != "" && !strings.HasPrefix(trimmed, "#") {
			u := strings.TrimSpace(strings.TrimRight(lines[i+1], "\r"))
			if len(u) > 0 && (strings.Trim(u, "=") == "" || strings.Trim(u, "-") == "") && !isListOrRule(line) {
				add(strings.TrimSpace(line))
			}
		}
	}
	return out
}

func isListOrRule(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "|") || strings.Trim(t, "-") == ""
}

var inlineLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// anchor is GitHub's anchor for a heading: links reduced to their text,
// lower case, every character but letters, digits, spaces, hyphens and
// underscores dropped, spaces turned into hyphens.
func anchor(h string) string {
	h = inlineLink.ReplaceAllString(h, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
