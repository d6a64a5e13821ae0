package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A Name tag or reason holding control characters cannot break the table
// or rewrite the terminal in the human list; JSON keeps the exact value.
func TestSessionsEscapesAWSText(t *testing.T) {
	s := Sessions{Region: "us-east-1", States: []string{"active", "history"}, Rows: []SessionRow{{
		SessionID: "alice-0123", State: "active", Owner: "arn:aws:iam::123456789012:user/alice", Target: "i-0123",
		TargetName: "web\t1\x1b[2J", Kind: "ssh", Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Status: "Connected", Reason: "line\nbreak",
	}}}
	var h bytes.Buffer
	if err := WriteSessions(&h, "human", s); err != nil {
		t.Fatal(err)
	}
	want := "1 active session in us-east-1\n" +
		"SESSION     OWNER                                 TARGET                  KIND  STARTED               ENDED  STATUS     REASON\n" +
		`alice-0123  arn:aws:iam::123456789012:user/alice  i-0123 (web\t1\x1b[2J)  ssh   2026-01-02T03:04:05Z  -      Connected  line\nbreak` + "\n" +
		"\nno history sessions in us-east-1\n"
	if h.String() != want {
		t.Fatalf("human:\n%s\nwant:\n%s", h.String(), want)
	}
	var j bytes.Buffer
	if err := WriteSessions(&j, "json", s); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sessions []struct {
			TargetName string
			End        *time.Time
		}
	}
	if err := json.Unmarshal(j.Bytes(), &doc); err != nil || doc.Sessions[0].TargetName != "web\t1\x1b[2J" || doc.Sessions[0].End != nil {
		t.Fatalf("json: %v %s", err, j.String())
	}
	if !strings.Contains(j.String(), `"end": null`) {
		t.Fatalf("json end not null:\n%s", j.String())
	}
	if err := WriteSessions(&j, "junit", s); err == nil {
		t.Fatal("junit accepted")
	}
}
