package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestCheckReportFlag: one run writes its report in several formats
// (--report FORMAT=FILE besides --format): the annotations on stdout, the
// JUnit, markdown and JSON files, all of the same run, with the calls of
// one run; the JSON file is what --format json writes.
func TestCheckReportFlag(t *testing.T) {
	dir := t.TempDir()
	args := []string{"check", demoHealthy, "demo-no-profile", "--skip", "ssh-config", "--deterministic"}

	sim := demoInProcess(t, awssim.DemoAccessKey, nil)
	sim.ResetCalls()
	one := runInProcess(t, append(args, "--format", "json")...)
	oneCalls := sim.AllCalls()

	sim.ResetCalls()
	r := runInProcess(t, append(args, "--format", "github",
		"--report", "junit="+filepath.Join(dir, "r.xml"), "--report", "markdown="+filepath.Join(dir, "s.md"),
		"--report", "json="+filepath.Join(dir, "r,with comma.json"))...)
	if r.code != exitProblems || r.stderr != "" {
		t.Fatalf("exit %d, want 1 (demo-no-profile fails)\n%s", r.code, r.stderr)
	}
	if got := sim.AllCalls(); !maps.Equal(got, oneCalls) {
		t.Errorf("calls with three reports %v, want one run's %v", got, oneCalls)
	}
	if !strings.Contains(r.stdout, "::error title=ssmdoctor instance-profile (i-0bad0000000000003)::no instance profile") {
		t.Errorf("annotations on stdout:\n%s", r.stdout)
	}
	if suites := junitSuites(t, filepath.Join(dir, "r.xml")); len(suites) != 2 || suites[1].Failures == 0 {
		t.Errorf("JUnit file: %+v", suites)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "s.md"))
	if !strings.Contains(string(md), "### ssmdoctor check\n") || !strings.Contains(string(md), "**instance-profile**: no instance profile") {
		t.Errorf("markdown file:\n%s", md)
	}
	js, _ := os.ReadFile(filepath.Join(dir, "r,with comma.json"))
	if one.code != exitProblems || string(js) != one.stdout {
		t.Errorf("the JSON file differs from --format json (exit %d):\n%s\n---\n%s", one.code, js, one.stdout)
	}
	var doc struct{ Targets []json.RawMessage }
	if err := json.Unmarshal(js, &doc); err != nil || len(doc.Targets) != 2 {
		t.Errorf("JSON file: %v, %d targets", err, len(doc.Targets))
	}
}

// TestCheckReportFlagErrors: a malformed --report is a usage error before
// any call (exit 2, stderr only); an unwritable file is exit 3 naming it.
func TestCheckReportFlagErrors(t *testing.T) {
	sim := demoInProcess(t, awssim.DemoAccessKey, nil)
	sim.ResetCalls()
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--report", "junit"}, "error: check: malformed --report \"junit\"\n"},
		{[]string{"--report", "junit="}, "error: check: malformed --report \"junit=\"\n"},
		{[]string{"--report", "yaml=r.yaml"}, "error: check: unknown --report format \"yaml\"\n"},
		{[]string{"--report", "json=r.json", "--list-checks"}, "error: check: --report with --list-checks or --on-instance-script\n"},
	} {
		r := runInProcess(t, append([]string{"check", demoHealthy}, tc.args...)...)
		if r.code != exitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, tc.err) || !strings.Contains(r.stderr, "\nhint: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.err)
		}
	}
	if n := len(sim.AllCalls()); n != 0 {
		t.Errorf("usage errors made calls: %v", sim.AllCalls())
	}
	r := runInProcess(t, "check", demoHealthy, "--skip", "ssh-config", "--format", "json", "--report", "junit="+filepath.Join(t.TempDir(), "missing", "r.xml"))
	if r.code != exitInternal || !strings.Contains(r.stderr, "error: check: --report junit=") || !strings.Contains(r.stderr, "hint: choose a writable --report path") {
		t.Errorf("unwritable --report: exit %d\n%s", r.code, r.stderr)
	}
}

// TestFilterValuesKeepTheirCommas: one --filter value may list several
// filters, each starting with tag:, and a tag value may hold a comma of
// its own (EC2 allows one).
func TestFilterValuesKeepTheirCommas(t *testing.T) {
	for in, want := range map[string][]string{
		"tag:Team=red,blue":              {"tag:Team=red,blue"},
		"tag:Env=prod,tag:Role=web":      {"tag:Env=prod", "tag:Role=web"},
		"tag:Team=red,blue,tag:Env=prod": {"tag:Team=red,blue", "tag:Env=prod"},
		"tag:Team=,":                     {"tag:Team=,"},
		"tag:Env=prod,,tag:Role=web":     {"tag:Env=prod,", "tag:Role=web"},
	} {
		w := &wholeValues{}
		w.Set(in)
		if got := splitFilters(w); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	demoInProcess(t, awssim.DemoAccessKey, func(st *awssim.State) {
		st.Instances[demoHealthy].Tags = append(st.Instances[demoHealthy].Tags, awssim.Tag{Key: "Team", Value: "red,blue"})
	})
	for _, args := range [][]string{
		{"--filter", "tag:Team=red,blue"},
		{"--filter", "tag:Team=red,blue,tag:Name=demo-healthy"},
		{"--filter", "tag:Team=red,blue", "--filter", "tag:Name=demo-healthy"},
	} {
		r := runInProcess(t, append([]string{"check", "--skip", "ssh-config", "--format", "json", "--deterministic"}, args...)...)
		var doc struct{ Targets []struct{ InstanceID string } }
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Targets) != 1 || doc.Targets[0].InstanceID != demoHealthy {
			t.Errorf("%v: exit %d: %v %+v\n%s", args, r.code, err, doc.Targets, r.stderr)
		}
	}
}
