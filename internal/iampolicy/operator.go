package iampolicy

import "strings"

// Condition operator names, parsed once per use into their parts.

type opFamily int

const (
	famString opFamily = iota + 1
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

type opCmp int

const (
	cmpEq opCmp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type setMode int

const (
	setNone setMode = iota
	setAnyValue
	setAllValues
)

// operator is a parsed condition operator name.
type operator struct {
	family   opFamily
	cmp      opCmp
	negated  bool // the Not... forms: true when no request value matches
	ifExists bool
	set      setMode
}

type baseOp struct {
	name string
	op   operator
}

// baseOps lists the operators without set prefix or IfExists suffix.
var baseOps = []baseOp{
	{"StringEquals", operator{family: famString}},
	{"StringNotEquals", operator{family: famString, negated: true}},
	{"StringEqualsIgnoreCase", operator{family: famStringIgnoreCase}},
	{"StringNotEqualsIgnoreCase", operator{family: famStringIgnoreCase, negated: true}},
	{"StringLike", operator{family: famStringLike}},
	{"StringNotLike", operator{family: famStringLike, negated: true}},
	{"NumericEquals", operator{family: famNumeric}},
	{"NumericNotEquals", operator{family: famNumeric, negated: true}},
	{"NumericLessThan", operator{family: famNumeric, cmp: cmpLt}},
	{"NumericLessThanEquals", operator{family: famNumeric, cmp: cmpLe}},
	{"NumericGreaterThan", operator{family: famNumeric, cmp: cmpGt}},
	{"NumericGreaterThanEquals", operator{family: famNumeric, cmp: cmpGe}},
	{"DateEquals", operator{family: famDate}},
	{"DateNotEquals", operator{family: famDate, negated: true}},
	{"DateLessThan", operator{family: famDate, cmp: cmpLt}},
	{"DateLessThanEquals", operator{family: famDate, cmp: cmpLe}},
	{"DateGreaterThan", operator{family: famDate, cmp: cmpGt}},
	{"DateGreaterThanEquals", operator{family: famDate, cmp: cmpGe}},
	{"Bool", operator{family: famBool}},
	{"BinaryEquals", operator{family: famBinary}},
	{"IpAddress", operator{family: famIP}},
	{"NotIpAddress", operator{family: famIP, negated: true}},
	{"ArnEquals", operator{family: famArn}},
	{"ArnLike", operator{family: famArn}},
	{"ArnNotEquals", operator{family: famArn, negated: true}},
	{"ArnNotLike", operator{family: famArn, negated: true}},
	{"Null", operator{family: famNull}},
}

// parseOperator understands names such as "ForAllValues:StringLikeIfExists".
// Names are matched case-insensitively: being lenient here keeps a Deny
// statement written as "stringEquals" effective rather than silently inert.
func parseOperator(name string) (operator, bool) {
	var set setMode
	if p, rest, ok := strings.Cut(name, ":"); ok {
		switch {
		case strings.EqualFold(p, "ForAnyValue"):
			set = setAnyValue
		case strings.EqualFold(p, "ForAllValues"):
			set = setAllValues
		default:
			return operator{}, false
		}
		name = rest
	}
	ifExists := false
	if n := len(name) - len("IfExists"); n > 0 && strings.EqualFold(name[n:], "IfExists") {
		ifExists = true
		name = name[:n]
	}
	for _, b := range baseOps {
		if strings.EqualFold(b.name, name) {
			op := b.op
			if op.family == famNull && (ifExists || set != setNone) {
				return operator{}, false // AWS has no NullIfExists nor set forms of Null
			}
			op.ifExists, op.set = ifExists, set
			return op, true
		}
	}
	return operator{}, false
}

// checkValue explains why a policy value can never match, for Parse
// warnings; "" when it is fine.
func (op operator) checkValue(v string) string {
	switch op.family {
	case famNumeric:
		if _, ok := parseNumber(v); !ok {
			return "is not a number"
		}
	case famDate:
		if _, ok := parseDate(v); !ok {
			return "is not an ISO 8601 date or epoch seconds"
		}
	case famBool, famNull:
		if _, ok := parseBool(v); !ok {
			return "is not true or false"
		}
	case famIP:
		if _, ok := parseCIDR(v); !ok {
			return "is not an IP address or CIDR block"
		}
	case famBinary:
		if _, ok := decodeBase64(v); !ok {
			return "is not base64"
		}
	}
	return ""
}
