package fixrun

import (
	"testing"

	"github.com/ssmdoctor/ssmdoctor/checks"
)

// verify runs only the checks a fix answers and their prerequisites: every
// check it names is kept, and so is every prerequisite of a kept check.
func TestFixVerifyRunsChecksWithPrerequisites(t *testing.T) {
	all := checks.ForTarget(checks.All(), true)
	for _, row := range Selectors {
		sel, ids := row.ID, row.Answers
		list := withPrerequisites(all, ids)
		kept := map[string]bool{}
		for _, c := range list {
			for _, d := range c.DependsOn() {
				if !kept[d] {
					t.Errorf("%s: %s kept without (or before) its prerequisite %s", sel, c.ID(), d)
				}
			}
			kept[c.ID()] = true
		}
		for _, id := range ids {
			if !kept[id] {
				t.Errorf("%s: %s not kept", sel, id)
			}
		}
		if len(list) >= len(all) {
			t.Errorf("%s: kept all %d checks", sel, len(all))
		}
	}
}
