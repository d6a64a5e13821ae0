package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	goldenfile "github.com/ssmdoctor/ssmdoctor/internal/golden"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

func out(id, title string, l checks.Layer, r checks.Result) checks.Outcome {
	return checks.Outcome{ID: id, Title: title, Layer: l, Result: r, Duration: 1500 * time.Millisecond}
}

func singleTarget() Target {
	return Target{Input: "web-1", InstanceID: "i-0123456789abcdef0", Region: "eu-west-1", Checks: []checks.Outcome{
		out("credentials", "AWS credentials resolve and are not expired", checks.LayerLocal, checks.Pass("resolved from SSOProvider (profile dev)")),
		out("ssh-config", "ssh routes the target through Session Manager", checks.LayerLocal,
			checks.Fail("the Session Manager ProxyCommand at /home/u/.ssh/config line 9 (Host i-* mi-*) is shadowed by /home/u/.ssh/config line 2 (Host *)").
				WithDetails("in effect: proxycommand ssh -W %h:%p bastion").WithFix("ssmdoctor fix --ssh-config", "ssh-config")),
		out("proxy-env", "no HTTPS proxy intercepts the Session Manager websocket", checks.LayerLocal,
			checks.Warn("HTTPS_PROXY=http://proxy:3128 (credentials hidden) sends the websocket through a proxy, \"quoted\" <b> & 100%%").
				WithFix(`export NO_PROXY="${NO_PROXY:+$NO_PROXY,}.amazonaws.com"`, "")),
		out("start-session", "ssm:StartSession allowed", checks.LayerCaller,
			checks.Undetermined("iam:SimulatePrincipalPolicy", "the caller may not simulate its policies")),
		out("instance-running", "instance exists and is running", checks.LayerInstance,
			checks.Fail("i-0123456789abcdef0 is stopped").WithFix("ssmdoctor fix --start i-0123456789abcdef0", "start")),
		out("managed", "registered with Systems Manager and Online", checks.LayerInstance, checks.Skip("prerequisite instance-running failed")),
		out("probe", "sshd answers through a session", checks.LayerSession, checks.Skip("skipped by --skip")),
	}}
}

func noTarget() Target {
	return Target{Checks: []checks.Outcome{
		out("credentials", "AWS credentials resolve and are not expired", checks.LayerLocal, checks.Pass("resolved from EnvConfigCredentials (profile default)")),
		out("region", "AWS region is set", checks.LayerLocal, checks.Pass("us-east-1 (from AWS_REGION)")),
	}}
}

func fleet() []Target {
	var ts []Target
	for i, st := range []checks.Result{checks.Pass("ok"), checks.Fail("stopped"), checks.Fail("stopped"), checks.Warn("old agent")} {
		id := "i-00000000000000" + string(rune('a'+i)) + "0"
		// Two of the four have a Name tag: the summary names those by it.
		name := map[int]string{1: "web-1", 3: "db-1"}[i]
		ts = append(ts, Target{Input: id, InstanceID: id, Region: "us-east-1", Name: name, Checks: []checks.Outcome{
			out("credentials", "AWS credentials resolve and are not expired", checks.LayerLocal, checks.Pass("ok")),
			out("instance-running", "instance exists and is running", checks.LayerInstance, st),
		}})
	}
	return ts
}

var cases = map[string]Report{
	"single":   {Version: "1.2.3", GeneratedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Targets: []Target{singleTarget()}},
	"notarget": {Version: "1.2.3", Targets: []Target{noTarget()}},
	"fleet":    {Version: "1.2.3", Targets: fleet()},
}

var ext = map[string]string{"human": "txt", "json": "json", "junit": "xml", "github": "txt", "markdown": "md"}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Assert(t, name, got)
}

func TestGolden(t *testing.T) {
	for name, r := range cases {
		for _, f := range Formats(KindCheck) {
			var b bytes.Buffer
			if err := Write(&b, f, r, Options{Deterministic: true}); err != nil {
				t.Fatalf("%s/%s: %v", name, f, err)
			}
			golden(t, name+"-"+f+"."+ext[f], b.Bytes())
		}
	}
	var b bytes.Buffer
	if err := Human(&b, cases["single"], Options{Deterministic: true, Color: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "single-human-color.txt", b.Bytes())
	b.Reset()
	if err := Human(&b, cases["fleet"], Options{Deterministic: true, Detail: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "fleet-human-detail.txt", b.Bytes())
}

func TestHumanColourOnlyWhenAsked(t *testing.T) {
	var plain, coloured bytes.Buffer
	_ = Human(&plain, cases["single"], Options{})
	_ = Human(&coloured, cases["single"], Options{Color: true})
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) {
		t.Error("escape codes without colour")
	}
	if !bytes.Contains(coloured.Bytes(), []byte("\x1b[31;1m✗")) {
		t.Error("no red cross with colour")
	}
	if !strings.HasSuffix(plain.String(), "1 passed, 1 warning, 2 failed, 2 skipped, 1 could not be determined\n") {
		t.Errorf("summary line: %q", plain.String())
	}
}

func TestUseColor(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if UseColor(&bytes.Buffer{}, false, env(nil)) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if UseColor(f, false, env(nil)) {
		t.Error("a regular file is not a terminal")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if !UseColor(tty, false, env(nil)) {
			t.Error("a terminal gets colour")
		}
		if UseColor(tty, true, env(nil)) || UseColor(tty, false, env(map[string]string{"NO_COLOR": "1"})) || UseColor(tty, false, env(map[string]string{"TERM": "dumb"})) {
			t.Error("--no-color, NO_COLOR and TERM=dumb turn colour off")
		}
	}
}

func TestJSONSchema(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, cases["single"], Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion    int     `json:"schemaVersion"`
		SSMDoctorVersion string  `json:"ssmdoctorVersion"`
		GeneratedAt      *string `json:"generatedAt"`
		Targets          []struct {
			InstanceID string                   `json:"instanceId"`
			Checks     []map[string]interface{} `json:"checks"`
		} `json:"targets"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 1 || doc.SSMDoctorVersion != "1.2.3" || doc.GeneratedAt == nil || *doc.GeneratedAt != "2026-01-02T03:04:05Z" {
		t.Fatalf("header: %+v", doc)
	}
	c := doc.Targets[0].Checks[1]
	for _, k := range []string{"id", "title", "layer", "status", "message", "details", "fix", "fixId", "missing", "durationMs"} {
		if _, ok := c[k]; !ok {
			t.Errorf("check lacks %q", k)
		}
	}
	if c["id"] != "ssh-config" || c["status"] != "fail" || c["fixId"] != "ssh-config" || c["durationMs"] != float64(1500) {
		t.Errorf("check: %v", c)
	}
	if doc.Summary["fail"] != 2 || doc.Summary["error"] != 1 || doc.Summary["skip"] != 2 {
		t.Errorf("summary: %v", doc.Summary)
	}
}

func TestJUnitParses(t *testing.T) {
	var b bytes.Buffer
	if err := JUnit(&b, Report{Targets: append(fleet(), singleTarget())}, Options{Deterministic: true}); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 5 || doc.Tests != 15 || doc.Failures != 5 || doc.Skipped != 2 {
		t.Fatalf("suites=%d tests=%d failures=%d skipped=%d", len(doc.Suites), doc.Tests, doc.Failures, doc.Skipped)
	}
	last := doc.Suites[4]
	if last.Cases[3].Failure == nil || last.Cases[3].Failure.Type != "error" || last.Cases[5].Skipped == nil {
		t.Fatalf("cases: %+v", last.Cases)
	}
}

func TestGitHubEscapes(t *testing.T) {
	if got := escapeProperty("a:b,c%\n"); got != "a%3Ab%2Cc%25%0A" {
		t.Fatal(got)
	}
	var b bytes.Buffer
	_ = GitHub(&b, cases["single"], Options{})
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if !strings.HasPrefix(line, "::") {
			t.Fatalf("a raw newline escaped the command: %q", line)
		}
	}
}

func TestUndeterminedSaidOnce(t *testing.T) {
	for _, c := range []struct {
		res  checks.Result
		want string
	}{
		{checks.Undetermined("iam:GetRole", "role unreadable"), "could not determine: role unreadable (needs iam:GetRole)"},
		{checks.Undetermined("sts:GetCallerIdentity", "could not determine: sts:GetCallerIdentity failed"), "could not determine: sts:GetCallerIdentity failed"},
		{checks.Undetermined("", "timed out after 1s"), "could not determine: timed out after 1s"},
	} {
		if got := undeterminedText(c.res); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestSummaryLinePluralisesWarnings(t *testing.T) {
	for _, c := range []struct {
		s    Summary
		want string
	}{
		{Summary{Passed: 1}, "1 passed, 0 warnings, 0 failed, 0 skipped, 0 could not be determined"},
		{Summary{Warnings: 1, Undetermined: 1}, "0 passed, 1 warning, 0 failed, 0 skipped, 1 could not be determined"},
		{Summary{Warnings: 2, Failed: 1, Skipped: 1}, "0 passed, 2 warnings, 1 failed, 1 skipped, 0 could not be determined"},
	} {
		if got := c.s.Line(); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.s, got, c.want)
		}
	}
}

// The fleet summary names an instance by its Name tag and id, and an
// instance without a Name tag by its id.
func TestFleetSummaryNamesInstances(t *testing.T) {
	var b bytes.Buffer
	if err := Human(&b, cases["fleet"], Options{Deterministic: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"      failed: i-00000000000000c0, web-1 (i-00000000000000b0)\n",
		"      warned: db-1 (i-00000000000000d0)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"web-1":           "web-1",
		"a\rb":            `a\rb`,
		"x\x1b[2Jy":       `x\x1b[2Jy`,
		"tab\there\n":     `tab\there\n`,
		"nul\x00 del\x7f": `nul\x00 del\x7f`,
		"c1 \u009b31m":    `c1 \u009b31m`,
		"bidi \u202eevil": `bidi \u202eevil`,
		"bad \xff utf8":   `bad \xff utf8`,
		"café ✓ C:\\dir":  "café ✓ C:\\dir",
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

// A Name tag or message from AWS cannot rewrite the terminal in the human
// format; the JSON report keeps the exact value.
func TestHumanEscapesControlCharacters(t *testing.T) {
	evil := "web\r\x1b[2Jowned"
	ts := fleet()
	ts[0].Name = evil
	ts[0].Checks[1].Result = checks.Fail("tag says %s", evil).WithDetails("detail "+evil).WithFix("echo "+evil, "")
	for _, o := range []Options{{}, {Detail: true}, {Color: true}} {
		var b bytes.Buffer
		if err := Human(&b, Report{Targets: ts}, o); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "\r") || strings.Contains(out, "\x1b[2J") {
			t.Errorf("%+v: a raw control sequence reached the output:\n%q", o, out)
		}
		want := []string{`web\r\x1b[2Jowned (i-00000000000000a0)`}
		if o.Detail { // the per-target report: label, message, detail and fix
			want = []string{`i-00000000000000a0 (web\r\x1b[2Jowned) in us-east-1`, `: tag says web\r\x1b[2Jowned`,
				`detail web\r\x1b[2Jowned`, `fix: echo web\r\x1b[2Jowned`}
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%+v: output lacks %q:\n%s", o, w, out)
			}
		}
	}
	var b bytes.Buffer
	if err := JSON(&b, Report{Targets: ts}, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Targets []struct {
			Checks []struct{ Message string } `json:"checks"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Targets[0].Checks[1].Message; got != "tag says "+evil {
		t.Errorf("JSON must keep the exact value, got %q", got)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Error("JSON output carries a raw ESC")
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// On a terminal the progress is one line rewritten in place: each update
// starts with a carriage return and erase-line, never a newline, and Close
// erases it.
func TestProgressOneLineOnTerminal(t *testing.T) {
	var b bytes.Buffer
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewProgress(&b, true, 1000, "targets", clk.now)
	if got := b.String(); got != "\r\x1b[2Kchecking: 0/1000 targets" {
		t.Fatalf("first draw %q", got)
	}
	b.Reset()
	clk.t = clk.t.Add(2 * time.Second)
	p.Add(100) // 50/s, 900 left: 18 s
	if got := b.String(); got != "\r\x1b[2Kchecking: 100/1000 targets, 50.0/s, about 18s left" {
		t.Fatalf("update %q", got)
	}
	b.Reset()
	clk.t = clk.t.Add(10 * time.Millisecond)
	p.Add(1) // too soon after the last draw: nothing
	if b.Len() != 0 {
		t.Fatalf("redrawn within %s: %q", progressEvery, b.String())
	}
	clk.t = clk.t.Add(time.Second)
	p.Add(899) // the last one is always drawn
	if got := b.String(); got != "\r\x1b[2Kchecking: 1000/1000 targets, 332.2/s" {
		t.Fatalf("final %q", got)
	}
	b.Reset()
	p.Close()
	p.Close()
	p.Add(1)
	if got := b.String(); got != "\r\x1b[2K" {
		t.Fatalf("close %q", got)
	}
}

func TestProgressSilentWhenNotATerminal(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, false, 10, "targets", nil)
	p.Add(5)
	p.Add(5)
	p.Close()
	if b.Len() != 0 || p != nil {
		t.Fatalf("wrote %q", b.String())
	}
}
