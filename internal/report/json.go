package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

// SchemaVersion changes only when a field is removed or changes meaning;
// new fields may appear without a bump. Documented in the README.
const SchemaVersion = 1

type jsonReport struct {
	SchemaVersion    int          `json:"schemaVersion"`
	SSMDoctorVersion string       `json:"ssmdoctorVersion"`
	GeneratedAt      *time.Time   `json:"generatedAt,omitempty"`
	Targets          []jsonTarget `json:"targets"`
	Summary          jsonSummary  `json:"summary"`
}

type jsonTarget struct {
	Input      string      `json:"input"`
	InstanceID string      `json:"instanceId"`
	Region     string      `json:"region"`
	Checks     []jsonCheck `json:"checks"`
	Summary    jsonSummary `json:"summary"`
}

type jsonCheck struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Layer      string   `json:"layer"`
	Status     string   `json:"status"`
	Message    string   `json:"message"`
	Details    []string `json:"details"`
	Fix        string   `json:"fix"`
	FixID      string   `json:"fixId"`
	Missing    string   `json:"missing"`
	DurationMs *int64   `json:"durationMs,omitempty"`
}

// jsonSummary is keyed by status value, so summary[check.status] works.
type jsonSummary struct {
	Pass  int `json:"pass"`
	Warn  int `json:"warn"`
	Fail  int `json:"fail"`
	Skip  int `json:"skip"`
	Error int `json:"error"`
}

func toJSONSummary(s Summary) jsonSummary {
	return jsonSummary{Pass: s.Passed, Warn: s.Warnings, Fail: s.Failed, Skip: s.Skipped, Error: s.Undetermined}
}

// JSON writes the versioned machine-readable report: targets and checks in
// run order, every field always present (empty rather than absent), except
// generatedAt and durationMs in deterministic mode.
func JSON(w io.Writer, r Report, o Options) error {
	out := jsonReport{SchemaVersion: SchemaVersion, SSMDoctorVersion: r.Version, Targets: []jsonTarget{}}
	if !o.Deterministic && !r.GeneratedAt.IsZero() {
		t := r.GeneratedAt.UTC()
		out.GeneratedAt = &t
	}
	for _, t := range r.Targets {
		jt := jsonTarget{Input: t.Input, InstanceID: t.InstanceID, Region: t.Region, Checks: []jsonCheck{}}
		var s Summary
		for _, c := range t.Checks {
			jt.Checks = append(jt.Checks, toJSONCheck(c, o))
			s.add(c.Result.Status)
		}
		jt.Summary = toJSONSummary(s)
		out.Targets = append(out.Targets, jt)
	}
	out.Summary = toJSONSummary(r.Summarize())
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func toJSONCheck(c checks.Outcome, o Options) jsonCheck {
	jc := jsonCheck{
		ID: c.ID, Title: c.Title, Layer: string(c.Layer), Status: string(c.Result.Status),
		Message: c.Result.Message, Details: c.Result.Details, Fix: c.Result.Fix,
		FixID: string(c.Result.FixID), Missing: c.Result.Missing,
	}
	if jc.Details == nil {
		jc.Details = []string{}
	}
	if !o.Deterministic {
		ms := c.Duration.Milliseconds()
		jc.DurationMs = &ms
	}
	return jc
}
