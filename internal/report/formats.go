package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ssmdoctor/ssmdoctor/access"
)

// Kind is what a report is about: the command that made it.
type Kind string

const (
	KindCheck    Kind = "check"    // ssmdoctor check (and demo)
	KindAccess   Kind = "access"   // ssmdoctor access
	KindSessions Kind = "sessions" // ssmdoctor sessions
)

// AccessReport is access's result with what every report carries.
type AccessReport struct {
	Version     string    // ssmdoctor version
	GeneratedAt time.Time // omitted in deterministic mode
	*access.Report
}

// Format is one named output format with a renderer for each kind of
// report it can render; a nil renderer means it cannot render that kind,
// and the format is then not offered for it.
type Format struct {
	Name     string
	Check    func(io.Writer, Report, Options) error
	Access   func(io.Writer, AccessReport, Options) error
	Sessions func(io.Writer, Sessions, Options) error
}

// Renders reports whether f can render reports of kind k.
func (f Format) Renders(k Kind) bool {
	switch k {
	case KindCheck:
		return f.Check != nil
	case KindAccess:
		return f.Access != nil
	case KindSessions:
		return f.Sessions != nil
	}
	return false
}

// formats is the registry, in the order --help and errors list them. A new
// format is one entry here with the renderers it has.
var formats = []Format{
	{Name: "human", Check: Human, Access: AccessHuman, Sessions: func(w io.Writer, s Sessions, _ Options) error { return sessionsHuman(w, s) }},
	{Name: "json", Check: JSON, Access: AccessJSON, Sessions: func(w io.Writer, s Sessions, _ Options) error { return sessionsJSON(w, s) }},
	{Name: "junit", Check: JUnit},
	{Name: "github", Check: GitHub},
	{Name: "markdown", Check: Markdown},
	{Name: "csv", Access: AccessCSV},
}

// Formats lists the --format values that render reports of kind k.
func Formats(k Kind) []string {
	var out []string
	for _, f := range formats {
		if f.Renders(k) {
			out = append(out, f.Name)
		}
	}
	return out
}

// Lookup finds the format named name that renders kind k; the error says
// which formats do.
func Lookup(k Kind, name string) (Format, error) {
	for _, f := range formats {
		if f.Name == name {
			if !f.Renders(k) {
				return Format{}, fmt.Errorf("format %q cannot render %s reports (use one of: %s)", name, k, strings.Join(Formats(k), ", "))
			}
			return f, nil
		}
	}
	return Format{}, fmt.Errorf("unknown format %q (use one of: %s)", name, strings.Join(Formats(k), ", "))
}

// Write renders a check report in format ("" is human) to w.
func Write(w io.Writer, format string, r Report, o Options) error {
	if format == "" {
		format = "human"
	}
	f, err := Lookup(KindCheck, format)
	if err != nil {
		return err
	}
	return f.Check(w, r, o)
}

// WriteAccess renders an access report in format ("" is human) to w.
func WriteAccess(w io.Writer, format string, r AccessReport, o Options) error {
	if format == "" {
		format = "human"
	}
	f, err := Lookup(KindAccess, format)
	if err != nil {
		return err
	}
	return f.Access(w, r, o)
}
