package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/access"
)

// One registry: each kind is offered exactly the formats that render it.
func TestFormatRegistry(t *testing.T) {
	if got := Formats(KindCheck); !slices.Equal(got, []string{"human", "json", "junit", "github", "markdown"}) {
		t.Errorf("check formats %v", got)
	}
	if got := Formats(KindAccess); !slices.Equal(got, []string{"human", "json", "csv"}) {
		t.Errorf("access formats %v", got)
	}
	if got := Formats(KindSessions); !slices.Equal(got, []string{"human", "json"}) {
		t.Errorf("sessions formats %v", got)
	}
	for _, f := range formats {
		if !f.Renders(KindCheck) && !f.Renders(KindAccess) && !f.Renders(KindSessions) {
			t.Errorf("format %s renders nothing", f.Name)
		}
	}
	if _, err := Lookup(KindCheck, "csv"); err == nil || err.Error() != `format "csv" cannot render check reports (use one of: human, json, junit, github, markdown)` {
		t.Errorf("csv for check: %v", err)
	}
	if _, err := Lookup(KindAccess, "yaml"); err == nil || err.Error() != `unknown format "yaml" (use one of: human, json, csv)` {
		t.Errorf("yaml for access: %v", err)
	}
	if err := Write(&bytes.Buffer{}, "csv", Report{}, Options{}); err == nil {
		t.Error("Write rendered a check report as csv")
	}
	if err := WriteAccess(&bytes.Buffer{}, "junit", AccessReport{Report: &access.Report{}}, Options{}); err == nil {
		t.Error("WriteAccess rendered an access report as junit")
	}
}

// A value from AWS (a Name tag) cannot become a spreadsheet formula.
func TestAccessCSVDefusesFormulas(t *testing.T) {
	p := &access.Principal{Kind: "user", Name: "eve", Arn: "arn:aws:iam::123456789012:user/eve"}
	in := &access.Instance{ID: "i-0123456789abcdef0", Name: "=HYPERLINK(\"http://x\")"}
	r := &access.Report{Mode: access.ModeTarget, Setup: access.Setup{Region: "us-east-1", Document: "AWS-StartSSHSession"}, Instance: in,
		Columns: []access.Column{{ID: access.ColStartSessionInstance}}, Rows: []access.Row{{Principal: p, Instance: in, Cells: []access.Cell{{Decision: "implicitDeny", Simulated: "allowed"}}}}}
	var b bytes.Buffer
	if err := AccessCSV(&b, AccessReport{Report: r}, Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `,"'=HYPERLINK(""http://x"")",`) {
		t.Fatalf("csv:\n%s", b.String())
	}
	// A disagreement names the column and the simulation's decision.
	if !strings.HasSuffix(lines[1], ",,,,disagrees: startSessionInstance simulated allowed,") {
		t.Fatalf("csv disagreement:\n%s", lines[1])
	}
}

// Text from AWS (a Name tag, a policy's Sid) reaches the terminal escaped.
func TestAccessHumanEscapesControlCharacters(t *testing.T) {
	p := &access.Principal{Kind: "user", Name: "eve", Arn: "arn:aws:iam::123456789012:user/eve"}
	in := &access.Instance{ID: "i-0123456789abcdef0", Name: "web\r\x1b[2J"}
	r := &access.Report{Mode: access.ModeTarget, Setup: access.Setup{Region: "us-east-1", Document: "AWS-StartSSHSession"}, Instance: in,
		Columns: []access.Column{{ID: access.ColStartSessionInstance}},
		Rows: []access.Row{{Principal: p, Instance: in, CanConnect: true, Cells: []access.Cell{{Decision: "allowed",
			Statements: []access.Statement{{Effect: "Allow", Policy: "p", Sid: "x\x1b]0;owned\x07", Index: 1, Via: "inline policy of user eve"}}}}}}}
	var b bytes.Buffer
	if err := AccessHuman(&b, AccessReport{Report: r}, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\r\x07") || !strings.Contains(out, `web\r\x1b[2J (i-0123456789abcdef0)`) || !strings.Contains(out, `p statement 1 (x\x1b]0;owned\x07)`) {
		t.Fatalf("not escaped:\n%q", out)
	}
}
