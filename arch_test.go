package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection keeps the architecture true: which of our packages may
// import which, and which package each third-party library is boxed in.
// Only production imports count (tests may reach further).
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/ssmdoctor/ssmdoctor"
	short := func(p string) string {
		if p == mod {
			return "main"
		}
		return strings.TrimPrefix(p, mod+"/")
	}
	// allowed[pkg] lists the project packages pkg may import; a package not
	// listed may import none of ours. The layers, top down:
	//
	//	main (commands)         -> checks, fix, access, and anything below
	//	checks/checkrun         -> checks, internal/report, internal/awsapi (a check command's run)
	//	checks (the diagnoses)  -> internal/awsfacts; tunnel for --probe
	//	fix/fixrun              -> fix, checks, checks/checkrun (a fix command's run)
	//	fix (the repairs)       -> internal/awsfacts; internal/awsapi for its writes
	//	access (who may connect) -> internal/awsfacts, internal/iampolicy
	//	internal/awsfacts       -> internal/awsapi, internal/iampolicy, internal/sshconfig
	//
	// checks reads AWS only through the facts, and the facts know nothing
	// of checks, fix, tunnel or main. The simulator (internal/awssim)
	// shares only the IAM evaluator with the doctor (and tunnel's wire
	// codec): the consistency tests compare the two, so neither may be
	// built on the other.
	allowed := map[string][]string{
		"main":              {"*"},
		"checks":            {"internal/awsfacts", "internal/iampolicy", "internal/sshconfig", "tunnel", "internal/tunnelaws", "internal/oninstance"},
		"checks/checkrun":   {"checks", "internal/awsfacts", "internal/awsapi", "internal/report"},
		"fix/fixrun":        {"fix", "checks", "checks/checkrun", "internal/awsfacts", "internal/awsapi", "internal/report", "internal/sshconfig"},
		"fix":               {"internal/awsfacts", "internal/awsapi", "internal/iampolicy", "internal/sshconfig", "internal/oninstance"},
		"internal/awsfacts": {"internal/awsapi", "internal/iampolicy", "internal/sshconfig"},
		"access":            {"internal/awsfacts", "internal/iampolicy"},
		"internal/report":   {"checks", "access", "internal/iampolicy"},
		// The simulated agent recognises ssmdoctor's scripts by their hash
		// (internal/oninstance/script), never by the parser of their output.
		"internal/awssim":     {"internal/iampolicy", "tunnel", "internal/oninstance/script"},
		"internal/tunnelaws":  {"tunnel"},
		"internal/onetimekey": {},
		// The on-instance script's commands and the parser of its output.
		"internal/oninstance":        {"internal/oninstance/script"},
		"internal/oninstance/script": {},
		// Test harnesses (only tests import them).
		"internal/motoserver":            {"internal/awsapi"},
		"internal/awssim/simtest":        {"internal/awssim", "internal/awsapi"},
		"internal/awsfacts/awsfactstest": {"internal/awsfacts"},
		"internal/golden":                {},
		"internal/testnet":               {},
		"internal/docrefs":               {},
	}
	// boxes[lib prefix] lists the packages that may import it.
	boxes := map[string][]string{
		"github.com/urfave/cli":                    {"main"},
		"github.com/fatih/color":                   {"internal/report"},
		"github.com/hashicorp/go-version":          {"checks", "internal/awsfacts"},
		"github.com/coder/websocket":               {"tunnel", "internal/awssim"},
		"github.com/xtaci/smux":                    {"tunnel", "internal/awssim"},
		"golang.org/x/term":                        {"main"},
		"github.com/creack/pty":                    {"internal/awssim"},
		"github.com/Microsoft/go-winio":            {"internal/onetimekey"},
		"github.com/aws/aws-sdk-go-v2/config":      {"main", "internal/awsapi"},
		"github.com/aws/aws-sdk-go-v2/credentials": {"main", "internal/awsapi"},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := short(f[0])
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, mod) {
				dep := short(imp)
				if !permitted(allowed[pkg], dep) && !isSubpackage(pkg, dep) {
					t.Errorf("%s imports %s: not allowed by the architecture (see architecture.md)", pkg, dep)
				}
				continue
			}
			for lib, who := range boxes {
				if strings.HasPrefix(imp, lib) && !permitted(who, pkg) {
					t.Errorf("%s imports %s, which is boxed in %v", pkg, imp, who)
				}
			}
		}
	}
}

func permitted(list []string, p string) bool {
	for _, a := range list {
		if a == "*" || a == p || strings.HasPrefix(p, a+"/") {
			return true
		}
	}
	return false
}

// isSubpackage lets a package use its own helper subpackages.
func isSubpackage(pkg, dep string) bool { return strings.HasPrefix(dep, pkg+"/") }
