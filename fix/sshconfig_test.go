package fix

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/sshconfig"
)

const testExe = "/opt/ssmdoctor/bin/ssmdoctor"

var fixedNow = func() time.Time { return time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC) }

func sshOpts(home string) SSHConfigOptions {
	return SSHConfigOptions{Home: home, Executable: testExe, Now: fixedNow}
}

// homeWith makes a home directory whose ~/.ssh/config holds body (nil: no
// ~/.ssh at all).
func homeWith(t *testing.T, body *string, mode fs.FileMode) string {
	t.Helper()
	home := t.TempDir()
	if body != nil {
		if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(*body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(home, ".ssh", "config"), mode); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

func str(s string) *string { return &s }

func applySSH(t *testing.T, o SSHConfigOptions) *Plan {
	t.Helper()
	p, err := PlanSSHConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// dirHashes maps every file under dir to the hash of its content and mode.
func dirHashes(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		fi, _ := os.Lstat(p)
		out[p] = sha256.Sum256(append(b, []byte(fi.Mode().String())...))
		return nil
	})
	return out
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

const includeHead = sshconfig.IncludeComment + "\nInclude ssmdoctor.conf\n"

func TestSSHConfigCases(t *testing.T) {
	cases := []struct {
		name     string
		body     *string
		mode     fs.FileMode
		want     string // the user's config afterwards
		wantMode fs.FileMode
		note     string // a note the plan must carry
	}{
		{name: "no ~/.ssh", want: includeHead, wantMode: 0o600},
		{name: "empty file", body: str(""), mode: 0o600, want: includeHead, wantMode: 0o600},
		{name: "unrelated hosts", body: str("Host web\n  User alice\n"), mode: 0o600,
			want: includeHead + "\nHost web\n  User alice\n", wantMode: 0o600},
		{name: "earlier Host * with ProxyCommand", body: str("Host *\n  ProxyCommand ssh -W %h:%p bastion\n"), mode: 0o600,
			want: includeHead + "\nHost *\n  ProxyCommand ssh -W %h:%p bastion\n", wantMode: 0o600,
			note: `line 2 (Host *) sets proxycommand "ssh -W %h:%p bastion" and applies to i-* hosts`},
		{name: "Include already present, not first", body: str("Host web\n  User a\nInclude ssmdoctor.conf\n"), mode: 0o600,
			want: includeHead + "\nHost web\n  User a\nInclude ssmdoctor.conf\n", wantMode: 0o600,
			note: "already includes ssmdoctor.conf at line [3]"},
		{name: "Match blocks", body: str("Match exec \"test -n x\"\n  ProxyJump jump\nMatch host mi-*\n  User ubuntu\n"), mode: 0o600,
			want: includeHead + "\nMatch exec \"test -n x\"\n  ProxyJump jump\nMatch host mi-*\n  User ubuntu\n", wantMode: 0o600,
			note: `(Match exec "test -n x") sets proxyjump "jump" and may apply`},
		{name: "CRLF", body: str("Host web\r\n  User alice\r\n"), mode: 0o600,
			want: sshconfig.IncludeComment + "\r\nInclude ssmdoctor.conf\r\n\r\nHost web\r\n  User alice\r\n", wantMode: 0o600},
		{name: "mode 0644 kept", body: str("Host web\n"), mode: 0o644, want: includeHead + "\nHost web\n", wantMode: 0o644},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := homeWith(t, c.body, c.mode)
			p := applySSH(t, sshOpts(home))
			cfg := filepath.Join(home, ".ssh", "config")
			if got := readFile(t, cfg); got != c.want {
				t.Fatalf("config =\n%q\nwant\n%q", got, c.want)
			}
			if m := mode(t, cfg); m != c.wantMode {
				t.Fatalf("mode %04o, want %04o", m, c.wantMode)
			}
			if m := mode(t, filepath.Join(home, ".ssh")); c.body == nil && m != 0o700 {
				t.Fatalf("~/.ssh created with %04o", m)
			}
			own := filepath.Join(home, ".ssh", OwnConfigName)
			if got := readFile(t, own); !strings.Contains(got, "Host i-* mi-*\n    ProxyCommand "+testExe+" proxy %h %p\n") {
				t.Fatalf("own file = %q", got)
			}
			if m := mode(t, own); m != 0o600 {
				t.Fatalf("own file mode %04o", m)
			}
			if c.note != "" && !strings.Contains(strings.Join(p.Notes, "\n"), c.note) {
				t.Fatalf("notes %q lack %q", p.Notes, c.note)
			}
			// A backup holds the old content when there was one.
			backups, _ := filepath.Glob(cfg + ".ssmdoctor-backup-*")
			if c.body != nil && (len(backups) != 1 || readFile(t, backups[0]) != *c.body) {
				t.Fatalf("backups %v", backups)
			}
			// Second run: already configured, nothing written.
			before := dirHashes(t, home)
			p2, err := PlanSSHConfig(sshOpts(home))
			if err != nil {
				t.Fatal(err)
			}
			if !p2.Empty() || !strings.Contains(p2.Already, "includes ssmdoctor.conf first") {
				t.Fatalf("second plan not empty: %+v", p2)
			}
			if err := p2.Apply(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			if after := dirHashes(t, home); !equalHashes(before, after) {
				t.Fatal("second run changed files")
			}
		})
	}
}

func equalHashes(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Symlinked config: written through to the target, the link stays a link.
func TestSSHConfigSymlink(t *testing.T) {
	home := homeWith(t, nil, 0)
	dots := filepath.Join(home, "dotfiles")
	os.MkdirAll(dots, 0o700)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	target := filepath.Join(dots, "ssh_config")
	os.WriteFile(target, []byte("Host web\n"), 0o640)
	link := filepath.Join(home, ".ssh", "config")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	p := applySSH(t, sshOpts(home))
	if !strings.Contains(strings.Join(p.Notes, "\n"), "is a symlink: ssmdoctor writes through it to "+target) {
		t.Fatalf("notes %q", p.Notes)
	}
	if l, err := os.Readlink(link); err != nil || l != target {
		t.Fatalf("link now %q, %v", l, err)
	}
	if got := readFile(t, target); got != includeHead+"\nHost web\n" {
		t.Fatalf("target = %q", got)
	}
	if m := mode(t, target); m != 0o640 {
		t.Fatalf("target mode %04o", m)
	}
}

func TestSSHConfigReadOnly(t *testing.T) {
	home := homeWith(t, str("Host web\n"), 0o444)
	before := dirHashes(t, home)
	_, err := PlanSSHConfig(sshOpts(home))
	r, ok := IsRefusal(err)
	if !ok || !strings.Contains(r.What, "is read-only (mode 0444)") || !strings.Contains(r.Hint, "chmod u+w") {
		t.Fatalf("err = %v", err)
	}
	if !equalHashes(before, dirHashes(t, home)) {
		t.Fatal("files changed")
	}
}

func TestSSHConfigChangedBetweenPlanAndWrite(t *testing.T) {
	home := homeWith(t, str("Host web\n"), 0o600)
	p, err := PlanSSHConfig(sshOpts(home))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(home, ".ssh", "config")
	os.WriteFile(cfg, []byte("Host web\n  User someone-else\n"), 0o600)
	err = p.Apply(context.Background(), nil)
	var pe *PartialError
	if !errors.Is(err, ErrChangedSincePlan) || !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	// The own file was written first; the user's edit survives untouched.
	if len(pe.Done) != 1 || !strings.HasPrefix(pe.Failed, "edit ") {
		t.Fatalf("partial = %+v", pe)
	}
	if got := readFile(t, cfg); got != "Host web\n  User someone-else\n" {
		t.Fatalf("config overwritten: %q", got)
	}
	if b, _ := filepath.Glob(cfg + ".ssmdoctor-backup-*"); len(b) != 0 {
		t.Fatalf("backup written for a refused write: %v", b)
	}
	// Planning again finishes the job on top of the user's edit.
	applySSH(t, sshOpts(home))
	if got := readFile(t, cfg); got != includeHead+"\nHost web\n  User someone-else\n" {
		t.Fatalf("re-run = %q", got)
	}
}

func TestSSHConfigUnwritableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to any directory: the permission error cannot be provoked")
	}
	home := homeWith(t, str("Host web\n"), 0o600)
	os.Chmod(filepath.Join(home, ".ssh"), 0o500)
	t.Cleanup(func() { os.Chmod(filepath.Join(home, ".ssh"), 0o700) })
	p, err := PlanSSHConfig(sshOpts(home))
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(context.Background(), nil)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("err = %v", err)
	}
}

func TestSSHConfigAWSCLIFormAndFlags(t *testing.T) {
	o := sshOpts(t.TempDir())
	o.Via, o.Profile, o.Region = ViaAWSCLI, "dev", "eu-west-1"
	pc, err := ProxyCommandFor(o)
	want := `sh -c "aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters 'portNumber=%p' --profile dev --region eu-west-1"`
	if err != nil || pc != want {
		t.Fatalf("aws-cli form = %q, %v", pc, err)
	}
	o.Via, o.Executable, o.Profile = ViaNative, "/Users/A B/bin/ssmdoctor", "dev@corp"
	pc, _ = ProxyCommandFor(o)
	if want := `'/Users/A B/bin/ssmdoctor' proxy --profile dev@corp --region eu-west-1 %h %p`; pc != want {
		t.Fatalf("native form = %q, want %q", pc, want)
	}
	// Switching form rewrites only ssmdoctor's own file.
	applySSH(t, o)
	o.Via = ViaAWSCLI
	p, err := PlanSSHConfig(o)
	if err != nil || len(p.Steps) != 1 || p.Steps[0].(*FileChange).Shown != filepath.Join(o.Home, ".ssh", OwnConfigName) {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	var buf bytes.Buffer
	p.Show(&buf)
	if !strings.Contains(buf.String(), "-    ProxyCommand '/Users/A B/bin/ssmdoctor'") || !strings.Contains(buf.String(), "+    ProxyCommand sh -c") {
		t.Fatalf("shown:\n%s", buf.String())
	}
}

// The real OpenSSH client reads the result: instance hosts get our
// ProxyCommand, other hosts do not.
func TestSSHConfigWithRealSSH(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the OpenSSH client is required when CI=true")
		}
		t.Skip("the OpenSSH client is not installed")
	}
	home := homeWith(t, str("Host *\n  ProxyCommand nc -X connect -x proxy:3128 %h %p\nHost web\n  User alice\n"), 0o600)
	o := sshOpts(home)
	o.Profile = "dev"
	// ssh finds ~/.ssh through the passwd entry, not $HOME, so the test
	// names the config with -F; the temp home then differs from the passwd
	// one and the Include is written with an absolute path.
	if u, err := user.Current(); err == nil {
		o.PasswdHome = u.HomeDir
	}
	p := applySSH(t, o)
	if !strings.Contains(strings.Join(p.Notes, "\n"), "by its absolute path") {
		t.Fatalf("notes %q", p.Notes)
	}
	// ssh -G prints ProxyCommand with its % tokens unexpanded.
	wantPC := testExe + " proxy --profile dev %h %p"
	for host, want := range map[string]string{
		"i-0123456789abcdef0":  wantPC,
		"mi-0123456789abcdef0": wantPC,
		"example.com":          "nc -X connect -x proxy:3128 %h %p",
	} {
		cmd := exec.Command(ssh, "-F", filepath.Join(home, ".ssh", "config"), "-G", host)
		cmd.Env = append(os.Environ(), "HOME="+home)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ssh -G %s: %v\n%s", host, err, stderr.String())
		}
		if got := sshconfig.ParseEffective(out).ProxyCommand(); got != want {
			t.Fatalf("ssh -G %s: proxycommand %q, want %q", host, got, want)
		}
	}
}

// A profile or region that ssh or the shell could misread never reaches
// the config: the plan is refused and no file is touched. A % in the path
// of ssmdoctor is doubled, so ssh passes it on.
func TestSSHConfigRefusesHostileValues(t *testing.T) {
	for _, c := range []struct{ profile, region string }{
		{profile: "x'\nHost *\n  ProxyCommand touch /tmp/pwn\n#"},
		{profile: "a%d"},
		{profile: "it's"},
		{profile: "$(id)"},
		{region: "eu-west-1\nHost *"},
		{region: "eu-west-1 --profile admin"},
		{region: "%h"},
	} {
		home := homeWith(t, str("Host web\n"), 0o600)
		before := dirHashes(t, home)
		o := sshOpts(home)
		o.Profile, o.Region = c.profile, c.region
		if p, err := PlanSSHConfig(o); err == nil {
			t.Errorf("profile %q region %q: planned %+v", c.profile, c.region, p)
		}
		if !equalHashes(before, dirHashes(t, home)) {
			t.Errorf("profile %q region %q: files changed", c.profile, c.region)
		}
	}
	o := sshOpts(t.TempDir())
	o.Executable = "/opt/100%/ssmdoctor"
	pc, err := ProxyCommandFor(o)
	if err != nil || pc != "/opt/100%%/ssmdoctor proxy %h %p" {
		t.Fatalf("ProxyCommandFor = %q, %v", pc, err)
	}
}

// $HOME is not the passwd home: the file ssh reads is edited and the plan
// says which and why.
func TestSSHConfigNamesFileWhenHomeDiffers(t *testing.T) {
	home := homeWith(t, str("Host web\n"), 0o600)
	o := sshOpts(home)
	o.EnvHome = "/tmp/elsewhere"
	p := applySSH(t, o)
	want := "editing " + filepath.Join(home, ".ssh", "config") + ", the file ssh reads (your passwd home); $HOME is /tmp/elsewhere"
	if !strings.Contains(strings.Join(p.Notes, "\n"), want) {
		t.Fatalf("notes %q lack %q", p.Notes, want)
	}
	if got := readFile(t, filepath.Join(home, ".ssh", "config")); got != includeHead+"\nHost web\n" {
		t.Fatalf("config = %q", got)
	}
}

// Concurrent `fix --ssh-config` runs: each plans from the same config, one
// writes it, the others are refused as changed since their plan, and only
// the write that happened leaves a backup.
func TestSSHConfigConcurrentRunsLeaveOneBackup(t *testing.T) {
	const runs = 8
	home := homeWith(t, str("Host web\n"), 0o600)
	cfg := filepath.Join(home, ".ssh", "config")
	// ssmdoctor.conf is in place already (the Include line was removed by
	// hand): each run's only step is the edit of ~/.ssh/config.
	pc, err := ProxyCommandFor(sshOpts(home))
	if err != nil {
		t.Fatal(err)
	}
	own, _ := sshconfig.RenderOwnFile(pc)
	if err := os.WriteFile(filepath.Join(home, ".ssh", OwnConfigName), own, 0o600); err != nil {
		t.Fatal(err)
	}
	var plans []*Plan
	for i := 0; i < runs; i++ {
		o := sshOpts(home)
		o.Now = func() time.Time { return time.Date(2026, 1, 5, 3, 0, 0, i, time.UTC) } // distinct backup names
		p, err := PlanSSHConfig(o)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Steps) != 1 {
			t.Fatalf("plan %d has %d steps", i, len(p.Steps))
		}
		plans = append(plans, p)
	}
	start := make(chan struct{})
	errs := make(chan error, runs)
	for _, p := range plans {
		go func() {
			<-start
			errs <- p.Apply(context.Background(), nil)
		}()
	}
	close(start)
	wrote, refused := 0, 0
	for i := 0; i < runs; i++ {
		switch err := <-errs; {
		case err == nil:
			wrote++
		case errors.Is(err, ErrChangedSincePlan):
			refused++
		default:
			t.Fatalf("apply: %v", err)
		}
	}
	var backups []string
	for _, p := range plans {
		for _, s := range p.Steps {
			if fc := s.(*FileChange); fc.Backup != "" {
				backups = append(backups, fc.Backup)
			}
		}
	}
	onDisk, _ := filepath.Glob(cfg + ".ssmdoctor-backup-*")
	if wrote < 1 || wrote+refused != runs || len(onDisk) != wrote || len(backups) != wrote {
		t.Fatalf("%d wrote, %d refused; backups on disk %v, named %v", wrote, refused, onDisk, backups)
	}
	if got := readFile(t, cfg); got != includeHead+"\nHost web\n" {
		t.Fatalf("config = %q", got)
	}
}
