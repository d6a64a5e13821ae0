package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

func values(cs []candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.value)
	}
	return out
}

func TestCompleteWords(t *testing.T) {
	var d deps
	app := newApp(&d)
	comp := completer{app: app, targets: func(profile, region string) []candidate {
		if profile == "other" {
			return []candidate{{"i-0ffffffffffffffff", ""}}
		}
		return []candidate{{"web-1", "i-0123456789abcdef0"}, {"web-2", "i-0123456789abcdef1"},
			{"i-0123456789abcdef0", "web-1"}, {"i-0123456789abcdef1", "web-2"}}
	}}
	cases := []struct {
		words []string
		cur   string
		want  []string
	}{
		{nil, "ch", []string{"check"}},
		{nil, "w", []string{"wait"}},
		{nil, "v", []string{"version"}},
		{nil, "co", []string{"completion"}},
		{nil, "__", nil}, // the protocol command stays hidden
		{nil, "--reg", []string{"--region"}},
		{[]string{"--profile", "prod"}, "ch", []string{"check"}},
		{[]string{"check"}, "--form", []string{"--format"}},
		{[]string{"wait"}, "--fo", []string{"--for", "--format"}},
		{[]string{"wait", "--for"}, "", []string{"running", "online", "ssh"}},
		{[]string{"wait"}, "--for=o", []string{"--for=online"}},
		{[]string{"check"}, "--format=j", []string{"--format=json", "--format=junit"}},
		{[]string{"check", "--format"}, "m", []string{"markdown"}},
		{[]string{"fix", "--via"}, "", []string{"native", "aws-cli"}},
		{[]string{"fix", "--start"}, "web", []string{"web-1", "web-2"}},
		{[]string{"check", "--output"}, "", nil}, // a file: the shell completes it
		{[]string{"check"}, "web-", []string{"web-1", "web-2"}},
		{[]string{"wait", "web-1"}, "i-0123456789abcdef1", []string{"i-0123456789abcdef1"}},
		{[]string{"--profile", "other", "check"}, "i-", []string{"i-0ffffffffffffffff"}},
		{[]string{"check", "--profile=other"}, "i-", []string{"i-0ffffffffffffffff"}},
		{[]string{"ssh"}, "ec2-user@web-2", []string{"ec2-user@web-2"}},
		{[]string{"ssh"}, "--eph", []string{"--ephemeral-key"}},
		{[]string{"scp"}, "--pro", []string{"--profile"}},
		{[]string{"completion"}, "", []string{"bash", "zsh", "fish", "powershell"}},
		{[]string{"completion", "bash"}, "", nil},
		{[]string{"nonsense"}, "", nil},
		{[]string{"demo"}, "--fo", []string{"--format"}},
	}
	for _, c := range cases {
		if got := values(comp.complete(c.words, c.cur)); !slices.Equal(got, c.want) {
			t.Errorf("complete(%q, %q) = %q, want %q", c.words, c.cur, got, c.want)
		}
	}
}

func TestCompletionCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}, {"completion", "__complete", "check"}} {
		r := runInProcess(t, args...)
		if r.code != exitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: completion: ") || !strings.Contains(r.stderr, "\nhint: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	for _, sh := range completionShells {
		r := runInProcess(t, "completion", sh)
		if r.code != exitOK || r.stdout != completionScripts[sh] || !strings.Contains(r.stdout, "ssmdoctor completion __complete") {
			t.Errorf("completion %s: exit %d, stderr %q", sh, r.code, r.stderr)
		}
	}
}

// Instance names and ids come from AWS once, then from the cache for
// completionTTL, and a Name tag a shell would misread is never offered.
func TestCompletionTargetsFromACache(t *testing.T) {
	sim := demoInProcess(t, awssim.DemoAccessKey, func(st *awssim.State) {
		st.Instances["i-0bad0000000000002"].Tags = []awssim.Tag{{Key: "Name", Value: "x;touch pwned"}}
	})
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)

	r := runInProcess(t, "completion", "__complete", "check", "=demo-h")
	if r.code != exitOK || r.stdout != "demo-healthy\ti-0a11600d000000001\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runInProcess(t, "completion", "__complete", "ssh", "=ubuntu@i-0ff")
	if r.stdout != "ubuntu@i-0ff00000000000008\tdemo-stopped\n" {
		t.Fatalf("ssh user@: stdout %q", r.stdout)
	}
	r = runInProcess(t, "completion", "__complete", "check", "=")
	if strings.Contains(r.stdout, "pwned") || !strings.Contains(r.stdout, "i-0bad0000000000002\t\n") {
		t.Fatalf("the hostile Name tag was offered, or its instance's id was not:\n%s", r.stdout)
	}
	path := filepath.Join(cache, "ssmdoctor", "completion.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), awssim.DemoAccessKey) || strings.Contains(string(b), "secret") {
		t.Fatalf("the cache holds credentials: %s", b)
	}
	// The simulator is gone: the cache still answers.
	sim.Close()
	start := time.Now()
	r = runInProcess(t, "completion", "__complete", "wait", "=demo-sto")
	if r.stdout != "demo-stopped\ti-0ff00000000000008\n" || time.Since(start) > time.Second {
		t.Fatalf("from the cache: stdout %q after %s", r.stdout, time.Since(start))
	}
	// Another region is another list: AWS is asked, does not answer, and
	// nothing is offered, within the refresh bound.
	start = time.Now()
	r = runInProcess(t, "completion", "__complete", "check", "--region", "eu-west-1", "=demo")
	if r.code != exitOK || r.stdout != "" || time.Since(start) > completionRefresh+2*time.Second {
		t.Fatalf("unreachable AWS: exit %d, stdout %q, after %s", r.code, r.stdout, time.Since(start))
	}
}

// shellEnv runs a shell with the built binary first on PATH and no user
// configuration.
func shellEnv(t *testing.T) []string {
	t.Helper()
	if ssmdoctorBin == "" {
		t.Fatal("the ssmdoctor binary could not be built (see TestMain output)")
	}
	home := t.TempDir()
	binDir := filepath.Dir(ssmdoctorBin)
	if runtime.GOOS == "windows" {
		// TestMain's binary has no .exe: Windows shells need one.
		binDir = t.TempDir()
		b, err := os.ReadFile(ssmdoctorBin)
		if err != nil || os.WriteFile(filepath.Join(binDir, "ssmdoctor.exe"), b, 0o755) != nil {
			t.Fatalf("copy the binary: %v", err)
		}
	}
	env := []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"AWS_EC2_METADATA_DISABLED=true", "TERM=dumb"}
	return env
}

func needShell(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (.ci/run installs it)", name)
		}
		t.Skipf("%s is not installed: its completion script is not tried", name)
	}
	return p
}

func runCompletionShell(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(name), err, out)
	}
	return string(out)
}

// The tests below load each script in its real shell and call the
// completion the way the shell would on TAB: ssmdoctor ch<TAB> gives check.

func TestCompletionBash(t *testing.T) {
	bash := needShell(t, "bash")
	script := `set -e
source <(ssmdoctor completion bash)
complete -p ssmdoctor
try() { # LINE WORDS...: what TAB at the end of LINE offers
    COMP_LINE=$1; COMP_POINT=${#COMP_LINE}; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    _ssmdoctor_complete
    echo "[${COMPREPLY[*]}]"
}
try "ssmdoctor ch" ssmdoctor ch
try "ssmdoctor wait --for " ssmdoctor wait --for ""
try "ssmdoctor check --format=j" ssmdoctor check --format = j
try "ssmdoctor check --output " ssmdoctor check --output ""
`
	out := runCompletionShell(t, shellEnv(t), bash, "--norc", "--noprofile", "-c", script)
	want := "complete -o default -F _ssmdoctor_complete ssmdoctor\n[check]\n[running online ssh]\n[json junit]\n[]\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestCompletionZsh(t *testing.T) {
	zsh := needShell(t, "zsh")
	// compinit registers the function; _describe and _files only work
	// inside a completion widget, so they are replaced by printers and the
	// function is called as the widget would call it.
	script := `autoload -U compinit && compinit -u -d "$HOME/.zcompdump" || exit 1
source <(ssmdoctor completion zsh) || exit 1
print -r -- "registered: $_comps[ssmdoctor]"
_describe() { print -rl -- "${(@P)${@[-1]}}" }
_files() { print -r -- "(files)" }
words=(ssmdoctor ch); CURRENT=2; _ssmdoctor
words=(ssmdoctor wait --for ''); CURRENT=4; _ssmdoctor
words=(ssmdoctor check --output ''); CURRENT=4; _ssmdoctor
`
	out := runCompletionShell(t, shellEnv(t), zsh, "-f", "-c", script)
	want := "registered: _ssmdoctor\ncheck:diagnose every layer between you and an instance's sshd\nrunning:\nonline:\nssh:\n(files)\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestCompletionFish(t *testing.T) {
	fish := needShell(t, "fish")
	script := `ssmdoctor completion fish | source
complete -C"ssmdoctor ch"
complete -C"ssmdoctor wait --for "
complete -C"ssmdoctor check --format=j"
`
	out := runCompletionShell(t, shellEnv(t), fish, "--no-config", "-c", script)
	want := "check\tdiagnose every layer between you and an instance's sshd\nonline\nrunning\nssh\n--format=json\n--format=junit\n"
	if out != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
}

// PowerShell is not packaged for Debian: this runs where pwsh is (the
// Windows CI job).
func TestCompletionPowerShell(t *testing.T) {
	pwsh, err := exec.LookPath("pwsh")
	if err != nil {
		t.Skip("pwsh is not installed (not packaged for Debian): the PowerShell script is tried on the Windows CI job")
	}
	env := append(os.Environ(), shellEnv(t)...) // Windows needs SystemRoot and friends; the last PATH wins
	script := `ssmdoctor completion powershell | Out-String | Invoke-Expression
(TabExpansion2 -inputScript 'ssmdoctor ch' -cursorColumn 12).CompletionMatches | ForEach-Object { $_.CompletionText }
(TabExpansion2 -inputScript 'ssmdoctor wait --for ' -cursorColumn 20).CompletionMatches | ForEach-Object { $_.CompletionText }
`
	out := strings.ReplaceAll(runCompletionShell(t, env, pwsh, "-NoProfile", "-NonInteractive", "-Command", script), "\r\n", "\n")
	if want := "check\nrunning\nonline\nssh\n"; out != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
}
