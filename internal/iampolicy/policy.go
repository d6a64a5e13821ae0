// Package iampolicy parses AWS IAM policy documents and evaluates requests
// against them with the semantics AWS documents for identity-based policies
// and permissions boundaries. It backs the simulated account (its
// SimulatePrincipalPolicy and per-call authorization) and the doctor's
// offline IAM checks, so it favours fidelity and explanation (which
// statement decided, where it is in the document) over speed.
package iampolicy

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
	// Warnings lists things AWS would reject or that change evaluation in a
	// way a reader may not expect (unknown condition operators, a missing
	// Version that disables policy variables, duplicate keys...). Parse still
	// succeeds so the doctor can explain them instead of failing outright.
	Warnings []string
}

// Statement is one entry of the Statement element.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny"

	Action, NotAction     []string
	Resource, NotResource []string
	Conditions            []Condition // in document order

	// Principal and NotPrincipal are kept for resource-based and trust
	// policies: principal type ("AWS", "Service", "Federated",
	// "CanonicalUser", or "*" for the bare wildcard) to values. Identity
	// policy evaluation ignores them.
	Principal, NotPrincipal map[string][]string

	Index      int      // 0-based position in the Statement array
	Start, End Position // the statement object's '{' and '}' in the decoded document
}

// Position is a 1-based line and column (counted in characters) in the
// decoded document text.
type Position struct{ Line, Column int }

// Condition is one key test of a Condition block. Operator keeps the
// spelling of the document, e.g. "ForAnyValue:StringLikeIfExists".
type Condition struct {
	Operator string
	Key      string
	Values   []string
}
