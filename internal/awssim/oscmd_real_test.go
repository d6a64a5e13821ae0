package awssim

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
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

// shells are the POSIX shells the script must run under; dash is
// Debian's /bin/sh and must be there in CI.
func shells(t *testing.T) []string {
	var out []string
	for _, sh := range []string{"dash", "bash"} {
		if p, err := exec.LookPath(sh); err == nil {
			out = append(out, p)
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI to run the on-instance script for real", sh)
		} else {
			t.Logf("%s not installed: the script is not run under it here", sh)
		}
	}
	if len(out) == 0 {
		t.Skip("skipping: neither dash nor bash is installed")
	}
	return out
}

// runReal runs the commands as the agent does: joined by newlines into
// one file that sh runs.
func runReal(t *testing.T, sh string, commands []string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "_script.sh")
	if err := os.WriteFile(f, []byte(strings.Join(commands, "\n")+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sh, f).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", sh, f, err)
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

// throwawayUser creates a user (and its group) with its home in a temp
// dir, removed when the test ends; only root can, and elsewhere the test
// says why it skips the cases that need one.
func throwawayUser(t *testing.T) *OSUser {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs the tests as root: a throwaway user is needed for the on-instance script's user cases")
		}
		t.Skip("skipping: creating a throwaway user needs root (the script reads the user's passwd entry, and the runner's own ~/.ssh is never used)")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("skipping: useradd not installed")
	}
	name := "ssmdt" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	home := filepath.Join(t.TempDir(), "home")
	if out, err := exec.Command("useradd", "-U", "-M", "-d", home, "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range []string{home, home + "/.ssh"} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
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
	o := &OSState{
		Files: map[string]*OSFile{
			akf: {Mode: akfMode, Owner: "root", UID: 0, Keys: []string{srv.UserPublicKey}},
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
			t.Errorf("%s: the real run and the simulated agent differ:\n%s\nreal output:\n%s", filepath.Base(sh), d, real)
		}
	}
}

func TestOnInstanceScriptRealListeningUser(t *testing.T) {
	srv := testsshd.Start(t, testsshd.Options{})
	u := throwawayUser(t)
	compareRealAndSim(t, osForServer(t, srv, u, "600"), u.Name, srv.Port, srv.ConfigPath)
}

func TestOnInstanceScriptRealWrongModes(t *testing.T) {
	srv := testsshd.Start(t, testsshd.Options{})
	u := throwawayUser(t)
	akf := filepath.Join(srv.Dir, "authorized_keys")
	if err := os.Chmod(akf, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(u.Home+"/.ssh", 0o775); err != nil {
		t.Fatal(err)
	}
	o := osForServer(t, srv, u, "666")
	o.Files[u.Home+"/.ssh"].Mode = "775"
	compareRealAndSim(t, o, u.Name, srv.Port, srv.ConfigPath)
}

func TestOnInstanceScriptRealClosedPortMissingUser(t *testing.T) {
	srv := testsshd.Start(t, testsshd.Options{})
	o := osForServer(t, srv, nil, "600")
	if os.Geteuid() != 0 {
		// The files belong to whoever runs the test.
		cur, _ := user.Current()
		uid, _ := strconv.Atoi(cur.Uid)
		f := o.Files[filepath.Join(srv.Dir, "authorized_keys")]
		f.Owner, f.UID = cur.Username, uid
	}
	compareRealAndSim(t, o, "ssmdoctor-no-such-user", closedPort(t), srv.ConfigPath)
}
