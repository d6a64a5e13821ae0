package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/ssmdoctor/ssmdoctor/access"
)

// AccessSchemaVersion versions access's JSON like SchemaVersion check's:
// a new field may appear without a bump; removing or redefining one bumps
// it. The schema is in the README ("access").
const AccessSchemaVersion = 1

type jsonAccess struct {
	SchemaVersion    int                   `json:"schemaVersion"`
	Kind             string                `json:"kind"`
	SSMDoctorVersion string                `json:"ssmdoctorVersion"`
	GeneratedAt      *time.Time            `json:"generatedAt,omitempty"`
	Mode             string                `json:"mode"`
	Account          string                `json:"account"`
	Region           string                `json:"region"`
	Document         string                `json:"document"`
	KMSKeyArn        string                `json:"kmsKeyArn"`
	OSUser           string                `json:"osUser"`
	Columns          []access.Column       `json:"columns"`
	Principals       []*jsonPrincipal      `json:"principals"`
	Instances        []*jsonAccessInstance `json:"instances"`
	Rows             []jsonAccessRow       `json:"rows"`
	Summary          jsonAccessSummary     `json:"summary"`
	Simulation       jsonAccessSim         `json:"simulation"`
	NotVisible       []string              `json:"notVisible"`
}

type jsonPrincipal struct {
	Type                string   `json:"type"`
	Name                string   `json:"name"`
	Arn                 string   `json:"arn"`
	Groups              []string `json:"groups"`
	PermissionsBoundary string   `json:"permissionsBoundary"`
	AssumableBy         []string `json:"assumableBy"`
	IdentityCenterSet   string   `json:"identityCenterPermissionSet"`
	Problems            []string `json:"problems"`
}

type jsonAccessInstance struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Arn    string `json:"arn"`
	Region string `json:"region"`
}

type jsonAccessRow struct {
	Principal  string        `json:"principal"` // the principal's ARN
	Instance   string        `json:"instance"`  // the instance id
	CanConnect bool          `json:"canConnect"`
	Decisions  []access.Cell `json:"decisions"`
	Simulation string        `json:"simulation"` // agrees | disagrees | not simulated
}

type jsonAccessSummary struct {
	Principals    int `json:"principals"`
	Instances     int `json:"instances"`
	CanConnect    int `json:"canConnect"`
	Disagreements int `json:"disagreements"`
}

type jsonAccessSim struct {
	Asked                  bool   `json:"asked"`
	Calls                  int    `json:"calls"`
	Principals             int    `json:"principals"`
	Disagreements          int    `json:"disagreements"`
	Note                   string `json:"note"`
	AuthorizationDetailsIn int    `json:"authorizationDetailsCalls"` // GetAccountAuthorizationDetails pages read
}

func principalJSON(p *access.Principal) *jsonPrincipal {
	jp := &jsonPrincipal{Type: p.Kind, Name: p.Name, Arn: p.Arn, Groups: p.Groups, PermissionsBoundary: p.PermissionsBoundary,
		AssumableBy: []string{}, Problems: p.Problems}
	if jp.Groups == nil {
		jp.Groups = []string{}
	}
	if jp.Problems == nil {
		jp.Problems = []string{}
	}
	if p.Trust != nil {
		if p.Trust.Trusted != nil {
			jp.AssumableBy = p.Trust.Trusted
		}
		jp.IdentityCenterSet = p.Trust.IdentityCenter
	}
	return jp
}

func simulationWord(r *access.Row) string {
	switch {
	case r.Disagreements() > 0:
		return "disagrees"
	case r.Simulated():
		return "agrees"
	}
	return "not simulated"
}

// AccessJSON writes access's versioned machine-readable report. Every
// field is always present (empty rather than absent), except generatedAt
// in deterministic mode. principals and instances list what the rows
// name, in row order: a target report has one instance, a principal
// report one principal.
func AccessJSON(w io.Writer, r AccessReport, o Options) error {
	out := jsonAccess{
		SchemaVersion: AccessSchemaVersion, Kind: string(KindAccess), SSMDoctorVersion: r.Version, Mode: r.Mode,
		Account: r.Setup.Account, Region: r.Setup.Region, Document: r.Setup.Document, OSUser: r.Setup.OSUser,
		Columns: r.Columns, Rows: []jsonAccessRow{}, NotVisible: r.NotVisible,
		Principals: []*jsonPrincipal{}, Instances: []*jsonAccessInstance{},
		Simulation: jsonAccessSim{Asked: r.Simulation.Asked, Calls: r.Simulation.Calls, Principals: r.Simulation.Principals,
			Disagreements: r.Simulation.Disagreements, Note: r.Simulation.Note, AuthorizationDetailsIn: r.AuthDetailsCalls},
	}
	if r.Setup.KMSKeyID != "" {
		out.KMSKeyArn = r.Setup.KeyArn()
	}
	if !o.Deterministic && !r.GeneratedAt.IsZero() {
		t := r.GeneratedAt.UTC()
		out.GeneratedAt = &t
	}
	seenP, seenI := map[*access.Principal]bool{}, map[*access.Instance]bool{}
	for i := range r.Rows {
		row := &r.Rows[i]
		cells := row.Cells
		for j := range cells {
			if cells[j].Statements == nil {
				cells[j].Statements = []access.Statement{}
			}
			if cells[j].Boundary == nil {
				cells[j].Boundary = []access.Statement{}
			}
			if cells[j].SimulatedBy == nil {
				cells[j].SimulatedBy = []string{}
			}
		}
		out.Rows = append(out.Rows, jsonAccessRow{Principal: row.Principal.Arn, Instance: row.Instance.ID, CanConnect: row.CanConnect,
			Decisions: cells, Simulation: simulationWord(row)})
		if !seenP[row.Principal] {
			seenP[row.Principal] = true
			out.Principals = append(out.Principals, principalJSON(row.Principal))
		}
		if !seenI[row.Instance] {
			seenI[row.Instance] = true
			out.Instances = append(out.Instances, &jsonAccessInstance{ID: row.Instance.ID, Name: row.Instance.Name, Arn: r.Setup.InstanceArn(row.Instance), Region: instanceRegion(r, row.Instance)})
		}
		if row.CanConnect {
			out.Summary.CanConnect++
		}
		out.Summary.Disagreements += row.Disagreements()
	}
	if r.Principal != nil && !seenP[r.Principal] {
		out.Principals = append(out.Principals, principalJSON(r.Principal))
	}
	if r.Instance != nil && !seenI[r.Instance] {
		out.Instances = append(out.Instances, &jsonAccessInstance{ID: r.Instance.ID, Name: r.Instance.Name, Arn: r.Setup.InstanceArn(r.Instance), Region: instanceRegion(r, r.Instance)})
	}
	out.Summary.Principals, out.Summary.Instances = len(out.Principals), len(out.Instances)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func instanceRegion(r AccessReport, in *access.Instance) string {
	if in.Region != "" {
		return in.Region
	}
	return r.Setup.Region
}
