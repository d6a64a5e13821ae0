package awssim

import (
	"fmt"
	"testing"
)

// knownSimGaps are simulator mismatches the cross-checks found and
// reported but that live in files this area does not own. A mismatch
// listed here is logged, not failed, so the tree stays green while the
// owner fixes it; delete the entry with the fix so that it fails again.
var knownSimGaps = map[string]string{}

// The gaps found earlier and fixed since, kept for the record (the map is
// not read): they are not in knownSimGaps, so they fail again if they come
// back.
var _ = map[string]string{
	// AWS (EvaluationResult docs): "The top-level EvalDecision reflects
	// the most restrictive decision across all resources". iam_simulate.go
	// aggregates "explicit deny anywhere, else any allow", so one allowed
	// resource hides an implicitDeny on another (user bob of the demo:
	// instance allowed, AWS-StartSSHSession document implicitDeny, top
	// level "allowed"). Fix: allowed only when every resource is allowed.
	"simulate-aggregate": "SimulatePrincipalPolicy aggregate decision over several ResourceArns",
	// CreateRole's Description is dropped: State's Role has no
	// Description, so CreateRole, GetRole and GetInstanceProfile's roles
	// come back without it (AWS echoes it). Fix: a Description field on
	// Role (state.go), set by iamCreateRole and written in the role XML.
	"role-description": "IAM role Description not kept",
}

// knownSimGap reports a mismatch: logged when it is a listed gap, an error
// otherwise.
func knownSimGap(t *testing.T, gap, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if what, ok := knownSimGaps[gap]; ok {
		t.Logf("KNOWN SIMULATOR GAP (%s): %s", what, msg)
		return
	}
	t.Errorf("%s", msg)
}
