package onetimekey

import (
	"regexp"
	"testing"
)

func TestPipeNameIsFreshAndUnguessable(t *testing.T) {
	re := regexp.MustCompile(`^\\\\\.\\pipe\\ssmdoctor-agent-[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for range 100 {
		n, err := pipeName()
		if err != nil || !re.MatchString(n) || seen[n] {
			t.Fatalf("pipe name %q (%v), seen before: %v", n, err, seen[n])
		}
		seen[n] = true
	}
}

// Only the current user may open the agent's pipe.
func TestPipeSDDLAdmitsTheUserAlone(t *testing.T) {
	sid := "S-1-5-21-3623811015-3361044348-30300820-1013"
	if got, want := pipeSDDL(sid), "O:"+sid+"D:P(A;;GA;;;"+sid+")"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	for _, bad := range []string{"", "WD", "S-1-1-0)(A;;GA;;;WD", "S-1-5-21-1;(A;;GA;;;WD)"} {
		if got := pipeSDDL(bad); got != "D:P" {
			t.Errorf("pipeSDDL(%q) = %s: an odd SID must admit nobody", bad, got)
		}
	}
}
