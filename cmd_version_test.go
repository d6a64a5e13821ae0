package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveBuild(t *testing.T) {
	plat := runtime.GOOS + "/" + runtime.GOARCH
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	cases := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  buildInfo
	}{
		{"stamped by the release build", "v1.4.0", "0123456789abcdef0123456789abcdef01234567", "2026-03-04T05:06:07Z",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", "ffff")},
			buildInfo{Version: "1.4.0", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-03-04T05:06:07Z", DateKind: "built", Go: "go1.26.8", Platform: plat}},
		{"go install module@v1.2.3", "", "", "",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			buildInfo{Version: "1.2.3", Go: "go1.26.8", Platform: plat}},
		{"go install module@commit (a pseudo-version)", "", "", "",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261201093000-abcdef012345"}},
			buildInfo{Version: "0.0.0-20261201093000-abcdef012345", Commit: "abcdef012345", Date: "2026-12-01T09:30:00Z", DateKind: "committed", Go: "go1.26.8", Platform: plat}},
		{"pre-release pseudo-version after a tag", "", "", "",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.4-0.20261201093000-abcdef012345"}},
			buildInfo{Version: "1.2.4-0.20261201093000-abcdef012345", Commit: "abcdef012345", Date: "2026-12-01T09:30:00Z", DateKind: "committed", Go: "go1.26.8", Platform: plat}},
		{"go build in a clean checkout", "", "", "",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
				Settings: vcs("vcs", "git", "vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2026-11-30T10:00:00Z", "vcs.modified", "false")},
			buildInfo{Version: "devel", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-11-30T10:00:00Z", DateKind: "committed", Go: "go1.26.8", Platform: plat}},
		{"go build in a checkout with changes (Go stamps a +dirty pseudo-version)", "", "", "",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261130100000-0123456789ab+dirty"},
				Settings: vcs("vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2026-11-30T10:00:00Z", "vcs.modified", "true")},
			buildInfo{Version: "0.0.0-20261130100000-0123456789ab", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-11-30T10:00:00Z", DateKind: "committed", Modified: true, Go: "go1.26.8", Platform: plat}},
		{"no build information at all", "", "", "", nil,
			buildInfo{Version: "devel", Go: runtime.Version(), Platform: plat}},
	}
	for _, c := range cases {
		if got := resolveBuild(c.version, c.commit, c.date, c.bi); got != c.want {
			t.Errorf("%s:\n got  %+v\n want %+v", c.name, got, c.want)
		}
	}
}

func TestVersionBlock(t *testing.T) {
	var buf bytes.Buffer
	b := buildInfo{Version: "1.4.0", Commit: "0123abc", Modified: true, Date: "2026-03-04T05:06:07Z", DateKind: "built", Go: "go1.26.8", Platform: "linux/arm64"}
	if err := b.write(&buf); err != nil {
		t.Fatal(err)
	}
	want := "ssmdoctor 1.4.0\ncommit:   0123abc (modified)\nbuilt:    2026-03-04T05:06:07Z\ngo:       go1.26.8 linux/arm64\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	_ = buildInfo{Version: "devel", Go: "go1.26.8", Platform: "windows/amd64"}.write(&buf)
	want = "ssmdoctor devel\ncommit:   unknown\ndate:     unknown\ngo:       go1.26.8 windows/amd64\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestVersionCommandAndFlagAgree(t *testing.T) {
	outputs := map[string]string{}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"ssmdoctor"}, args...), strings.NewReader(""), &stdout, &stderr)
		if code != exitOK || stderr.Len() != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
		outputs[args[0]] = stdout.String()
	}
	if outputs["version"] != outputs["--version"] {
		t.Fatalf("version and --version differ:\n%s\n%s", outputs["version"], outputs["--version"])
	}
	if !strings.HasPrefix(outputs["version"], "ssmdoctor "+version+"\ncommit:") {
		t.Fatalf("version output = %q", outputs["version"])
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"ssmdoctor", "version", "extra"}, strings.NewReader(""), &stdout, &stderr); code != exitUsage || stdout.Len() != 0 ||
		!strings.Contains(stderr.String(), `error: version: unexpected argument "extra"`) {
		t.Fatalf("version extra: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// buildBinary builds this command into dir with extra go build flags.
func buildBinary(t *testing.T, dir string, flags ...string) string {
	t.Helper()
	exe := filepath.Join(dir, "ssmdoctor")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	args := append([]string{"build", "-o", exe}, flags...)
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	return exe
}

// TestVersionStampedByLdflags builds the binary as the release does and
// reads back what was stamped, from both spellings.
func TestVersionStampedByLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	exe := buildBinary(t, t.TempDir(), "-ldflags",
		"-X main.version=2.3.4 -X main.commit=89abcdef0123456789abcdef0123456789abcdef -X main.date=2026-12-01T12:00:00Z")
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(exe, arg).Output()
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		want := "ssmdoctor 2.3.4\ncommit:   89abcdef0123456789abcdef0123456789abcdef\nbuilt:    2026-12-01T12:00:00Z\ngo:       " +
			runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
		if string(out) != want {
			t.Errorf("%s:\n got  %q\n want %q", arg, out, want)
		}
	}
}

// TestVersionFromCheckout builds without stamping, in this checkout with
// VCS stamping on, and expects the checkout's commit, its time and whether
// it has changes (git status --porcelain, as the go command decides).
func TestVersionFromCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is missing")
		}
		t.Skip("git is missing")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("not a git checkout: %v", err)
		}
		t.Skipf("not a git checkout: %v", err)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && !fi.IsDir() {
		// cmd/go looks for a .git directory: a linked worktree's .git file
		// is not one, and its builds carry no VCS information.
		t.Skip("a linked git worktree: the go command records VCS information only where .git is a directory")
	}
	// The toolchain records the commit time in UTC.
	gitLog := exec.Command("git", "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%dT%H:%M:%SZ")
	gitLog.Env = append(os.Environ(), "TZ=UTC")
	ctime, err := gitLog.Output()
	if err != nil {
		t.Fatal(err)
	}
	exe := buildBinary(t, t.TempDir(), "-buildvcs=true")
	status, err := exec.Command("git", "status", "--porcelain").Output()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	wantCommit := "commit:   " + strings.TrimSpace(string(head))
	if len(bytes.TrimSpace(status)) > 0 {
		wantCommit += " (modified)"
	}
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "ssmdoctor ") || lines[1] != wantCommit {
		t.Fatalf("version output:\n%s\nwant line 2 %q", out, wantCommit)
	}
	if want := "committed: " + strings.TrimSpace(string(ctime)); lines[2] != want {
		t.Fatalf("line 3 = %q, want %q", lines[2], want)
	}
}
