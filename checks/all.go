package checks

import "slices"

// All returns a fresh, ordered list of every check: local first, then the
// caller, instance and session checks, and last the --probe that opens a
// real session once everything before it could be looked at. A new slice
// each call, so callers may filter it freely and no registry survives
// between runs.
func All() []Check { return catalogue() }

// ForTarget keeps the checks that make sense for env: without a target only
// the local and caller layers run.
func ForTarget(list []Check, hasTarget bool) []Check {
	if hasTarget {
		return list
	}
	var out []Check
	for _, c := range list {
		if c.Layer() == LayerLocal || c.Layer() == LayerCaller {
			out = append(out, c)
		}
	}
	return out
}

// Select returns the checks of list named by ids together with every
// check they depend on, directly or not, in list order (the order Run
// needs). Unknown ids select nothing.
func Select(list []Check, ids ...string) []Check {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	// Prerequisites come earlier in the list, so one pass from the end
	// collects them all.
	var keep []Check
	for i := len(list) - 1; i >= 0; i-- {
		if c := list[i]; want[c.ID()] {
			for _, d := range c.DependsOn() {
				want[d] = true
			}
			keep = append(keep, c)
		}
	}
	slices.Reverse(keep)
	return keep
}
