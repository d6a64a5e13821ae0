package awssim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The moto cross-check compares SDK outputs as generic JSON trees: both
// implementations are read through the same Go SDK types, so any field
// that decodes differently shows up as a path in the diff.

// idMap renames one side's generated identifiers (role ids, association
// ids, ...) to symbolic names, so that two implementations that each
// invent their own ids can be compared.
type idMap map[string]string

func (m idMap) add(real, symbol string) {
	if real != "" {
		m[real] = "<" + symbol + ">"
	}
}

func (m idMap) apply(s string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Longest first, so an id that contains another is replaced whole.
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, m[k])
	}
	return s
}

// real returns the identifier that was renamed to symbol ("<assoc-id>").
func (m idMap) real(symbol string) string {
	for k, v := range m {
		if v == symbol {
			return k
		}
	}
	return ""
}

// exclusion drops a path from a comparison, with why. Paths are dotted,
// "*" matches any key or list index.
type exclusion struct{ path, why string }

// tree turns an SDK output into a normalised JSON tree: ids renamed,
// ResultMetadata dropped.
func tree(t *testing.T, v any, ids idMap) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	var out any
	if err := json.Unmarshal([]byte(ids.apply(string(b))), &out); err != nil {
		t.Fatalf("unmarshal %T: %v", v, err)
	}
	if m, ok := out.(map[string]any); ok {
		delete(m, "ResultMetadata")
	}
	return out
}

// drop removes every node at path from tr.
func drop(tr any, path []string) {
	if len(path) == 0 {
		return
	}
	switch n := tr.(type) {
	case map[string]any:
		for k, v := range n {
			if path[0] == "*" || path[0] == k {
				if len(path) == 1 {
					delete(n, k)
				} else {
					drop(v, path[1:])
				}
			}
		}
	case []any:
		for i, v := range n {
			if path[0] == "*" || path[0] == fmt.Sprint(i) {
				if len(path) == 1 {
					n[i] = nil
				} else {
					drop(v, path[1:])
				}
			}
		}
	}
}

// empty treats absent, null, "", [] and {} alike: the query protocols omit
// empty members where JSON writes them, and the SDK keeps the difference.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		// A structure whose members are all empty, e.g. moto's
		// RoleLastUsed with neither date nor region.
		for _, v := range x {
			if !empty(v) {
				return false
			}
		}
		return true
	}
	return false
}

// diff lists the paths where a (moto) and b (simulator) differ.
func diff(path string, a, b any, out *[]string) {
	if empty(a) && empty(b) {
		return
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		var ks []string
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			diff(path+"."+k, x[k], y[k], out)
		}
		return
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			break
		}
		for i := range x {
			diff(fmt.Sprintf("%s.%d", path, i), x[i], y[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: moto %s, simulator %s", strings.TrimPrefix(path, "."), short(a), short(b)))
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// compareTrees reports every difference between the two normalised
// outputs outside the exclusions. Differences that motoGapFor maps to an
// entry of knownSimGaps are logged, not failed (conformance_gaps_test.go).
func compareTrees(t *testing.T, op string, motoOut, simOut any, ex ...exclusion) {
	t.Helper()
	for _, e := range ex {
		p := strings.Split(e.path, ".")
		drop(motoOut, p)
		drop(simOut, p)
	}
	var d []string
	diff("", motoOut, simOut, &d)
	for _, line := range d {
		if gap := motoGapFor(op, line); gap != "" {
			knownSimGap(t, gap, "%s: %s", op, line)
			continue
		}
		t.Errorf("%s: %s", op, line)
	}
}

// policyDoc decodes a policy document as either implementation sends it:
// URL-encoded (AWS, and the simulator) or plain JSON (moto in places).
func policyDoc(t *testing.T, doc string) map[string]any {
	t.Helper()
	if strings.HasPrefix(doc, "%") {
		d, err := url.QueryUnescape(doc)
		if err != nil {
			t.Fatalf("unescape policy document %q: %v", doc, err)
		}
		doc = d
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("parse policy document %q: %v", doc, err)
	}
	return m
}

// policyActions is the set of actions a document's Allow statements grant.
func policyActions(doc map[string]any) []string {
	set := map[string]bool{}
	stmts, _ := doc["Statement"].([]any)
	if s, ok := doc["Statement"].(map[string]any); ok {
		stmts = []any{s}
	}
	for _, s := range stmts {
		st, _ := s.(map[string]any)
		if st["Effect"] != "Allow" {
			continue
		}
		switch a := st["Action"].(type) {
		case string:
			set[a] = true
		case []any:
			for _, x := range a {
				set[fmt.Sprint(x)] = true
			}
		}
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
