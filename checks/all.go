package checks

// All returns a fresh, ordered list of every check: local first, then the
// caller, instance and session checks. A new slice each call, so callers may
// filter it freely and no registry survives between runs.
func All() []Check {
	list := localChecks()
	return append(list, awsChecks()...)
}

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
