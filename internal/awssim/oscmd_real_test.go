package awssim

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssmdoctor/ssmdoctor/internal/oninstance"
	"github.com/ssmdoctor/ssmdoctor/internal/testsshd"
)

// The on-instance script run for real, under dash and bash, against the
// tests' own sshd (internal/testsshd) and a throwaway user, and the
// simulated agent's answer for the same OS state: the two must print the
// same lines, so that neither can drift from the other. Lines that only
// the machine decides (its clock, disks, sshd's version, the tool that
// lists sockets, whether a package manager knows the package, who runs
// the test) are left out of the comparison.
var machineOnlyKeys = map[string]bool{
	"clock.epoch": true, "uid": true, "sshd.version": true, "listen.via": true, "eic.package": true, "disk": true,
}

// shells are the POSIX shells the script must run under, as a command
// line before the script's path: dash (Debian's /bin/sh) and bash must be
// there in CI; busybox's ash runs it too where busybox is installed.
func shells(t *testing.T) [][]string {
	var out [][]string
	for _, sh := range []string{"dash", "bash"} {
		if p, err := exec.LookPath(sh); err == nil {
			out = append(out, []string{p})
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI to run the on-instance script for real", sh)
		} else {
			t.Logf("%s not installed: the script is not run under it here", sh)
		}
	}
	if p, err := exec.LookPath("busybox"); err == nil {
		out = append(out, []string{p, "sh"})
	} else {
		t.Log("busybox not installed: the script is not run under its ash here")
	}
	if len(out) == 0 {
		t.Skip("skipping: neither dash nor bash is installed")
	}
	return out
}

// runReal runs the commands as the agent does: joined by newlines into
// one file that sh runs.
func runReal(t *testing.T, sh []string, commands []string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "_script.sh")
	if err := os.WriteFile(f, []byte(strings.Join(commands, "\n")+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string(nil), sh...), f)
	if prefix, ok := rootCmd(); ok {
		args = append(prefix, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", strings.Join(sh, " "), f, err)
	}
	return string(out)
}

// comparableLines drops the machine's own lines.
func comparableLines(out string) []string {
	var keep []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		k, _, _ := strings.Cut(l, "=")
		if !machineOnlyKeys[k] {
			keep = append(keep, l)
		}
	}
	return keep
}

func diffLines(a, b []string) string {
	var d []string
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			d = append(d, fmt.Sprintf("line %d:\n  real: %q\n  sim:  %q", i+1, x, y))
		}
	}
	return strings.Join(d, "\n")
}

// rootCmd is how the test runs a command as root, as the agent runs the
// script: directly when the test is root, else through sudo -n when
// that works (CI's runners); ok false otherwise.
func rootCmd() (prefix []string, ok bool) {
	if os.Geteuid() == 0 {
		return nil, true
	}
	if err := exec.Command("sudo", "-n", "true").Run(); err == nil {
		return []string{"sudo", "-n"}, true
	}
	return nil, false
}

func asRoot(t *testing.T, args ...string) {
	t.Helper()
	prefix, _ := rootCmd()
	all := append(append([]string(nil), prefix...), args...)
	if out, err := exec.Command(all[0], all[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(all, " "), err, out)
	}
}

// linuxOnly: the script covers Linux instances; other systems skip, saying
// so, even in CI.
func linuxOnly(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("skipping: the on-instance script covers Linux instances; this is %s", runtime.GOOS)
	}
}

// throwawayUser creates a user (and its group) with its home in a temp
// dir, removed when the test ends. It needs root (or sudo -n); without,
// the test says why it skips, and fails in CI.
func throwawayUser(t *testing.T) *OSUser {
	t.Helper()
	if _, ok := rootCmd(); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI must run the on-instance script's user cases: run the tests as root or with sudo -n")
		}
		t.Skip("skipping: creating a throwaway user needs root or sudo -n (the script reads the user's passwd entry, and the runner's own ~/.ssh is never used)")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		if _, err := os.Stat("/usr/sbin/useradd"); err != nil {
			t.Skip("skipping: useradd not installed")
		}
	}
	name := "ssmdt" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	home := filepath.Join(t.TempDir(), "home")
	asRoot(t, "useradd", "-U", "-M", "-d", home, "-s", "/bin/sh", name)
	t.Cleanup(func() {
		// Before TempDir's own cleanup, which cannot remove the user's files.
		prefix, _ := rootCmd()
		for _, c := range [][]string{{"rm", "-rf", home}, {"userdel", name}} {
			c = append(append([]string(nil), prefix...), c...)
			exec.Command(c[0], c[1:]...).Run()
		}
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	asRoot(t, "mkdir", "-m", "700", home, home+"/.ssh")
	asRoot(t, "chown", name+":"+name, home, home+"/.ssh")
	return &OSUser{Name: name, UID: uid, GID: gid, Home: home, Shell: "/bin/sh", Groups: []string{name}}
}

// osForServer is the OS state of this machine as the script will see it
// with srv running: sshd's settings as srv's config sets them.
func osForServer(t *testing.T, srv *testsshd.Server, u *OSUser, akfMode string) *OSState {
	t.Helper()
	sshd, err := testsshd.Find(testsshd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(srv.Port)
	akf := filepath.Join(srv.Dir, "authorized_keys")
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	myUID, _ := strconv.Atoi(me.Uid)
	o := &OSState{
		Users: []OSUser{}, Packages: []string{}, PackageManager: "dpkg", Disks: []OSDisk{},
		Files: map[string]*OSFile{
			// The test's own files: its user's.
			akf: {Mode: akfMode, Owner: me.Username, UID: myUID, Keys: []string{srv.UserPublicKey}},
		},
		SSHD: OSSSHD{
			Path:    sshd,
			Listen:  []string{"127.0.0.1:" + port},
			Configs: []string{srv.ConfigPath},
			Settings: map[string][]string{
				"port": {port}, "listenaddress": {"127.0.0.1:" + port}, "usepam": {"no"},
				"permitrootlogin": {"without-password"}, "passwordauthentication": {"no"}, "strictmodes": {"no"},
				"authorizedkeysfile": {akf},
			},
			HostKeys: []string{ssh.FingerprintSHA256(srv.HostKey) + " ED25519"},
		},
	}
	if u != nil {
		o.Users = []OSUser{*u}
		o.Files[u.Home] = &OSFile{Dir: true, Mode: "700", Owner: u.Name, UID: u.UID}
		o.Files[u.Home+"/.ssh"] = &OSFile{Dir: true, Mode: "700", Owner: u.Name, UID: u.UID}
	}
	return o
}

// closedPort is a loopback port nothing listens on (as far as anyone can
// tell a moment later).
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

func compareRealAndSim(t *testing.T, o *OSState, userName string, port int, config string) {
	t.Helper()
	linuxOnly(t)
	if _, err := os.Stat("/var/log/amazon/ssm"); err == nil {
		machineOnlyKeys["agent.log"], machineOnlyKeys["agent.error"] = true, true
		t.Log("this machine runs an SSM Agent: its log is left out of the comparison")
	}
	commands := oninstance.CheckCommands(userName, port, config)
	inst := &Instance{ID: "i-0123456789abcdef0", OS: o}
	sim := runCommands(inst, commands, time.Now())
	if sim.code != 0 || sim.stderr != "" {
		t.Fatalf("simulated agent: code %d stderr %q", sim.code, sim.stderr)
	}
	for _, sh := range shells(t) {
		real := runReal(t, sh, commands)
		if d := diffLines(comparableLines(real), comparableLines(sim.stdout)); d != "" {
			t.Errorf("%s: the real run and the simulated agent differ:\n%s\nreal output:\n%s", strings.Join(sh, " "), d, real)
		}
	}
}

func TestOnInstanceScriptRealListeningUser(t *testing.T) {
	linuxOnly(t)
	srv := testsshd.Start(t, testsshd.Options{})
	u := throwawayUser(t)
	compareRealAndSim(t, osForServer(t, srv, u, "600"), u.Name, srv.Port, srv.ConfigPath)
}

func TestOnInstanceScriptRealWrongModes(t *testing.T) {
	linuxOnly(t)
	srv := testsshd.Start(t, testsshd.Options{})
	u := throwawayUser(t)
	akf := filepath.Join(srv.Dir, "authorized_keys")
	if err := os.Chmod(akf, 0o666); err != nil {
		t.Fatal(err)
	}
	asRoot(t, "chmod", "775", u.Home+"/.ssh")
	o := osForServer(t, srv, u, "666")
	o.Files[u.Home+"/.ssh"].Mode = "775"
	compareRealAndSim(t, o, u.Name, srv.Port, srv.ConfigPath)
}

func TestOnInstanceScriptRealClosedPortMissingUser(t *testing.T) {
	linuxOnly(t)
	srv := testsshd.Start(t, testsshd.Options{})
	o := osForServer(t, srv, nil, "600")
	compareRealAndSim(t, o, "ssmdoctor-no-such-user", closedPort(t), srv.ConfigPath)
}

// The authorize-key script run for real (for the user running the test,
// into a keys file in a temporary home that the test's sshd config names)
// and the simulated agent's run on the same state print the same lines
// and leave the same file: twice, the second adding nothing.
func TestAuthorizeKeyScriptRealAgreesWithSim(t *testing.T) {
	linuxOnly(t)
	sshd, err := testsshd.Find(testsshd.Options{})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("skipping: " + err.Error())
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(me.Uid)
	gid, _ := strconv.Atoi(me.Gid)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	akf := filepath.Join(home, ".ssh", "authorized_keys")
	hostKey := filepath.Join(dir, "hostkey")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte("HostKey "+hostKey+"\nAuthorizedKeysFile "+akf+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sshd, "-T", "-f", cfg, "-C", "user="+me.Username+",host=localhost,addr=127.0.0.1").CombinedOutput(); err != nil || !strings.Contains(string(out), "authorizedkeysfile "+akf+"\n") {
		t.Fatalf("sshd -T does not resolve the temp file (refusing to run the script, which would write elsewhere): %v\n%s", err, out)
	}
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOw0gBrqGxwq2bHtCGBAc2NVWY2gTfUjpyZ9mxIr1kHZ me@laptop"
	commands, err := oninstance.AuthorizeKeyCommands(me.Username, key, cfg)
	if err != nil {
		t.Fatal(err)
	}
	inst := &Instance{ID: "i-0123456789abcdef0", OS: &OSState{
		Users:    []OSUser{{Name: me.Username, UID: uid, GID: gid, Home: home, Shell: "/bin/sh"}},
		Files:    map[string]*OSFile{home: {Dir: true, Mode: "755", Owner: me.Username, UID: uid}},
		Packages: []string{}, PackageManager: "dpkg", Disks: []OSDisk{},
		SSHD: OSSSHD{Configs: []string{cfg}, Settings: map[string][]string{"authorizedkeysfile": {akf}}},
	}}
	sh := shells(t)[0]
	for run := 1; run <= 2; run++ {
		real := runReal(t, sh, commands)
		sim := runCommands(inst, commands, time.Now())
		if sim.code != 0 || real != sim.stdout {
			t.Fatalf("run %d: the real script and the simulated agent differ\nreal:\n%s\nsim (exit %d):\n%s%s", run, real, sim.code, sim.stdout, sim.stderr)
		}
	}
	b, err := os.ReadFile(akf)
	if err != nil || string(b) != key+"\n" || len(inst.OS.Files[akf].Keys) != 1 {
		t.Fatalf("after two runs: real %q (%v), simulated %v", b, err, inst.OS.Files[akf].Keys)
	}
}
