package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// AccessCSV writes one line per principal and instance, after a header:
// principal_type, principal, principal_arn, instance_id, instance_name,
// region, document, can_connect, one column per action (named by its id:
// startSessionInstance, startSessionDocument, kmsGenerateDataKey,
// sendSSHPublicKey, each as needed; the value is the decision), allowed_by
// and denied_by (the deciding statements, "column: statement" joined by
// " | "), assumable_by (a role's trusted principals), simulation (agrees,
// not simulated, or disagrees: with each column the simulation decided
// otherwise and its decision) and problems. A value a spreadsheet would take
// for a formula (starting with = + - @, tab or carriage return) gets a
// leading apostrophe; the json format keeps every value exact.
func AccessCSV(w io.Writer, r AccessReport, o Options) error {
	cw := csv.NewWriter(w)
	head := []string{"principal_type", "principal", "principal_arn", "instance_id", "instance_name", "region", "document", "can_connect"}
	for _, c := range r.Columns {
		head = append(head, c.ID)
	}
	head = append(head, "allowed_by", "denied_by", "assumable_by", "simulation", "problems")
	if err := cw.Write(head); err != nil {
		return err
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		p, in := row.Principal, row.Instance
		rec := []string{p.Kind, p.Name, p.Arn, in.ID, in.Name, instanceRegion(r, in), r.Setup.Document, strconv.FormatBool(row.CanConnect)}
		var allowed, denied []string
		for j, c := range row.Cells {
			rec = append(rec, string(c.Decision))
			for _, s := range c.Statements {
				line := r.Columns[j].ID + ": " + s.String()
				if c.Decision == iampolicy.Allowed {
					allowed = append(allowed, line)
				} else {
					denied = append(denied, line)
				}
			}
		}
		var trusted []string
		if p.Trust != nil {
			trusted = p.Trust.Trusted
		}
		sim := simulationWord(row)
		if row.Disagreements() > 0 {
			var ds []string
			for j, c := range row.Cells {
				if c.Disagrees() {
					ds = append(ds, r.Columns[j].ID+" simulated "+string(c.Simulated))
				}
			}
			sim += ": " + strings.Join(ds, " | ")
		}
		rec = append(rec, strings.Join(allowed, " | "), strings.Join(denied, " | "), strings.Join(trusted, " | "),
			sim, strings.Join(p.Problems, " | "))
		for k := range rec {
			rec[k] = csvSafe(rec[k])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a value from being read as a spreadsheet formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
