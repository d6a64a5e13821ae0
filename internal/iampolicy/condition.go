package iampolicy

import (
	"bytes"
	"strings"
)

// evalCondition decides one condition. vars enables policy variables in
// string and ARN values; onMissing hears variable keys without a value.
func evalCondition(c Condition, ctx Context, vars bool, onMissing func(string)) bool {
	op, ok := parseOperator(c.Operator)
	if !ok {
		return false
	}
	req, present := ctx.Get(c.Key)
	if op.family == famNull {
		// Null: "true" asks for the key to be absent, "false" present.
		for _, v := range c.Values {
			if b, ok := parseBool(v); ok && b != present {
				return true
			}
		}
		return false
	}
	if !present {
		if onMissing != nil {
			// Variables in the values are needed too once the key is given.
			resolveValues(op, c.Values, ctx, vars, onMissing)
		}
		switch {
		case op.ifExists:
			return true
		case op.set == setAllValues:
			return true // vacuously: every one of no values matches
		case op.set == setAnyValue:
			return false
		default:
			// AWS: a negated operator on a missing key is true, since the
			// missing value equals none of the policy values.
			return op.negated
		}
	}
	pvals := resolveValues(op, c.Values, ctx, vars, onMissing)
	test := func(r string) bool { return op.matchAny(r, pvals) != op.negated }
	switch op.set {
	case setAllValues:
		return all(req, test)
	case setAnyValue:
		return anyOf(req, test)
	default:
		// Without a set operator a positive operator needs one request value
		// to match; a negated one needs none to match.
		if op.negated {
			return all(req, test)
		}
		return anyOf(req, test)
	}
}

func all(vals []string, f func(string) bool) bool {
	for _, v := range vals {
		if !f(v) {
			return false
		}
	}
	return true
}

func anyOf(vals []string, f func(string) bool) bool {
	for _, v := range vals {
		if f(v) {
			return true
		}
	}
	return false
}

// resolveValues substitutes policy variables where AWS allows them (string
// and ARN operators). Values whose variables have no value are dropped:
// they match nothing.
func resolveValues(op operator, vals []string, ctx Context, vars bool, onMissing func(string)) []string {
	var glob bool
	switch op.family {
	case famString, famStringIgnoreCase:
	case famStringLike, famArn:
		glob = true
	default:
		return vals
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if r, ok := expand(v, ctx, vars, glob, onMissing); ok {
			out = append(out, r)
		}
	}
	return out
}

// matchAny reports whether request value r matches one of the policy values
// under the operator's positive form.
func (op operator) matchAny(r string, pvals []string) bool {
	for _, p := range pvals {
		if op.match(r, p) {
			return true
		}
	}
	return false
}

func (op operator) match(r, p string) bool {
	switch op.family {
	case famString:
		return r == p
	case famStringIgnoreCase:
		return strings.EqualFold(r, p)
	case famStringLike:
		return glob(p, r, false)
	case famArn:
		return arnMatch(p, r)
	case famNumeric:
		a, ok1 := parseNumber(r)
		b, ok2 := parseNumber(p)
		return ok1 && ok2 && compare(op.cmp, cmpFloat(a, b))
	case famDate:
		a, ok1 := parseDate(r)
		b, ok2 := parseDate(p)
		return ok1 && ok2 && compare(op.cmp, a.Compare(b))
	case famBool:
		a, ok1 := parseBool(r)
		b, ok2 := parseBool(p)
		return ok1 && ok2 && a == b
	case famBinary:
		a, ok1 := decodeBase64(r)
		b, ok2 := decodeBase64(p)
		if ok1 && ok2 {
			return bytes.Equal(a, b)
		}
		return r == p
	case famIP:
		pfx, ok1 := parseCIDR(p)
		addr, ok2 := parseRequestIP(r)
		return ok1 && ok2 && pfx.Contains(addr)
	}
	return false
}
