package iampolicy

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

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

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}

func compare(c opCmp, sign int) bool {
	switch c {
	case cmpLt:
		return sign < 0
	case cmpLe:
		return sign <= 0
	case cmpGt:
		return sign > 0
	case cmpGe:
		return sign >= 0
	default:
		return sign == 0
	}
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// dateLayouts are the ISO 8601 forms AWS documents and tools emit.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z0700",
	"20060102T150405Z07:00",
	"20060102T150405",
	"20060102",
}

// parseDate accepts ISO 8601 (UTC unless an offset is given) and epoch
// seconds, possibly fractional.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if isEpoch(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isEpoch tells epoch seconds from basic-format dates such as 20240102,
// which are also all digits: an epoch value is anything numeric that is not
// exactly eight digits.
func isEpoch(s string) bool {
	if s == "" {
		return false
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' && i == 0:
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && !(digits == 8 && len(s) == 8)
}

func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return normalizePrefix(p), true
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// normalizePrefix masks host bits and turns IPv4-mapped IPv6 prefixes into
// IPv4 ones so that they compare with unmapped request addresses.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr()
	if a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

func parseRequestIP(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		p, perr := netip.ParsePrefix(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = p.Addr()
	}
	return a.WithZone("").Unmap(), true
}

func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
