package fix

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigSSHConfig is about size bytes of ordinary Host blocks.
func bigSSHConfig(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "Host web-%d\n    HostName 10.%d.%d.%d\n    User deploy\n    IdentityFile ~/.ssh/id_ed25519\n\n", i, i>>16&255, i>>8&255, i&255)
	}
	return b.String()
}

// BenchmarkSSHConfigDryRun20MB is `fix --ssh-config --dry-run` on a 20 MB
// ~/.ssh/config: plan (read, explain) and show (the diff).
func BenchmarkSSHConfigDryRun20MB(b *testing.B) {
	home := b.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(bigSSHConfig(20<<20)), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := PlanSSHConfig(SSHConfigOptions{Home: home, Executable: testExe})
		if err != nil {
			b.Fatal(err)
		}
		p.Show(io.Discard)
	}
}

// BenchmarkUnifiedDiff20MB is the diff alone: the Include added at the top
// of a 20 MB file, with the diff as it was (before) and as it is (after).
func BenchmarkUnifiedDiff20MB(b *testing.B) {
	old := []byte(bigSSHConfig(20 << 20))
	nw := append([]byte("# added\nInclude ssmdoctor.conf\n\n"), old...)
	for _, c := range []struct {
		name string
		diff func(string, string, []byte, []byte, bool) string
	}{{"before", beforeUnifiedDiff}, {"after", UnifiedDiff}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.diff("config", "config", old, nw, true)
			}
		})
	}
}
