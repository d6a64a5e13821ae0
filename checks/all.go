package checks

// All returns a fresh, ordered list of every check: local first, then the
// caller, instance and session checks, and last the --probe that opens a
// real session once everything before it could be looked at. A new slice
// each call, so callers may filter it freely and no registry survives
// between runs.
func All() []Check {
	list := append(localChecks(), awsChecks()...)
	return append(list, sessionProbeCheck())
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
