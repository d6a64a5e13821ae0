package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// SessionsSchemaVersion is the version of `ssmdoctor sessions --format
// json` (README "sessions"); it changes only when a field is removed or
// changes meaning.
const SessionsSchemaVersion = 1

// SessionRow is one Session Manager session as `ssmdoctor sessions` shows it.
type SessionRow struct {
	SessionID  string
	State      string // active | history
	Owner      string // the IAM ARN that started it
	Target     string // instance id
	TargetName string // its Name tag, "" when none
	Kind       string // ssh | port-forwarding | shell | interactive-command | command | other
	Document   string
	Start      time.Time
	End        time.Time // zero while active
	Status     string    // Connected, Terminated, Failed, ...
	Reason     string
}

// Sessions is what `ssmdoctor sessions` lists: the sessions of each state
// asked for, in one region, newest first.
type Sessions struct {
	Region string
	States []string // the states listed, in order: active, history
	Rows   []SessionRow
}

// SessionFormats are the formats that render Sessions (the registry's,
// formats.go).
func SessionFormats() []string { return Formats(KindSessions) }

// WriteSessions renders s in format ("" is human) to w.
func WriteSessions(w io.Writer, format string, s Sessions) error {
	if format == "" {
		format = "human"
	}
	f, err := Lookup(KindSessions, format)
	if err != nil {
		return err
	}
	return f.Sessions(w, s, Options{})
}

const sessionTime = "2006-01-02T15:04:05Z"

// sessionsHuman is one table per state, or one line saying there is none.
// Every value from AWS goes through Visible.
func sessionsHuman(w io.Writer, s Sessions) error {
	for i, state := range s.States {
		var rows []SessionRow
		for _, r := range s.Rows {
			if r.State == state {
				rows = append(rows, r)
			}
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		if len(rows) == 0 {
			fmt.Fprintf(w, "no %s sessions in %s\n", state, s.Region)
			continue
		}
		fmt.Fprintf(w, "%d %s %s in %s\n", len(rows), state, plural(len(rows), "session", "sessions"), s.Region)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SESSION\tOWNER\tTARGET\tKIND\tSTARTED\tENDED\tSTATUS\tREASON")
		for _, r := range rows {
			target := r.Target
			if r.TargetName != "" {
				target += " (" + r.TargetName + ")"
			}
			end := "-"
			if !r.End.IsZero() {
				end = r.End.UTC().Format(sessionTime)
			}
			cells := []string{r.SessionID, r.Owner, target, r.Kind, r.Start.UTC().Format(sessionTime), end, r.Status, orDash(r.Reason)}
			for k, c := range cells {
				// A tab or newline from AWS would break the table: Visible
				// escapes both.
				cells[k] = Visible(c)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type jsonSessions struct {
	SchemaVersion int           `json:"schemaVersion"`
	Region        string        `json:"region"`
	States        []string      `json:"states"`
	Sessions      []jsonSession `json:"sessions"`
}

type jsonSession struct {
	SessionID  string     `json:"sessionId"`
	State      string     `json:"state"`
	Owner      string     `json:"owner"`
	Target     string     `json:"target"`
	TargetName string     `json:"targetName"`
	Kind       string     `json:"kind"`
	Document   string     `json:"document"`
	Start      time.Time  `json:"start"`
	End        *time.Time `json:"end"`
	Status     string     `json:"status"`
	Reason     string     `json:"reason"`
}

func sessionsJSON(w io.Writer, s Sessions) error {
	out := jsonSessions{SchemaVersion: SessionsSchemaVersion, Region: s.Region, States: s.States, Sessions: []jsonSession{}}
	if out.States == nil {
		out.States = []string{}
	}
	for _, r := range s.Rows {
		j := jsonSession{SessionID: r.SessionID, State: r.State, Owner: r.Owner, Target: r.Target, TargetName: r.TargetName,
			Kind: r.Kind, Document: r.Document, Start: r.Start.UTC(), Status: r.Status, Reason: r.Reason}
		if !r.End.IsZero() {
			e := r.End.UTC()
			j.End = &e
		}
		out.Sessions = append(out.Sessions, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
