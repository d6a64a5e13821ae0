package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ssmdoctor/ssmdoctor/access"
	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// AccessHuman writes access's report for people: what a connection needs,
// a table with one line per principal (or instance) and one column per
// action, then why, and what this evaluation cannot see.
func AccessHuman(w io.Writer, r AccessReport, o Options) error {
	bw := bufio.NewWriter(w)
	p := newPalette(o.Color)
	switch r.Mode {
	case access.ModePrincipal:
		accessHumanPrincipal(bw, p, r, o)
	default:
		accessHumanTarget(bw, p, r, o)
	}
	accessHumanFooter(bw, p, r)
	return bw.Flush()
}

func instanceLabel(in *access.Instance) string {
	if in.Name == "" || in.Name == in.ID {
		return Visible(in.ID)
	}
	return Visible(in.Name + " (" + in.ID + ")")
}

func accessNeeds(w io.Writer, r AccessReport) {
	needs := []string{"ssm:StartSession on the instance and on the document " + Visible(r.Setup.Document)}
	for _, c := range r.Columns {
		switch c.ID {
		case access.ColKMSGenerateDataKey:
			needs = append(needs, "kms:GenerateDataKey on "+Visible(r.Setup.KeyArn())+" (the session preferences encrypt sessions with it)")
		case access.ColSendSSHPublicKey:
			needs = append(needs, "ec2-instance-connect:SendSSHPublicKey on the instance for OS user "+Visible(r.Setup.OSUser)+" (one-time keys)")
		}
	}
	fmt.Fprintf(w, "a connection needs %s\n", strings.Join(needs, "; "))
	if k := r.Setup.UnusedKMSKeyID; k != "" {
		fmt.Fprintf(w, "and no KMS permission: %s starts a Port session, which the agent does not encrypt with the preferences' key %s (shell sessions it does)\n", Visible(r.Setup.Document), Visible(k))
	}
}

func decisionWord(c *access.Cell) string {
	var s string
	switch c.Decision {
	case iampolicy.Allowed:
		s = "allowed"
	case iampolicy.ExplicitDeny:
		s = "denied (explicit)"
	case iampolicy.ImplicitDeny:
		s = "not allowed"
	default:
		s = "n/a"
	}
	if c.Disagrees() {
		s += " *"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func accessHumanTarget(w *bufio.Writer, p palette, r AccessReport, o Options) {
	fmt.Fprintln(w, p.bold.Sprintf("Who may open an SSH session on %s in %s", instanceLabel(r.Instance), Visible(r.Setup.Region)))
	accessNeeds(w, r)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"PRINCIPAL", "CAN CONNECT"}
	for _, c := range r.Columns {
		head = append(head, c.Title())
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for i := range r.Rows {
		row := &r.Rows[i]
		line := []string{Visible(row.Principal.Label()), yesNo(row.CanConnect)}
		for j := range row.Cells {
			line = append(line, decisionWord(&row.Cells[j]))
		}
		fmt.Fprintln(tw, strings.Join(line, "\t"))
	}
	tw.Flush()

	// Why: every principal that can connect, then those an allow or a deny
	// concerns; principals no policy gives anything are only in the table
	// (all of them with --verbose).
	var order []*access.Row
	for i := range r.Rows {
		if r.Rows[i].CanConnect {
			order = append(order, &r.Rows[i])
		}
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		if !row.CanConnect && (o.Detail || worthExplaining(row)) {
			order = append(order, row)
		}
	}
	for _, row := range order {
		fmt.Fprintln(w)
		verdict := "cannot connect"
		if row.CanConnect {
			verdict = "can connect"
		}
		fmt.Fprintf(w, "%s: %s\n", p.bold.Sprint(Visible(row.Principal.Label())), verdict)
		explainCells(w, p, r, row)
		explainPrincipal(w, p, row.Principal)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, p.bold.Sprintf("%d of %d principals can connect to %s.", countConnect(r), len(r.Rows), instanceLabel(r.Instance)))
}

func worthExplaining(row *access.Row) bool {
	if len(row.Principal.Problems) > 0 || row.Disagreements() > 0 {
		return true
	}
	for _, c := range row.Cells {
		if c.Decision == iampolicy.Allowed || c.Decision == iampolicy.ExplicitDeny {
			return true
		}
	}
	return false
}

func countConnect(r AccessReport) int {
	n := 0
	for i := range r.Rows {
		if r.Rows[i].CanConnect {
			n++
		}
	}
	return n
}

func statementList(ss []access.Statement) string {
	parts := make([]string, 0, len(ss))
	for _, s := range ss {
		parts = append(parts, Visible(s.String()))
	}
	return strings.Join(parts, "; ")
}

func explainCells(w io.Writer, p palette, r AccessReport, row *access.Row) {
	for j := range row.Cells {
		c := &row.Cells[j]
		title := r.Columns[j].Title()
		switch c.Decision {
		case iampolicy.Allowed:
			fmt.Fprintf(w, "  %s %s: allowed by %s\n", p.mark(checks.StatusPass), title, statementList(c.Statements))
			if len(c.Boundary) > 0 {
				fmt.Fprintf(w, "      %s\n", p.dim.Sprint("within the permissions boundary: "+statementList(c.Boundary)))
			}
		case iampolicy.ExplicitDeny:
			fmt.Fprintf(w, "  %s %s: explicitly denied by %s\n", p.mark(checks.StatusFail), title, statementList(c.Statements))
		default:
			fmt.Fprintf(w, "  %s %s: %s\n", p.mark(checks.StatusFail), title, Visible(c.Note))
		}
		if c.Disagrees() {
			by := ""
			if len(c.SimulatedBy) > 0 {
				by = " (" + Visible(strings.Join(c.SimulatedBy, "; ")) + ")"
			}
			fmt.Fprintf(w, "      %s\n", p.warn.Sprintf("* iam:SimulatePrincipalPolicy decided %s%s: the evaluators disagree", c.Simulated, by))
		}
	}
}

func explainPrincipal(w io.Writer, p palette, pr *access.Principal) {
	if t := pr.Trust; t != nil {
		if t.IdentityCenter != "" {
			fmt.Fprintf(w, "  IAM Identity Center permission set %s: whoever Identity Center assigns it may use this role\n", Visible(t.IdentityCenter))
		}
		switch {
		case t.Problem != "":
			fmt.Fprintf(w, "  may be assumed by: unknown (%s)\n", Visible(t.Problem))
		case len(t.Trusted) == 0:
			fmt.Fprintln(w, "  may be assumed by: nobody (no trust policy statement allows sts:AssumeRole)")
		default:
			fmt.Fprintf(w, "  may be assumed by: %s\n", Visible(strings.Join(t.Trusted, "; ")))
		}
	}
	for _, pb := range pr.Problems {
		fmt.Fprintf(w, "  %s\n", p.warn.Sprint("! "+Visible(pb)))
	}
}

func accessHumanPrincipal(w *bufio.Writer, p palette, r AccessReport, o Options) {
	pr := r.Principal
	fmt.Fprintln(w, p.bold.Sprintf("Where %s may open an SSH session in %s", Visible(pr.Label()), Visible(r.Setup.Region)))
	accessNeeds(w, r)
	explainPrincipal(w, p, pr)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"INSTANCE", "NAME", "CAN CONNECT"}
	for _, c := range r.Columns {
		head = append(head, c.Title())
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for i := range r.Rows {
		row := &r.Rows[i]
		name := row.Instance.Name
		if name == "" {
			name = "-"
		}
		line := []string{Visible(row.Instance.ID), Visible(name), yesNo(row.CanConnect)}
		for j := range row.Cells {
			line = append(line, decisionWord(&row.Cells[j]))
		}
		fmt.Fprintln(tw, strings.Join(line, "\t"))
	}
	tw.Flush()

	// Why, per column: each distinct reason with how many instances it
	// decided.
	fmt.Fprintln(w)
	for j, col := range r.Columns {
		counts := map[string]int{}
		var keys []string
		for i := range r.Rows {
			c := &r.Rows[i].Cells[j]
			var why string
			switch c.Decision {
			case iampolicy.Allowed:
				why = "allowed by " + statementList(c.Statements)
			case iampolicy.ExplicitDeny:
				why = "explicitly denied by " + statementList(c.Statements)
			default:
				why = Visible(c.Note)
			}
			if counts[why] == 0 {
				keys = append(keys, why)
			}
			counts[why]++
		}
		sort.SliceStable(keys, func(a, b int) bool { return counts[keys[a]] > counts[keys[b]] })
		for _, k := range keys {
			fmt.Fprintf(w, "%s: %s (%d %s)\n", col.Title(), k, counts[k], plural(counts[k], "instance", "instances"))
		}
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Disagreements() == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", instanceLabel(row.Instance))
		explainCells(w, p, r, row)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, p.bold.Sprintf("%s can connect to %d of %d instances.", Visible(pr.Label()), countConnect(r), len(r.Rows)))
}

func accessHumanFooter(w io.Writer, p palette, r AccessReport) {
	s := r.Simulation
	switch {
	case s.Asked && s.Principals > 0 && s.Disagreements == 0:
		fmt.Fprintf(w, "Confirmed with iam:SimulatePrincipalPolicy: %d %s, %d %s; every decision agrees.\n",
			s.Principals, plural(s.Principals, "principal", "principals"), s.Calls, plural(s.Calls, "call", "calls"))
	case s.Asked && s.Principals > 0:
		fmt.Fprintln(w, p.warn.Sprintf("iam:SimulatePrincipalPolicy disagrees on %d %s (marked *): %d %s, %d %s.",
			s.Disagreements, plural(s.Disagreements, "decision", "decisions"), s.Principals, plural(s.Principals, "principal", "principals"), s.Calls, plural(s.Calls, "call", "calls")))
	}
	if s.Note != "" {
		fmt.Fprintln(w, p.warn.Sprint(Visible(s.Note)))
	}
	fmt.Fprintln(w, "Not visible this way:")
	for _, n := range r.NotVisible {
		fmt.Fprintf(w, "  - %s\n", Visible(n))
	}
}
