package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// These tests read the composite action's steps from action.yml itself and
// run their shell scripts the way a runner does (bash --noprofile --norc
// -eo pipefail, the step's env, GITHUB_OUTPUT, GITHUB_PATH,
// GITHUB_STEP_SUMMARY), against the simulator.

// yamlNode is what the small YAML reader below returns: a scalar, a
// mapping (keys in order) or a sequence.
type yamlNode struct {
	scalar string
	keys   []string
	m      map[string]*yamlNode
	seq    []*yamlNode
}

func (n *yamlNode) get(path ...string) *yamlNode {
	for _, k := range path {
		if n == nil || n.m == nil {
			return nil
		}
		n = n.m[k]
	}
	return n
}

func (n *yamlNode) str(path ...string) string {
	if v := n.get(path...); v != nil {
		return v.scalar
	}
	return ""
}

type yamlLine struct {
	indent int
	text   string // without the indentation
	raw    string
}

// parseYAMLSubset reads the part of YAML action.yml is written in: block
// mappings and sequences, plain and quoted scalars, | and >- block
// scalars, comment lines. Anything else is an error, so that action.yml
// cannot drift into YAML this reader would misread.
func parseYAMLSubset(src string) (*yamlNode, error) {
	var lines []yamlLine
	for _, raw := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		t := strings.TrimLeft(raw, " ")
		if strings.HasPrefix(t, "\t") {
			return nil, fmt.Errorf("tab indentation: %q", raw)
		}
		lines = append(lines, yamlLine{indent: len(raw) - len(t), text: t, raw: raw})
	}
	p := &yamlParser{lines: lines}
	n, err := p.node(0)
	if err != nil {
		return nil, err
	}
	p.skipBlank()
	if p.i < len(p.lines) {
		return nil, fmt.Errorf("line %d: unexpected %q", p.i+1, p.lines[p.i].raw)
	}
	return n, nil
}

type yamlParser struct {
	lines []yamlLine
	i     int
}

func (p *yamlParser) skipBlank() {
	for p.i < len(p.lines) {
		t := p.lines[p.i].text
		if t != "" && !strings.HasPrefix(t, "#") {
			return
		}
		p.i++
	}
}

var yamlKeyRE = regexp.MustCompile(`^([A-Za-z0-9_-]+):(?: (.*))?$`)

// node parses the block that starts at the next line with this indent.
func (p *yamlParser) node(indent int) (*yamlNode, error) {
	p.skipBlank()
	if p.i >= len(p.lines) || p.lines[p.i].indent < indent {
		return &yamlNode{}, nil
	}
	indent = p.lines[p.i].indent
	if strings.HasPrefix(p.lines[p.i].text, "- ") {
		n := &yamlNode{}
		for {
			p.skipBlank()
			if p.i >= len(p.lines) || p.lines[p.i].indent != indent || !strings.HasPrefix(p.lines[p.i].text, "- ") {
				return n, nil
			}
			// "- key: v" opens a mapping whose keys are indented by two.
			l := p.lines[p.i]
			p.lines[p.i] = yamlLine{indent: indent + 2, text: l.text[2:], raw: l.raw}
			item, err := p.mapping(indent + 2)
			if err != nil {
				return nil, err
			}
			n.seq = append(n.seq, item)
		}
	}
	return p.mapping(indent)
}

func (p *yamlParser) mapping(indent int) (*yamlNode, error) {
	n := &yamlNode{m: map[string]*yamlNode{}}
	for {
		p.skipBlank()
		if p.i >= len(p.lines) || p.lines[p.i].indent < indent {
			return n, nil
		}
		l := p.lines[p.i]
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation: %q", p.i+1, l.raw)
		}
		m := yamlKeyRE.FindStringSubmatch(l.text)
		if m == nil {
			return nil, fmt.Errorf("line %d: not a key: %q", p.i+1, l.raw)
		}
		key, val := m[1], m[2]
		if _, dup := n.m[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %s", p.i+1, key)
		}
		p.i++
		var child *yamlNode
		switch {
		case val == "":
			var err error
			if child, err = p.node(indent + 1); err != nil {
				return nil, err
			}
		case val == "|" || val == ">-" || val == ">":
			child = &yamlNode{scalar: p.block(indent, val)}
		default:
			s, err := yamlScalar(val)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", p.i, err)
			}
			child = &yamlNode{scalar: s}
		}
		n.keys = append(n.keys, key)
		n.m[key] = child
	}
}

// block reads a block scalar's lines (more indented than its key).
func (p *yamlParser) block(keyIndent int, style string) string {
	var body []string
	blockIndent := -1
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.text == "" {
			body = append(body, "")
			p.i++
			continue
		}
		if l.indent <= keyIndent {
			break
		}
		if blockIndent < 0 {
			blockIndent = l.indent
		}
		body = append(body, l.raw[min(blockIndent, l.indent):])
		p.i++
	}
	for len(body) > 0 && body[len(body)-1] == "" {
		body = body[:len(body)-1]
	}
	if style == "|" {
		return strings.Join(body, "\n") + "\n"
	}
	s := strings.Join(body, " ")
	if style == ">" {
		s += "\n"
	}
	return s
}

func yamlScalar(v string) (string, error) {
	switch {
	case strings.HasPrefix(v, `"`):
		if len(v) < 2 || !strings.HasSuffix(v, `"`) || strings.ContainsAny(v[1:len(v)-1], `"\`) {
			return "", fmt.Errorf("unsupported double-quoted scalar %s", v)
		}
		return v[1 : len(v)-1], nil
	case strings.HasPrefix(v, "'"):
		if len(v) < 2 || !strings.HasSuffix(v, "'") {
			return "", fmt.Errorf("unsupported single-quoted scalar %s", v)
		}
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'"), nil
	case strings.Contains(v, " #"), strings.HasPrefix(v, "{"), strings.HasPrefix(v, "["), strings.HasPrefix(v, "&"), strings.HasPrefix(v, "*"):
		return "", fmt.Errorf("unsupported scalar %s", v)
	}
	return v, nil
}

func TestYAMLSubsetReader(t *testing.T) {
	n, err := parseYAMLSubset("a: 1\nb:\n  c: 'it''s'\n  d: |\n    x\n      y\n\n    z\n  e: >-\n    one\n    two\nl:\n  - k: v\n    w: \"q\"\n  - k: u\n")
	if err != nil {
		t.Fatal(err)
	}
	if n.str("a") != "1" || n.str("b", "c") != "it's" || n.str("b", "d") != "x\n  y\n\nz\n" || n.str("b", "e") != "one two" ||
		len(n.get("l").seq) != 2 || n.get("l").seq[0].str("w") != "q" || n.get("l").seq[1].str("k") != "u" {
		t.Fatalf("misread: %+v", n)
	}
	for _, bad := range []string{"a: {b: 1}", "a: 1\na: 2", "a: x # c", "\ta: 1", "a:\n    b: 1\n  c: 2"} {
		if _, err := parseYAMLSubset(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// actionRun is one run of the action's steps.
type actionRun struct {
	t                          *testing.T
	action                     *yamlNode
	inputs                     map[string]string
	env                        []string // the runner's environment
	temp, workspace            string
	outputFile, pathFile, summ string
	// stepEnv overrides a step's env values (by step name, then variable).
	stepEnv map[string]map[string]string
}

func loadAction(t *testing.T) *yamlNode {
	t.Helper()
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseYAMLSubset(string(b))
	if err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.str("runs", "using") != "composite" || len(a.get("runs", "steps").seq) == 0 {
		t.Fatalf("action.yml: not a composite action with steps")
	}
	return a
}

// newActionRun prepares a runner-like world; env holds what the job gives
// (AWS configuration).
func newActionRun(t *testing.T, inputs map[string]string, env ...string) *actionRun {
	t.Helper()
	a := &actionRun{t: t, action: loadAction(t), inputs: map[string]string{}, temp: t.TempDir(), workspace: t.TempDir(), stepEnv: map[string]map[string]string{}}
	for _, k := range a.action.get("inputs").keys {
		a.inputs[k] = a.action.str("inputs", k, "default")
	}
	for k, v := range inputs {
		if a.action.get("inputs", k) == nil {
			t.Fatalf("action.yml has no input %s", k)
		}
		a.inputs[k] = v
	}
	a.outputFile = filepath.Join(a.temp, "github-output")
	a.pathFile = filepath.Join(a.temp, "github-path")
	a.summ = filepath.Join(a.temp, "step-summary.md")
	for _, f := range []string{a.outputFile, a.pathFile, a.summ} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "RUNNER_") || k == "HOME" || k == "XDG_CACHE_HOME" {
			continue
		}
		a.env = append(a.env, kv)
	}
	// The go command keeps its caches and settings where they are.
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"} {
		out, err := exec.Command("go", "env", k).Output()
		if err == nil {
			a.env = append(a.env, k+"="+strings.TrimSpace(string(out)))
		}
	}
	runnerOS := map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[runtime.GOOS]
	runnerArch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	a.env = append(a.env, "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "RUNNER_TEMP="+a.temp, "RUNNER_OS="+runnerOS, "RUNNER_ARCH="+runnerArch,
		"GITHUB_WORKSPACE="+a.workspace, "GITHUB_OUTPUT="+a.outputFile, "GITHUB_PATH="+a.pathFile, "GITHUB_STEP_SUMMARY="+a.summ,
		"GITHUB_ACTIONS=true", "CI=true")
	a.env = append(a.env, env...)
	return a
}

var exprRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// expr evaluates the few expressions action.yml uses: inputs.X,
// github.action_path, steps.ID.outputs.X.
func (a *actionRun) expr(e string, outputs map[string]string) string {
	switch {
	case strings.HasPrefix(e, "inputs."):
		v, ok := a.inputs[strings.TrimPrefix(e, "inputs.")]
		if !ok {
			a.t.Fatalf("action.yml uses unknown %s", e)
		}
		return v
	case e == "github.action_path":
		wd, err := os.Getwd()
		if err != nil {
			a.t.Fatal(err)
		}
		return wd
	case strings.HasPrefix(e, "steps."):
		parts := strings.Split(e, ".")
		if len(parts) == 4 && parts[2] == "outputs" {
			return outputs[parts[3]]
		}
	}
	a.t.Fatalf("action.yml: expression %q is not understood by this test", e)
	return ""
}

func (a *actionRun) subst(s string, outputs map[string]string) string {
	return exprRE.ReplaceAllStringFunc(s, func(m string) string { return a.expr(exprRE.FindStringSubmatch(m)[1], outputs) })
}

var condRE = regexp.MustCompile(`^inputs\.([a-z-]+) (==|!=) '([^']*)'$`)

func (a *actionRun) cond(c string) bool {
	if c == "" {
		return true
	}
	m := condRE.FindStringSubmatch(strings.TrimSpace(c))
	if m == nil {
		a.t.Fatalf("action.yml: condition %q is not understood by this test", c)
	}
	return (a.inputs[m[1]] == m[3]) == (m[2] == "==")
}

type stepResult struct {
	name           string
	ran            bool
	code           int
	stdout, stderr string
}

// run runs every step in order, as the runner would: it stops after a
// failing step.
func (a *actionRun) run() []stepResult {
	a.t.Helper()
	var results []stepResult
	outputs := map[string]string{}
	for i, step := range a.action.get("runs", "steps").seq {
		name := step.str("name")
		if step.get("uses") != nil {
			a.t.Fatalf("step %q uses another action: this test runs only run: steps", name)
		}
		if sh := step.str("shell"); sh != "bash" {
			a.t.Fatalf("step %q: shell %q, want bash (the same on every runner)", name, sh)
		}
		if !a.cond(step.str("if")) {
			results = append(results, stepResult{name: name})
			continue
		}
		env := append([]string(nil), a.env...)
		// Steps after GITHUB_PATH was written see it first on PATH.
		if b, _ := os.ReadFile(a.pathFile); len(b) > 0 {
			var dirs []string
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				dirs = append([]string{l}, dirs...)
			}
			env = append(env, "PATH="+strings.Join(dirs, string(os.PathListSeparator))+string(os.PathListSeparator)+os.Getenv("PATH"))
		}
		if e := step.get("env"); e != nil {
			for _, k := range e.keys {
				v := a.subst(e.m[k].scalar, outputs)
				if o, ok := a.stepEnv[name][k]; ok {
					v = o
				}
				env = append(env, k+"="+v)
			}
		}
		script := filepath.Join(a.temp, fmt.Sprintf("step-%d.sh", i))
		if err := os.WriteFile(script, []byte(a.subst(step.str("run"), outputs)), 0o600); err != nil {
			a.t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Env, cmd.Dir = env, a.workspace
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		cancel()
		r := stepResult{name: name, ran: true, stdout: so.String(), stderr: se.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			a.t.Fatalf("step %q: %v", name, err)
		}
		results = append(results, r)
		if id := step.str("id"); id != "" {
			outputs = readOutputs(a.t, a.outputFile)
		}
		if r.code != 0 {
			break
		}
	}
	return results
}

func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	return out
}

func (a *actionRun) actionOutput(name string) string {
	return a.subst(a.action.str("outputs", name, "value"), readOutputs(a.t, a.outputFile))
}

// The acceptance run: the action builds ssmdoctor from its own source,
// checks a healthy and a broken instance of the simulated account, and
// leaves annotations, a job summary and a JUnit file.
func TestActionFromSourceAgainstTheSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ssmdoctor from source")
	}
	needShell(t, "bash")
	st := awssim.DemoScenario()
	sim := simtest.Start(t, st, awssim.Options{})
	a := newActionRun(t, map[string]string{"targets": "demo-healthy\n demo-no-profile", "region": "us-east-1", "report": "reports/ssmdoctor.xml"},
		"AWS_ENDPOINT_URL="+sim.URL(), "AWS_ACCESS_KEY_ID="+awssim.DemoAccessKey, "AWS_SECRET_ACCESS_KEY="+awssim.DemoSecretKey,
		"AWS_EC2_METADATA_DISABLED=true")
	sim.ResetCalls()
	results := a.run()
	if len(results) != 3 || results[0].ran || !results[1].ran || !results[2].ran {
		t.Fatalf("steps run: %+v", results)
	}
	// One check run renders all three: one caller identity, one listing
	// of each target.
	if n := sim.Calls("sts.GetCallerIdentity"); n != 1 {
		t.Errorf("%d sts:GetCallerIdentity calls: the check ran more than once", n)
	}
	build, check := results[1], results[2]
	if build.code != 0 || !strings.HasPrefix(build.stdout, "ssmdoctor ") {
		t.Fatalf("build step: exit %d\n%s\n%s", build.code, build.stdout, build.stderr)
	}
	if check.code != exitProblems {
		t.Fatalf("check step: exit %d, want 1 (demo-no-profile fails)\nstdout:\n%s\nstderr:\n%s", check.code, check.stdout, check.stderr)
	}
	for _, want := range []string{
		"::error title=ssmdoctor instance-profile (i-0bad0000000000003)::no instance profile",
		"::error title=ssmdoctor instance-registered (i-0bad0000000000003)::",
		"::notice title=ssmdoctor check::",
	} {
		if !strings.Contains(check.stdout, want) {
			t.Errorf("annotations lack %q:\n%s", want, check.stdout)
		}
	}
	for _, l := range strings.Split(check.stdout, "\n") {
		if strings.HasPrefix(l, "::error") && strings.Contains(l, "(i-0a11600d000000001)") {
			t.Errorf("the healthy instance has an error annotation: %s", l)
		}
	}
	summary, _ := os.ReadFile(a.summ)
	for _, want := range []string{"### ssmdoctor check\n", "| `i-0a11600d000000001` demo-healthy | us-east-1 | ", "| `i-0bad0000000000003` demo-no-profile | us-east-1 | ❌ ", "**instance-profile**: no instance profile"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("job summary lacks %q:\n%s", want, summary)
		}
	}
	report := a.actionOutput("report")
	if report != filepath.Join(a.workspace, "reports", "ssmdoctor.xml") {
		t.Fatalf("output report = %q", report)
	}
	if code := a.actionOutput("exit-code"); code != "1" {
		t.Fatalf("output exit-code = %q", code)
	}
	suites := junitSuites(t, report)
	if len(suites) != 2 || suites[1].Name != "ssmdoctor check i-0bad0000000000003" || suites[1].Failures == 0 {
		t.Fatalf("JUnit suites: %+v", suites)
	}
}

// junitSuite is a JUnit file's testsuite, as far as the tests read it.
type junitSuite struct {
	Name     string `xml:"name,attr"`
	Failures int    `xml:"failures,attr"`
}

// junitSuites reads the JUnit file at path.
func junitSuites(t *testing.T, path string) []junitSuite {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []junitSuite `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit file %s: %v\n%s", path, err, b)
	}
	return doc.Suites
}

// The release install checks the archive against the SHA-256 the action
// carries for that version, and installs nothing else.
func TestActionInstallsOnlyAVerifiedRelease(t *testing.T) {
	needShell(t, "bash")
	if runtime.GOOS == "windows" {
		t.Skip("the release archive for Windows is a zip; this test builds a tar.gz")
	}
	if ssmdoctorBin == "" {
		t.Fatal("the ssmdoctor binary could not be built (see TestMain output)")
	}
	const v = "9.8.7"
	osArch := runtime.GOOS + "_" + runtime.GOARCH
	archive := targz(t, "ssmdoctor", ssmdoctorBin)
	sum := sha256.Sum256(archive)
	served := map[string][]byte{fmt.Sprintf("/v%s/ssmdoctor_%s_%s.tar.gz", v, v, osArch): archive}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := served[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	const install = "Install ssmdoctor (release)"

	for _, tc := range []struct {
		name, table, wantErr string
		ok                   bool
	}{
		{"the carried checksum matches", fmt.Sprintf("# version os_arch sha256\n%s %s %s\n", v, osArch, hex.EncodeToString(sum[:])), "", true},
		{"another archive's checksum", fmt.Sprintf("%s %s %s\n", v, osArch, strings.Repeat("ab", 32)), "has SHA-256 " + hex.EncodeToString(sum[:]) + ", not the abab", false},
		{"no checksum for the version", fmt.Sprintf("1.0.0 %s %s\n", osArch, hex.EncodeToString(sum[:])), "this action carries no SHA-256 for ssmdoctor_9.8.7_" + osArch + ".tar.gz", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newActionRun(t, map[string]string{"version": v})
			a.stepEnv[install] = map[string]string{"SSMDOCTOR_RELEASES": srv.URL, "SSMDOCTOR_SHA256": tc.table}
			results := a.run()
			if !results[0].ran || results[0].name != install {
				t.Fatalf("steps: %+v", results)
			}
			path, _ := os.ReadFile(a.pathFile)
			if !tc.ok {
				if results[0].code != 1 || !strings.Contains(results[0].stdout, tc.wantErr) || len(path) != 0 || len(results) != 1 {
					t.Fatalf("exit %d, GITHUB_PATH %q, steps %d\nstdout %s\nstderr %s", results[0].code, path, len(results), results[0].stdout, results[0].stderr)
				}
				return
			}
			if results[0].code != 0 || len(path) == 0 {
				t.Fatalf("install: exit %d\n%s\n%s", results[0].code, results[0].stdout, results[0].stderr)
			}
			exe := filepath.Join(strings.TrimSpace(string(path)), "ssmdoctor")
			if out, err := exec.Command(exe, "version").Output(); err != nil || !strings.HasPrefix(string(out), "ssmdoctor ") {
				t.Fatalf("installed binary: %v %q", err, out)
			}
		})
	}
}

// The table of release checksums in action.yml is well formed.
func TestActionChecksumTable(t *testing.T) {
	a := loadAction(t)
	var table string
	for _, s := range a.get("runs", "steps").seq {
		if v := s.get("env", "SSMDOCTOR_SHA256"); v != nil {
			table = v.scalar
		}
	}
	if table == "" {
		t.Fatal("action.yml has no SSMDOCTOR_SHA256 table")
	}
	line := regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)? (linux|darwin|windows)_(amd64|arm64) [0-9a-f]{64}$`)
	for _, l := range strings.Split(strings.TrimSpace(table), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !line.MatchString(l) {
			t.Errorf("malformed checksum line %q", l)
		}
	}
}

func targz(t *testing.T, name, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		body []byte
	}{{"LICENSE", []byte("license\n")}, {name, b}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.body)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}
