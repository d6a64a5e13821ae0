package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr,omitempty"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// JUnit writes one testsuite per target and one testcase per check. Both
// fail and "could not determine" are <failure> (type says which): CI
// dashboards should not hide a check that could not run. Errors stays 0 for
// ssmdoctor's own crashes, which never reach a report.
func JUnit(w io.Writer, r Report, o Options) error {
	out := junitSuites{Name: "ssmdoctor check"}
	var total time.Duration
	for _, t := range r.Targets {
		s := junitSuite{Name: "ssmdoctor check " + suiteName(t)}
		var d time.Duration
		for _, c := range t.Checks {
			jc := junitCase{Name: c.ID, Classname: "ssmdoctor." + string(c.Layer)}
			if !o.Deterministic {
				jc.Time = seconds(c.Duration)
			}
			res := c.Result
			switch res.Status {
			case checks.StatusFail, checks.StatusError:
				s.Failures++
				jc.Failure = &junitFailure{Message: failureMessage(res), Type: string(res.Status), Body: failureBody(c)}
			case checks.StatusSkip:
				s.Skipped++
				jc.Skipped = &junitSkipped{Message: res.Message}
			default:
				jc.SystemOut = fmt.Sprintf("%s: %s", res.Status, res.Message)
			}
			s.Tests++
			d += c.Duration
			s.Cases = append(s.Cases, jc)
		}
		if !o.Deterministic {
			s.Time = seconds(d)
			if !r.GeneratedAt.IsZero() {
				s.Timestamp = r.GeneratedAt.UTC().Format("2006-01-02T15:04:05")
			}
		}
		total += d
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}
	if !o.Deterministic {
		out.Time = seconds(total)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func suiteName(t Target) string {
	switch {
	case t.InstanceID != "":
		return t.InstanceID
	case t.Input != "":
		return t.Input
	}
	return "(no target)"
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func failureMessage(res checks.Result) string {
	if res.Status == checks.StatusError {
		return undeterminedText(res)
	}
	return res.Message
}

func failureBody(c checks.Outcome) string {
	lines := []string{c.Title + ": " + failureMessage(c.Result)}
	lines = append(lines, c.Result.Details...)
	if c.Result.Fix != "" {
		lines = append(lines, "fix: "+c.Result.Fix)
	}
	return strings.Join(lines, "\n")
}

// undeterminedText says "could not determine" once (some checks already
// start their message with it) and names what to ask for.
func undeterminedText(res checks.Result) string {
	m := res.Message
	if !strings.HasPrefix(strings.ToLower(m), "could not determine") {
		m = "could not determine: " + m
	}
	if res.Missing != "" && !strings.Contains(m, res.Missing) {
		m += " (needs " + res.Missing + ")"
	}
	return m
}
