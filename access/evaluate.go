package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// DefaultDocument is the session document `ssmdoctor ssh` and the AWS
// CLI's ssh ProxyCommand start.
const DefaultDocument = "AWS-StartSSHSession"

// Setup is what every decision of one report shares.
type Setup struct {
	Partition, Account, Region string
	Document                   string // the session document; DefaultDocument when ""
	// KMSKeyID is the key the Session Manager preferences name ("" when
	// sessions are not KMS-encrypted): kms:GenerateDataKey is then needed.
	KMSKeyID string
	// UnusedKMSKeyID is the preferences' key when the document starts a
	// Port session (SSH, port forwarding), which the agent does not
	// encrypt: no KMS permission is needed, and the report says why.
	UnusedKMSKeyID string
	// OneTimeKeys: connections push a one-time key with EC2 Instance
	// Connect for OSUser, so ec2-instance-connect:SendSSHPublicKey is needed.
	OneTimeKeys bool
	OSUser      string
}

// Instance is one target: an EC2 instance or a hybrid (mi-) node.
type Instance struct {
	ID, Name, Region string
	Hybrid           bool
	Tags             []Tag // in the order EC2 gave them
}

// Tag is one resource tag.
type Tag struct{ Key, Value string }

// Column ids: one per action a connection needs.
const (
	ColStartSessionInstance = "startSessionInstance"
	ColStartSessionDocument = "startSessionDocument"
	ColKMSGenerateDataKey   = "kmsGenerateDataKey"
	ColSendSSHPublicKey     = "sendSSHPublicKey"
)

// Column is one action a connection needs, on one resource.
type Column struct {
	ID       string `json:"id"`
	Action   string `json:"action"`
	Resource string `json:"resource"` // "instance", "document" or "key"
}

// Title is the column's heading in the human and csv formats.
func (c Column) Title() string {
	switch c.ID {
	case ColStartSessionInstance:
		return "StartSession instance"
	case ColStartSessionDocument:
		return "StartSession document"
	case ColKMSGenerateDataKey:
		return "kms:GenerateDataKey"
	case ColSendSSHPublicKey:
		return "SendSSHPublicKey"
	}
	return c.ID
}

// Columns are the actions a connection needs under s.
func (s Setup) Columns() []Column {
	cols := []Column{
		{ColStartSessionInstance, "ssm:StartSession", "instance"},
		{ColStartSessionDocument, "ssm:StartSession", "document"},
	}
	if s.KMSKeyID != "" {
		cols = append(cols, Column{ColKMSGenerateDataKey, "kms:GenerateDataKey", "key"})
	}
	if s.OneTimeKeys {
		cols = append(cols, Column{ColSendSSHPublicKey, "ec2-instance-connect:SendSSHPublicKey", "instance"})
	}
	return cols
}

func (s Setup) document() string {
	if s.Document == "" {
		return DefaultDocument
	}
	return s.Document
}

// InstanceArn is the ARN StartSession authorizes for an instance.
func (s Setup) InstanceArn(in *Instance) string {
	region := in.Region
	if region == "" {
		region = s.Region
	}
	if in.Hybrid {
		return fmt.Sprintf("arn:%s:ssm:%s:%s:managed-instance/%s", s.Partition, region, s.Account, in.ID)
	}
	return fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", s.Partition, region, s.Account, in.ID)
}

// DocumentArn is the document's ARN: AWS-owned documents have no account.
func (s Setup) DocumentArn() string {
	doc := s.document()
	if strings.HasPrefix(doc, "arn:") {
		return doc
	}
	if strings.HasPrefix(doc, "AWS-") || strings.HasPrefix(doc, "SSM-") || strings.HasPrefix(doc, "AWSSupport-") {
		return fmt.Sprintf("arn:%s:ssm:%s::document/%s", s.Partition, s.Region, doc)
	}
	return fmt.Sprintf("arn:%s:ssm:%s:%s:document/%s", s.Partition, s.Region, s.Account, doc)
}

// KeyArn is the preferences' KMS key as an ARN.
func (s Setup) KeyArn() string {
	return awsfacts.KMSKeyArn(s.Partition, s.Region, s.Account, s.KMSKeyID)
}

// ctxEntry is one request context value, typed as SimulatePrincipalPolicy
// takes it.
type ctxEntry struct {
	key, typ string
	values   []string
}

// request is one action on one resource with its context, as the service
// would authorize it.
type request struct {
	col      string
	action   string
	resource string
	ctx      []ctxEntry
}

// principalCtx carries what a request from p would: the policy variables
// Session Manager policies use (${aws:username}, ${aws:userid}) and the
// principal's tags.
func principalCtx(p *Principal) []ctxEntry {
	var out []ctxEntry
	if p.Kind == "user" {
		out = append(out, ctxEntry{"aws:username", "string", []string{p.Name}})
		if p.ID != "" {
			out = append(out, ctxEntry{"aws:userid", "string", []string{p.ID}})
		}
	}
	keys := make([]string, 0, len(p.Tags))
	for k := range p.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, ctxEntry{"aws:PrincipalTag/" + k, "string", []string{p.Tags[k]}})
	}
	return out
}

// requests are what a connection by p to in asks, one per column.
func (s Setup) requests(p *Principal, in *Instance, cols []Column) []request {
	base := principalCtx(p)
	docCheck := ctxEntry{"ssm:SessionDocumentAccessCheck", "boolean", []string{"true"}}
	out := make([]request, 0, len(cols))
	for _, c := range cols {
		switch c.ID {
		case ColStartSessionInstance:
			cv := append([]ctxEntry{docCheck}, base...)
			for _, t := range in.Tags {
				cv = append(cv, ctxEntry{"aws:ResourceTag/" + t.Key, "string", []string{t.Value}},
					ctxEntry{"ssm:resourceTag/" + t.Key, "string", []string{t.Value}})
			}
			out = append(out, request{c.ID, c.Action, s.InstanceArn(in), cv})
		case ColStartSessionDocument:
			out = append(out, request{c.ID, c.Action, s.DocumentArn(), append([]ctxEntry{docCheck}, base...)})
		case ColKMSGenerateDataKey:
			out = append(out, request{c.ID, c.Action, s.KeyArn(), base})
		case ColSendSSHPublicKey:
			cv := append([]ctxEntry{{"ec2:osuser", "string", []string{s.OSUser}}}, base...)
			for _, t := range in.Tags {
				cv = append(cv, ctxEntry{"aws:ResourceTag/" + t.Key, "string", []string{t.Value}},
					ctxEntry{"ec2:ResourceTag/" + t.Key, "string", []string{t.Value}})
			}
			out = append(out, request{c.ID, c.Action, s.InstanceArn(in), cv})
		}
	}
	return out
}

// Decision values beyond iampolicy's: the action does not apply.
const NotApplicable iampolicy.Decision = "notApplicable"

// Statement is a statement that decided a request.
type Statement struct {
	Effect    string `json:"effect"`
	Policy    string `json:"policy"`    // the policy's name
	PolicyArn string `json:"policyArn"` // "" for an inline policy
	Sid       string `json:"sid"`
	Index     int    `json:"index"` // 1-based position in the Statement array
	Via       string `json:"via"`   // how it applies: "inline policy of user alice", ...
}

// String is "SSHViaSessionManager statement 1 (StartSSHSession), managed
// policy attached to group ssh-users".
func (s Statement) String() string {
	name := s.Policy
	if s.PolicyArn != "" {
		name = s.PolicyArn
	}
	out := fmt.Sprintf("%s statement %d", name, s.Index)
	if s.Sid != "" {
		out += " (" + s.Sid + ")"
	}
	return out + ", " + s.Via
}

// Cell is the decision for one column.
type Cell struct {
	Column   string             `json:"column"`
	Resource string             `json:"resource"`
	Decision iampolicy.Decision `json:"decision"` // allowed | explicitDeny | implicitDeny | notApplicable
	// Statements are the Allow statements that allow it (allowed) or the
	// Deny statements that deny it (explicitDeny).
	Statements []Statement `json:"statements"`
	// Boundary lists the permissions boundary's statements that let an
	// allowed request through.
	Boundary []Statement `json:"boundary"`
	Note     string      `json:"note"` // why it is denied, in words, or ""
	// Simulated is SimulatePrincipalPolicy's decision, "" when not asked.
	Simulated iampolicy.Decision `json:"simulated"`
	// SimulatedBy names the statements the simulation matched.
	SimulatedBy []string `json:"simulatedBy"`
}

// Disagrees reports whether the simulation decided otherwise.
func (c *Cell) Disagrees() bool { return c.Simulated != "" && c.Simulated != c.Decision }

func (p *Principal) statements(ms []iampolicy.Match) []Statement {
	out := make([]Statement, 0, len(ms))
	for _, m := range ms {
		src := p.sources[m.PolicyID]
		out = append(out, Statement{Effect: m.Effect, Policy: src.Policy, PolicyArn: src.PolicyArn, Sid: m.Sid, Index: m.StatementIndex + 1, Via: src.Via})
	}
	return out
}

func ictx(cv []ctxEntry) iampolicy.Context {
	c := iampolicy.Context{}
	for _, e := range cv {
		c.Set(e.key, e.values...)
	}
	return c
}

// evaluate decides one request offline.
func (p *Principal) evaluate(r request) Cell {
	req := iampolicy.Request{Action: r.action, Resource: r.resource, Context: ictx(r.ctx)}
	res := iampolicy.Evaluate(p.Identity, p.Boundaries, req)
	c := Cell{Column: r.col, Resource: r.resource, Decision: res.Decision, Statements: p.statements(res.Matched)}
	switch res.Decision {
	case iampolicy.Allowed:
		if len(p.Boundaries) > 0 {
			c.Boundary = p.statements(res.BoundaryMatched)
		}
	case iampolicy.ExplicitDeny:
		c.Note = "explicitly denied"
	case iampolicy.ImplicitDeny:
		c.Note = "no policy allows it"
		if len(p.Boundaries) > 0 && !res.BoundaryAllowed {
			if alone := iampolicy.Evaluate(p.Identity, nil, req); alone.Decision == iampolicy.Allowed {
				c.Note = "allowed by " + p.statements(alone.Matched)[0].String() + ", but not by the permissions boundary " + p.PermissionsBoundary
			}
		}
		if len(res.MissingContextValues) > 0 {
			c.Note += "; policies refer to context the request lacks: " + strings.Join(res.MissingContextValues, ", ")
		}
	}
	return c
}

// Row is one principal's decision for one instance.
type Row struct {
	Principal  *Principal
	Instance   *Instance
	Cells      []Cell
	CanConnect bool // every needed action allowed
}

// Disagreements counts the cells the simulation decided otherwise.
func (r *Row) Disagreements() int {
	n := 0
	for i := range r.Cells {
		if r.Cells[i].Disagrees() {
			n++
		}
	}
	return n
}

// Simulated reports whether any cell was simulated.
func (r *Row) Simulated() bool {
	for i := range r.Cells {
		if r.Cells[i].Simulated != "" {
			return true
		}
	}
	return false
}

// decide evaluates every column of p on in.
func (s Setup) decide(p *Principal, in *Instance, cols []Column) (Row, []request) {
	reqs := s.requests(p, in, cols)
	row := Row{Principal: p, Instance: in, CanConnect: true}
	for _, r := range reqs {
		var c Cell
		if r.col == ColSendSSHPublicKey && in.Hybrid {
			c = Cell{Column: r.col, Resource: r.resource, Decision: NotApplicable, Note: "EC2 Instance Connect does not serve hybrid (mi-) nodes"}
		} else {
			c = p.evaluate(r)
		}
		if c.Decision != iampolicy.Allowed {
			row.CanConnect = false
		}
		row.Cells = append(row.Cells, c)
	}
	return row, reqs
}
