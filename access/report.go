package access

import (
	"context"
	"slices"
)

// Modes of a report.
const (
	ModeTarget    = "target"    // every principal of the account, one instance
	ModePrincipal = "principal" // one principal, every instance of the fleet
)

// Report is the answer of `ssmdoctor access`.
type Report struct {
	Mode    string
	Setup   Setup
	Columns []Column
	Rows    []Row
	// Instance is the target (ModeTarget); Principal the principal
	// (ModePrincipal).
	Instance  *Instance
	Principal *Principal
	// AuthDetailsCalls is how many GetAccountAuthorizationDetails pages
	// were read.
	AuthDetailsCalls int
	Simulation       Simulation
	// NotVisible says what this evaluation cannot see.
	NotVisible []string
}

// CanConnect counts the rows whose principal can connect.
func (r *Report) CanConnect() int {
	n := 0
	for i := range r.Rows {
		if r.Rows[i].CanConnect {
			n++
		}
	}
	return n
}

// Options change how a report is made.
type Options struct {
	// Simulate confirms each decision with iam:SimulatePrincipalPolicy.
	Simulate bool
}

// notVisible is what neither the authorization details nor the simulation
// show.
func notVisible(s Setup, instances []*Instance) []string {
	out := []string{
		"service control policies (SCPs) and resource control policies (RCPs) of AWS Organizations: they can deny what is shown as allowed here",
		"IAM Identity Center assignments: who holds a permission set is kept by Identity Center; only the trust policy of its role (a SAML principal) is visible here",
		"session policies and session tags, which a role session may carry and which can only narrow what its role allows",
		"the account root user, which is not an IAM principal: it may connect unless an SCP denies it",
		"who may assume a role that trusts the whole account (AWS arn:…:root) also depends on each principal's own sts:AssumeRole permission",
	}
	if s.KMSKeyID != "" {
		out = append(out, "the KMS key policy: kms:GenerateDataKey is allowed only if the key policy allows it too")
	}
	for _, in := range instances {
		if in.Hybrid {
			out = append(out, "the tags of hybrid (mi-) nodes, which Systems Manager keeps: policies that scope sessions by tag are evaluated without them")
			break
		}
	}
	return out
}

// ForInstance decides every principal of acct for a session on in.
func ForInstance(ctx context.Context, api IAMAPI, acct *Account, s Setup, in *Instance, o Options) (*Report, error) {
	s.Document = s.document()
	r := &Report{Mode: ModeTarget, Setup: s, Columns: s.Columns(), Instance: in, AuthDetailsCalls: acct.Pages, NotVisible: notVisible(s, []*Instance{in})}
	reqs := make([][]request, 0, len(acct.Principals))
	for _, p := range acct.Principals {
		row, rq := s.decide(p, in, r.Columns)
		r.Rows = append(r.Rows, row)
		reqs = append(reqs, rq)
	}
	return r, r.confirm(ctx, api, reqs, o)
}

// ForPrincipal decides p for a session on every instance of fleet.
func ForPrincipal(ctx context.Context, api IAMAPI, acct *Account, p *Principal, s Setup, fleet []*Instance, o Options) (*Report, error) {
	s.Document = s.document()
	r := &Report{Mode: ModePrincipal, Setup: s, Columns: s.Columns(), Principal: p, AuthDetailsCalls: acct.Pages, NotVisible: notVisible(s, fleet)}
	reqs := make([][]request, 0, len(fleet))
	for _, in := range fleet {
		row, rq := s.decide(p, in, r.Columns)
		r.Rows = append(r.Rows, row)
		reqs = append(reqs, rq)
	}
	return r, r.confirm(ctx, api, reqs, o)
}

func (r *Report) confirm(ctx context.Context, api IAMAPI, reqs [][]request, o Options) error {
	if !o.Simulate {
		r.Simulation.Note = "not confirmed with iam:SimulatePrincipalPolicy (--no-simulate): the decisions are the built-in evaluator's alone"
		return nil
	}
	sim, err := simulate(ctx, api, r.Rows, reqs)
	r.Simulation = sim
	return err
}

// Allowed lists the principals among arns (ARNs, or user/NAME, role/NAME)
// that can connect in r.
func (r *Report) Allowed(arns []string) []string {
	var out []string
	for i := range r.Rows {
		row := &r.Rows[i]
		if !row.CanConnect {
			continue
		}
		p := row.Principal
		if (slices.Contains(arns, p.Arn) || slices.Contains(arns, p.Label())) && !slices.Contains(out, p.Arn) {
			out = append(out, p.Arn)
		}
	}
	return out
}
