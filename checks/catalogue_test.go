package checks

import (
	"os"
	"strings"
	"testing"
)

// Every check's code is in the file named after its ID (ssh-config in
// ssh_config.go), and the catalogue lists each ID once, after its
// prerequisites.
func TestCatalogueFilesFollowIDs(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range catalogue() {
		if seen[c.ID()] {
			t.Errorf("%s listed twice", c.ID())
		}
		for _, d := range c.DependsOn() {
			if !seen[d] {
				t.Errorf("%s depends on %s, which is not listed before it", c.ID(), d)
			}
		}
		seen[c.ID()] = true
		file := strings.ReplaceAll(c.ID(), "-", "_") + ".go"
		b, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("check %s: no file %s", c.ID(), file)
			continue
		}
		if !strings.Contains(string(b), `New("`+c.ID()+`"`) {
			t.Errorf("check %s is not made in %s", c.ID(), file)
		}
	}
	if len(seen) != 28 {
		t.Errorf("%d checks, the README lists 28", len(seen))
	}
}
