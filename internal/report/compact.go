package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

// Compact writes the few checks a connecting command ran before it
// connects (ssh, scp, proxy preflight): one line per check that ran, the
// failed ones with their fix, no colour and no layer headings, for stderr
// just before ssh takes the terminal.
func Compact(w io.Writer, title string, outs []checks.Outcome) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ssmdoctor: %s\n", title)
	for _, o := range outs {
		if o.Result.Status == checks.StatusSkip {
			continue
		}
		fmt.Fprintf(&b, "  %s %s: %s\n", marks[o.Result.Status], o.Title, Visible(o.Result.Message))
		if o.Result.Status == checks.StatusFail && o.Result.Fix != "" {
			for i, l := range strings.Split(o.Result.Fix, "\n") {
				lead := "      "
				if i == 0 {
					lead = "    fix: "
				}
				fmt.Fprintf(&b, "%s%s\n", lead, Visible(l))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
