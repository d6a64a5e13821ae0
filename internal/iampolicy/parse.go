package iampolicy

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Policy language versions. Only 2012-10-17 substitutes policy variables; a
// missing Version means 2008-10-17 to AWS.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// ParseError describes why a document was rejected.
type ParseError struct {
	Statement int      // 0-based index of the statement at fault, or -1
	Pos       Position // where the problem is, when known (Line 0 otherwise)
	Msg       string
}

// Error renders "parse policy: statement 2: Effect must be Allow or Deny";
// statement numbers count from 1 there because people read them.
func (e *ParseError) Error() string {
	switch {
	case e.Statement >= 0:
		return fmt.Sprintf("parse policy: statement %d: %s", e.Statement+1, e.Msg)
	case e.Pos.Line > 0:
		return fmt.Sprintf("parse policy: line %d, column %d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
	default:
		return "parse policy: " + e.Msg
	}
}

// MustParse is Parse for fixtures: it panics on error.
func MustParse(doc string) *Policy {
	p, err := Parse(doc)
	if err != nil {
		panic(err)
	}
	return p
}

// Parse parses a policy document, plain or URL-encoded JSON (IAM APIs
// return URL-encoded documents; moto mixes both). It never panics.
func Parse(doc string) (*Policy, error) {
	text, err := decodeDocument(doc)
	if err != nil {
		return nil, err
	}
	root, dups, err := parseJSON(text)
	li := newLineIndex(text)
	if err != nil {
		var je *jsonError
		if errors.As(err, &je) {
			return nil, &ParseError{Statement: -1, Pos: li.pos(je.off), Msg: "invalid JSON: " + je.msg}
		}
		return nil, &ParseError{Statement: -1, Msg: "invalid JSON: " + err.Error()}
	}
	pp := &policyParser{li: li, stmt: -1}
	pol, err := pp.policy(root)
	if err != nil {
		return nil, err
	}
	for _, d := range dups {
		p := li.pos(d.off)
		pol.Warnings = append(pol.Warnings, fmt.Sprintf("line %d: duplicate key %q: only the last one counts", p.Line, d.key))
	}
	return pol, nil
}

// decodeDocument URL-decodes documents that look encoded: they start with
// '%' or contain "%7B". A plain JSON document that happens to contain
// "%7B" in a value (it starts with '{') is left alone, since decoding it
// would corrupt the value.
func decodeDocument(doc string) (string, error) {
	doc = strings.TrimPrefix(doc, "\ufeff")
	trimmed := strings.TrimSpace(doc)
	encoded := strings.HasPrefix(trimmed, "%") ||
		(!strings.HasPrefix(trimmed, "{") && (strings.Contains(doc, "%7B") || strings.Contains(doc, "%7b")))
	if !encoded {
		return doc, nil
	}
	out, err := url.QueryUnescape(doc)
	if err != nil {
		return "", &ParseError{Statement: -1, Msg: "URL-encoded document: " + err.Error()}
	}
	return strings.TrimPrefix(out, "\ufeff"), nil
}

type policyParser struct {
	li   *lineIndex
	stmt int // statement being parsed, -1 outside statements
	pol  *Policy
}

func (pp *policyParser) errAt(n *jnode, format string, args ...any) error {
	e := &ParseError{Statement: pp.stmt, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Pos = pp.li.pos(n.start)
	}
	return e
}

func (pp *policyParser) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if pp.stmt >= 0 {
		msg = fmt.Sprintf("statement %d: %s", pp.stmt+1, msg)
	}
	pp.pol.Warnings = append(pp.pol.Warnings, msg)
}

func (pp *policyParser) policy(root *jnode) (*Policy, error) {
	if root.kind != jObject {
		return nil, pp.errAt(root, "the document must be a JSON object, not %s", root.kind)
	}
	pol := &Policy{}
	pp.pol = pol
	var stmts *jnode
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.val.kind != jString {
				return nil, pp.errAt(m.val, "Version must be a string")
			}
			if m.val.str != Version2012 && m.val.str != Version2008 {
				return nil, pp.errAt(m.val, "Version must be %q or %q, not %q", Version2012, Version2008, m.val.str)
			}
			pol.Version = m.val.str
		case "Id":
			if m.val.kind != jString {
				return nil, pp.errAt(m.val, "Id must be a string")
			}
			pol.ID = m.val.str
		case "Statement":
			stmts = m.val
		default:
			pp.warn("unknown top-level element %q is ignored", m.key)
		}
	}
	if pol.Version == "" {
		pp.warn("Version is missing: AWS then uses %s, which does not substitute policy variables such as ${aws:username}", Version2008)
	} else if pol.Version == Version2008 {
		pp.warn("Version %s does not substitute policy variables such as ${aws:username}", Version2008)
	}
	if stmts == nil {
		return nil, pp.errAt(nil, "Statement is missing")
	}
	var list []*jnode
	switch stmts.kind {
	case jObject:
		list = []*jnode{stmts}
	case jArray:
		list = stmts.elems
	default:
		return nil, pp.errAt(stmts, "Statement must be an object or an array of objects, not %s", stmts.kind)
	}
	if len(list) == 0 {
		return nil, pp.errAt(stmts, "Statement must not be empty")
	}
	sids := map[string]int{}
	for i, n := range list {
		pp.stmt = i
		st, err := pp.statement(n)
		if err != nil {
			return nil, err
		}
		st.Index = i
		if st.Sid != "" {
			if prev, ok := sids[st.Sid]; ok {
				pp.warn("Sid %q is already used by statement %d; AWS rejects duplicate Sids", st.Sid, prev+1)
			} else {
				sids[st.Sid] = i
			}
		}
		pol.Statements = append(pol.Statements, st)
	}
	pp.stmt = -1
	return pol, nil
}

func (pp *policyParser) statement(n *jnode) (Statement, error) {
	var st Statement
	if n.kind != jObject {
		return st, pp.errAt(n, "must be an object, not %s", n.kind)
	}
	st.Start, st.End = pp.li.pos(n.start), pp.li.pos(n.end)
	var err error
	seen := map[string]bool{}
	for _, m := range n.members {
		seen[m.key] = true
		switch m.key {
		case "Sid":
			if m.val.kind != jString {
				return st, pp.errAt(m.val, "Sid must be a string")
			}
			st.Sid = m.val.str
		case "Effect":
			if m.val.kind != jString || (m.val.str != "Allow" && m.val.str != "Deny") {
				return st, pp.errAt(m.val, "Effect must be Allow or Deny")
			}
			st.Effect = m.val.str
		case "Action":
			st.Action, err = pp.actions(m.key, m.val)
		case "NotAction":
			st.NotAction, err = pp.actions(m.key, m.val)
		case "Resource":
			st.Resource, err = pp.resources(m.key, m.val)
		case "NotResource":
			st.NotResource, err = pp.resources(m.key, m.val)
		case "Principal":
			st.Principal, err = pp.principal(m.key, m.val)
		case "NotPrincipal":
			st.NotPrincipal, err = pp.principal(m.key, m.val)
		case "Condition":
			st.Conditions, err = pp.conditions(m.val)
		default:
			pp.warn("unknown element %q is ignored", m.key)
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case st.Effect == "":
		return st, pp.errAt(n, "Effect is missing (must be Allow or Deny)")
	case seen["Action"] && seen["NotAction"]:
		return st, pp.errAt(n, "Action and NotAction cannot both be present")
	case !seen["Action"] && !seen["NotAction"]:
		return st, pp.errAt(n, "Action or NotAction is required")
	case seen["Resource"] && seen["NotResource"]:
		return st, pp.errAt(n, "Resource and NotResource cannot both be present")
	case seen["Principal"] && seen["NotPrincipal"]:
		return st, pp.errAt(n, "Principal and NotPrincipal cannot both be present")
	}
	if !seen["Resource"] && !seen["NotResource"] {
		// Trust and some resource-based policies omit Resource (the resource
		// is the policy's owner), so it is not an error; identity policies
		// need it, which the doctor should hear about.
		pp.warn("no Resource or NotResource: the statement applies to every resource (identity policies require one)")
	}
	return st, nil
}

// strings reads an element that may be a string or an array of strings.
func (pp *policyParser) stringList(name string, n *jnode) ([]string, error) {
	switch n.kind {
	case jString:
		return []string{n.str}, nil
	case jArray:
		if len(n.elems) == 0 {
			return nil, pp.errAt(n, "%s must not be an empty array", name)
		}
		out := make([]string, 0, len(n.elems))
		for _, e := range n.elems {
			if e.kind != jString {
				return nil, pp.errAt(e, "%s entries must be strings, not %s", name, e.kind)
			}
			out = append(out, e.str)
		}
		return out, nil
	default:
		return nil, pp.errAt(n, "%s must be a string or an array of strings, not %s", name, n.kind)
	}
}

func (pp *policyParser) actions(name string, n *jnode) ([]string, error) {
	list, err := pp.stringList(name, n)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if a == "*" {
			continue
		}
		svc, op, ok := strings.Cut(a, ":")
		if !ok || svc == "" || op == "" {
			return nil, pp.errAt(n, "%s %q must be \"*\" or service:action, e.g. ssm:StartSession", name, a)
		}
	}
	return list, nil
}

func (pp *policyParser) resources(name string, n *jnode) ([]string, error) {
	list, err := pp.stringList(name, n)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		if r == "" {
			return nil, pp.errAt(n, "%s entries must not be empty", name)
		}
		if r != "*" && !strings.HasPrefix(r, "arn:") && !strings.HasPrefix(r, "${") {
			// The reference SSH policy ships "key-name"; AWS refuses such a
			// document with MalformedPolicyDocument, but a warning lets the
			// doctor explain instead of failing.
			pp.warn("%s %q is neither \"*\" nor an ARN; AWS rejects such documents", name, r)
		}
	}
	return list, nil
}

func (pp *policyParser) principal(name string, n *jnode) (map[string][]string, error) {
	switch n.kind {
	case jString:
		if n.str != "*" {
			return nil, pp.errAt(n, "%s must be \"*\" or an object such as {\"AWS\": \"arn:...\"}", name)
		}
		return map[string][]string{"*": {"*"}}, nil
	case jObject:
		out := make(map[string][]string, len(n.members))
		for _, m := range n.members {
			vals, err := pp.stringList(name+" "+m.key, m.val)
			if err != nil {
				return nil, err
			}
			out[m.key] = vals
		}
		return out, nil
	default:
		return nil, pp.errAt(n, "%s must be \"*\" or an object, not %s", name, n.kind)
	}
}

func (pp *policyParser) conditions(n *jnode) ([]Condition, error) {
	if n.kind != jObject {
		return nil, pp.errAt(n, "Condition must be an object, not %s", n.kind)
	}
	var out []Condition
	for _, opm := range n.members {
		if opm.val.kind != jObject {
			return nil, pp.errAt(opm.val, "Condition operator %s must map to an object of keys, not %s", opm.key, opm.val.kind)
		}
		op, known := parseOperator(opm.key)
		if !known {
			pp.warn("unknown condition operator %q: the statement never matches", opm.key)
		}
		for _, km := range opm.val.members {
			if km.key == "" {
				return nil, pp.errAt(opm.val, "Condition %s has an empty key", opm.key)
			}
			vals, err := pp.conditionValues(opm.key, km.key, km.val)
			if err != nil {
				return nil, err
			}
			if len(vals) == 0 {
				pp.warn("condition %s %s has no values and never matches", opm.key, km.key)
			}
			if known {
				for _, v := range vals {
					if msg := op.checkValue(v); msg != "" {
						pp.warn("condition %s %s: value %q %s", opm.key, km.key, v, msg)
					}
				}
			}
			out = append(out, Condition{Operator: opm.key, Key: km.key, Values: vals})
		}
	}
	return out, nil
}

func (pp *policyParser) conditionValues(op, key string, n *jnode) ([]string, error) {
	scalar := func(e *jnode) (string, error) {
		switch e.kind {
		case jString, jNumber, jBool:
			return e.str, nil
		default:
			return "", pp.errAt(e, "condition %s %s: values must be strings, numbers or booleans, not %s", op, key, e.kind)
		}
	}
	if n.kind == jArray {
		out := make([]string, 0, len(n.elems))
		for _, e := range n.elems {
			v, err := scalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalar(n)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}
