package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

// GitHub writes workflow commands: an ::error for each failed or
// undetermined check, a ::warning for each warning, and a ::notice with the
// summary, so a job's annotations tell the story without opening the log.
func GitHub(w io.Writer, r Report, o Options) error {
	bw := bufio.NewWriter(w)
	for _, t := range r.Targets {
		for _, c := range t.Checks {
			var level string
			switch c.Result.Status {
			case checks.StatusFail, checks.StatusError:
				level = "error"
			case checks.StatusWarn:
				level = "warning"
			default:
				continue
			}
			title := "ssmdoctor " + c.ID
			if t.InstanceID != "" || t.Input != "" {
				title += " (" + suiteName(t) + ")"
			}
			body := []string{failureMessage(c.Result)}
			body = append(body, c.Result.Details...)
			if c.Result.Fix != "" {
				body = append(body, "fix: "+c.Result.Fix)
			}
			fmt.Fprintf(bw, "::%s title=%s::%s\n", level, escapeProperty(title), escapeData(strings.Join(body, "\n")))
		}
	}
	fmt.Fprintf(bw, "::notice title=ssmdoctor check::%s\n", escapeData(r.Summarize().Line()))
	return bw.Flush()
}

// Escapes from the workflow-command spec: data escapes %, CR and LF;
// property values also escape : and , which delimit properties.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
