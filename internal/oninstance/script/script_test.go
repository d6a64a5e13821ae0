package script

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// Every script parses under dash and bash (sh -n).
func TestScriptsParse(t *testing.T) {
	for _, sh := range []string{"dash", "bash"} {
		p, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("%s not installed: not checked with it", sh)
			continue
		}
		for name, body := range map[string][]byte{"oninstance.sh": OnInstance(), "authorize_key.sh": AuthorizeKey(), "install_eic.sh": InstallEIC()} {
			cmd := exec.Command(p, "-n")
			cmd.Stdin = strings.NewReader(string(body))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s -n %s: %v\n%s", sh, name, err, out)
			}
		}
	}
}

// The on-instance script is read-only: no redirection into a file other
// than /dev/null, and none of the commands that write.
func TestOnInstanceScriptWritesNothing(t *testing.T) {
	redirect := regexp.MustCompile(`\d?>>?\s*([^&\s][^\s;|)]*)`)
	writers := regexp.MustCompile(`(^|[\s;|&(])(rm|mv|cp|touch|mkdir|rmdir|chmod|chown|chgrp|tee|dd|truncate|ln|install|useradd|usermod|systemctl|service|kill|pkill|reboot|shutdown)\s`)
	for i, line := range strings.Split(string(OnInstance()), "\n") {
		code := strings.TrimSpace(line)
		if strings.HasPrefix(code, "#") || code == "" {
			continue
		}
		// Text inside single quotes (awk programs, patterns) is not shell.
		code = regexp.MustCompile(`'[^']*'`).ReplaceAllString(code, "''")
		for _, m := range redirect.FindAllStringSubmatch(code, -1) {
			if m[1] != "/dev/null" {
				t.Errorf("line %d redirects into %q: %s", i+1, m[1], line)
			}
		}
		if writers.MatchString(code) || strings.Contains(code, "sed -i") {
			t.Errorf("line %d runs a command that writes: %s", i+1, line)
		}
	}
}

// The hash the simulator recognises is of the bytes as embedded.
func TestSHA256(t *testing.T) {
	if got := SHA256([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatal(got)
	}
	if SHA256(OnInstance()) == SHA256(AuthorizeKey()) {
		t.Fatal("two scripts with one hash")
	}
}
