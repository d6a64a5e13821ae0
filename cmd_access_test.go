package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
	"github.com/ssmdoctor/ssmdoctor/internal/golden"
)

// accessDoc is the part of access's JSON the tests read.
type accessDoc struct {
	SchemaVersion int    `json:"schemaVersion"`
	Kind          string `json:"kind"`
	Mode          string `json:"mode"`
	Document      string `json:"document"`
	Columns       []struct{ ID string }
	Principals    []struct {
		Type, Name, Arn string
		AssumableBy     []string `json:"assumableBy"`
	}
	Instances []struct{ ID, Name, Arn string }
	Rows      []struct {
		Principal, Instance string
		CanConnect          bool
		Simulation          string
		Decisions           []struct {
			Column, Decision, Simulated, Note string
			Statements                        []struct{ Policy, Sid, Via string }
		}
	}
	Summary    struct{ Principals, Instances, CanConnect, Disagreements int }
	Simulation struct {
		Asked                     bool
		Calls, Principals         int
		Disagreements             int
		Note                      string
		AuthorizationDetailsCalls int `json:"authorizationDetailsCalls"`
	}
	NotVisible []string `json:"notVisible"`
}

func parseAccess(t *testing.T, r runResult) accessDoc {
	t.Helper()
	var d accessDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("exit %d, not access JSON: %v\nstdout %s\nstderr %s", r.code, err, r.stdout, r.stderr)
	}
	return d
}

const demoAccount = "arn:aws:iam::123456789012:"

// label turns a principal ARN of the demo into user/NAME or role/NAME.
func label(arn string) string {
	rest := strings.TrimPrefix(arn, demoAccount)
	kind, path, _ := strings.Cut(rest, "/")
	return kind + "/" + path[strings.LastIndexByte(path, '/')+1:]
}

// connecting lists who can connect, as user/NAME, role/NAME.
func connecting(d accessDoc) []string {
	var out []string
	for _, r := range d.Rows {
		if r.CanConnect {
			out = append(out, label(r.Principal))
		}
	}
	sort.Strings(out)
	return out
}

// The demo's principals (internal/awssim/testdata/demo.json) and what
// each may do, written by hand from their policies:
//
//	alice        group ssh-users (SSHViaSessionManager: instances, managed instances, AWS-StartSSHSession)
//	bob          StartSession on instances only, not the document
//	carol        ssh-users too, but an inline Deny of every StartSession
//	dave         SSHViaSessionManager's statement inline
//	demo-admin   Allow * on *
//	gina         instances tagged Scenario=healthy or private-with-endpoints (ssm:resourceTag), the SSH
//	             document, and a Deny on instances tagged Scenario=stopped (aws:ResourceTag)
//	hank         Allow * on *, bounded by SSHHealthyOnlyBoundary: instance/i-0a11600d* and the SSH document
//	role AWSReservedSSO_SSHAccess_…  an Identity Center permission set's role with SSHViaSessionManager
//	role SSHOperator  SSHViaSessionManager, assumable by alice
//	the other roles   instance roles: no session permissions
var accessTable = []struct {
	instance, document string
	want               []string // who can connect
}{
	{"i-0a11600d000000001", "AWS-StartSSHSession", []string{"role/AWSReservedSSO_SSHAccess_0123456789abcdef", "role/SSHOperator", "user/alice", "user/dave", "user/demo-admin", "user/gina", "user/hank"}},
	{"i-0a11600d00000000a", "AWS-StartSSHSession", []string{"role/AWSReservedSSO_SSHAccess_0123456789abcdef", "role/SSHOperator", "user/alice", "user/dave", "user/demo-admin", "user/gina", "user/hank"}},
	{"i-0a11600d000000009", "AWS-StartSSHSession", []string{"role/AWSReservedSSO_SSHAccess_0123456789abcdef", "role/SSHOperator", "user/alice", "user/dave", "user/demo-admin", "user/hank"}},
	{"i-0ff00000000000008", "AWS-StartSSHSession", []string{"role/AWSReservedSSO_SSHAccess_0123456789abcdef", "role/SSHOperator", "user/alice", "user/dave", "user/demo-admin"}},
	{"i-0bad0000000000002", "AWS-StartSSHSession", []string{"role/AWSReservedSSO_SSHAccess_0123456789abcdef", "role/SSHOperator", "user/alice", "user/dave", "user/demo-admin"}},
	{"mi-0c0ffee0000000001", "AWS-StartSSHSession", []string{"role/AWSReservedSSO_SSHAccess_0123456789abcdef", "role/SSHOperator", "user/alice", "user/dave", "user/demo-admin"}},
	{"i-0a11600d000000001", "AWS-StartPortForwardingSession", []string{"user/demo-admin"}},
	{"i-0bad0000000000002", "AWS-StartPortForwardingSession", []string{"user/demo-admin"}},
}

// TestAccessDemoTable: access matches the hand-written table for every
// principal, instance and document, and SimulatePrincipalPolicy agrees
// with every decision.
func TestAccessDemoTable(t *testing.T) {
	sim := demoInProcess(t, "AKIADEMOADMIN0000001", nil)
	var principals int
	sim.WithState(func(st *awssim.State) { principals = len(st.Users) + len(st.Roles) })
	for _, tc := range accessTable {
		sim.ResetCalls()
		r := runInProcess(t, "access", tc.instance, "--document", tc.document, "--format", "json")
		if r.code != exitOK {
			t.Fatalf("access %s --document %s: exit %d\n%s", tc.instance, tc.document, r.code, r.stderr)
		}
		d := parseAccess(t, r)
		if got := connecting(d); !slices.Equal(got, tc.want) {
			t.Errorf("access %s --document %s: can connect %v\nwant %v", tc.instance, tc.document, got, tc.want)
		}
		if len(d.Rows) != principals || d.Summary.Principals != principals || d.Document != tc.document {
			t.Errorf("%s: %d rows, summary %+v, document %s; want every one of %d principals", tc.instance, len(d.Rows), d.Summary, d.Document, principals)
		}
		// Confirmed: every principal simulated, every decision agreed.
		if !d.Simulation.Asked || d.Simulation.Principals != principals || d.Simulation.Disagreements != 0 || d.Simulation.Note != "" {
			t.Errorf("%s: simulation %+v, want all %d principals simulated, no disagreement", tc.instance, d.Simulation, principals)
		}
		for _, row := range d.Rows {
			for _, c := range row.Decisions {
				if c.Simulated != c.Decision {
					t.Errorf("%s %s %s: evaluated %s, simulated %q", tc.instance, label(row.Principal), c.Column, c.Decision, c.Simulated)
				}
			}
		}
		// The call bound: one authorization details page; at most one
		// simulation per principal per distinct context its policies read
		// (here at most 2: the document, the instance's tags).
		if n := sim.Calls("iam.GetAccountAuthorizationDetails"); n != 1 {
			t.Errorf("%s: %d GetAccountAuthorizationDetails calls, want 1", tc.instance, n)
		}
		if n := sim.Calls("iam.SimulatePrincipalPolicy"); n != d.Simulation.Calls || n > 2*principals {
			t.Errorf("%s: %d SimulatePrincipalPolicy calls (report says %d), want at most %d", tc.instance, n, d.Simulation.Calls, 2*principals)
		}
	}
}

// TestAccessDemoReasons: the statements and paths behind the decisions
// the table cannot show: the group, the explicit denies (plain and by
// tag), the boundary, and who may assume the roles.
func TestAccessDemoReasons(t *testing.T) {
	demoInProcess(t, "AKIADEMOADMIN0000001", nil)
	cell := func(d accessDoc, who, col string) (string, string, []struct{ Policy, Sid, Via string }) {
		t.Helper()
		for _, r := range d.Rows {
			if label(r.Principal) == who {
				for _, c := range r.Decisions {
					if c.Column == col {
						return c.Decision, c.Note, c.Statements
					}
				}
			}
		}
		t.Fatalf("no %s %s", who, col)
		return "", "", nil
	}
	d := parseAccess(t, runInProcess(t, "access", demoHealthy, "--format", "json"))
	if dec, _, st := cell(d, "user/alice", "startSessionInstance"); dec != "allowed" || len(st) != 1 || st[0].Sid != "StartSSHSession" || st[0].Via != "managed policy attached to group ssh-users" {
		t.Errorf("alice: %s %+v", dec, st)
	}
	if dec, _, st := cell(d, "user/carol", "startSessionInstance"); dec != "explicitDeny" || len(st) != 1 || st[0].Sid != "NoSessions" || st[0].Via != "inline policy of user carol" {
		t.Errorf("carol: %s %+v", dec, st)
	}
	if dec, note, _ := cell(d, "user/bob", "startSessionDocument"); dec != "implicitDeny" || note != "no policy allows it" {
		t.Errorf("bob's document: %s %q", dec, note)
	}
	for _, p := range d.Principals {
		switch p.Name {
		case "SSHOperator":
			if !slices.Equal(p.AssumableBy, []string{"AWS arn:aws:iam::123456789012:user/alice"}) {
				t.Errorf("SSHOperator assumable by %v", p.AssumableBy)
			}
		case "AWSReservedSSO_SSHAccess_0123456789abcdef":
			if !slices.Equal(p.AssumableBy, []string{"Federated arn:aws:iam::123456789012:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE (with conditions)"}) {
				t.Errorf("the Identity Center role assumable by %v", p.AssumableBy)
			}
		}
	}

	d = parseAccess(t, runInProcess(t, "access", "i-0ff00000000000008", "--format", "json"))
	if dec, _, st := cell(d, "user/gina", "startSessionInstance"); dec != "explicitDeny" || len(st) != 1 || st[0].Sid != "NeverTheStoppedOne" {
		t.Errorf("gina on the stopped instance: %s %+v", dec, st)
	}
	d = parseAccess(t, runInProcess(t, "access", "i-0bad0000000000002", "--format", "json"))
	want := "allowed by everything statement 1, inline policy of user hank, but not by the permissions boundary arn:aws:iam::123456789012:policy/SSHHealthyOnlyBoundary"
	if dec, note, _ := cell(d, "user/hank", "startSessionInstance"); dec != "implicitDeny" || note != want {
		t.Errorf("hank outside his boundary: %s %q\nwant %q", dec, note, want)
	}
	if dec, _, _ := cell(d, "user/hank", "startSessionDocument"); dec != "allowed" {
		t.Errorf("hank's document: %s", dec)
	}
}

// jsonVersion is a JSON report's version field.
var jsonVersion = regexp.MustCompile(`"ssmdoctorVersion": "[^"]*"`)

// TestAccessGolden keeps the three formats of one report byte for byte.
func TestAccessGolden(t *testing.T) {
	demoInProcess(t, "AKIADEMOADMIN0000001", nil)
	for _, f := range []string{"human", "json", "csv"} {
		r := runInProcess(t, "access", demoHealthy, "--format", f, "--deterministic")
		if r.code != exitOK || r.stderr != "" {
			t.Fatalf("--format %s: exit %d\n%s", f, r.code, r.stderr)
		}
		// The version is the build's (cmd_version.go): not pinned here.
		out := jsonVersion.ReplaceAllString(r.stdout, `"ssmdoctorVersion": "VERSION"`)
		golden.Assert(t, "golden/access-demo-healthy."+map[string]string{"human": "txt", "json": "json", "csv": "csv"}[f], []byte(out))
	}
	r := runInProcess(t, "access", "--principal", "user/gina", "--format", "csv", "--deterministic")
	if r.code != exitOK {
		t.Fatalf("--principal user/gina: exit %d\n%s", r.code, r.stderr)
	}
	golden.Assert(t, "golden/access-principal-gina.csv", []byte(r.stdout))
}

func TestAccessFailIfAllowed(t *testing.T) {
	demoInProcess(t, "AKIADEMOADMIN0000001", nil)
	r := runInProcess(t, "access", demoHealthy, "--format", "json", "--fail-if-allowed", "arn:aws:iam::123456789012:user/bob", "--fail-if-allowed", "user/carol")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("bob and carol cannot connect: exit %d\n%s", r.code, r.stderr)
	}
	r = runInProcess(t, "access", demoHealthy, "--format", "json", "--fail-if-allowed", "user/carol", "--fail-if-allowed", "arn:aws:iam::123456789012:role/SSHOperator")
	if r.code != exitProblems || r.stderr != "error: access: --fail-if-allowed: arn:aws:iam::123456789012:role/SSHOperator can connect\n" {
		t.Fatalf("SSHOperator can connect: exit %d\n%s", r.code, r.stderr)
	}
	if d := parseAccess(t, r); len(d.Rows) == 0 {
		t.Fatal("the report is written before the exit")
	}
	// A principal the account does not hold is named, not silently passed.
	r = runInProcess(t, "access", demoHealthy, "--format", "csv", "--fail-if-allowed", "user/mallory")
	if r.code != exitOK || r.stderr != "warning: --fail-if-allowed user/mallory is not a principal of account 123456789012\n" {
		t.Fatalf("unknown principal: exit %d\n%s", r.code, r.stderr)
	}
	// The principal view: gina reaches demo-healthy, so naming her fails.
	r = runInProcess(t, "access", "--principal", "user/gina", "--format", "csv", "--fail-if-allowed", "user/gina")
	if r.code != exitProblems {
		t.Fatalf("--principal user/gina --fail-if-allowed user/gina: exit %d\n%s", r.code, r.stderr)
	}
}

// withKey gives a demo user an access key.
func withKey(user, id string) func(st *awssim.State) {
	return func(st *awssim.State) {
		st.AccessKeys[id] = &awssim.AccessKey{ID: id, Secret: "demo/" + user + "/secret", UserName: user, Status: "Active"}
	}
}

func TestAccessExitCodes(t *testing.T) {
	t.Run("authorization details denied", func(t *testing.T) {
		// gina may start sessions; here she may also read EC2 and SSM, but
		// nothing of IAM.
		demoInProcess(t, "AKIADEMOGINA00000001", func(st *awssim.State) {
			withKey("gina", "AKIADEMOGINA00000001")(st)
			st.Users["gina"].InlinePolicies["read"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","ssm:Get*","ssm:Describe*"],"Resource":"*"}]}`
		})
		r := runInProcess(t, "access", "i-0a11600d000000001")
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != exitInternal || r.stdout != "" || len(lines) != 2 ||
			!strings.HasPrefix(lines[0], "error: access: cannot read the account's principals: iam:GetAccountAuthorizationDetails is denied (AccessDenied") ||
			lines[1] != "hint: access reads every principal with iam:GetAccountAuthorizationDetails: grant it (SecurityAudit and ReadOnlyAccess have it) or run as a principal that has it" {
			t.Fatalf("exit %d\nstdout %q\nstderr %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("simulation denied", func(t *testing.T) {
		// dave may read IAM but not simulate: the report is produced,
		// evaluated alone, and says so.
		demoInProcess(t, "AKIADEMODAVE00000001", nil)
		r := runInProcess(t, "access", "i-0a11600d000000001", "--format", "json")
		d := parseAccess(t, r)
		if r.code != exitOK || d.Simulation.Principals != 0 || !strings.HasPrefix(d.Simulation.Note, "not confirmed by iam:SimulatePrincipalPolicy: the caller may not simulate (AccessDenied") || d.Simulation.Calls != 1 {
			t.Fatalf("exit %d, simulation %+v\n%s", r.code, d.Simulation, r.stderr)
		}
		if got := connecting(d); !slices.Equal(got, accessTable[0].want) {
			t.Fatalf("offline decisions %v, want %v", got, accessTable[0].want)
		}
	})
	t.Run("unknown target and principal", func(t *testing.T) {
		demoInProcess(t, "AKIADEMOADMIN0000001", nil)
		r := runInProcess(t, "access", "i-0123456789abcdef0", "--region", "us-east-1")
		if r.code != exitInternal || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: no instance matches \"i-0123456789abcdef0\" in us-east-1\n") {
			t.Fatalf("unknown instance: exit %d\n%s", r.code, r.stderr)
		}
		r = runInProcess(t, "access", "--principal", "user/mallory")
		if r.code != exitInternal || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: access: user/mallory is not a principal of account 123456789012\n") {
			t.Fatalf("unknown principal: exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"access"},
			{"access", "a", "b"},
			{"access", "web-1", "--principal", "user/alice"},
			{"access", "--principal", "alice"},
			{"access", "--principal", "group/ssh-users"},
			{"access", "web-1", "--format", "junit"},
			{"access", "web-1", "--format", "yaml"},
			{"access", "web-1", "--document", "bad name;rm"},
			{"access", "web-1", "--user", "root;x"},
			{"access", "web-1", "--fail-if-allowed", "alice"},
			{"access", "web 1"},
			{"check", "web-1", "--format", "csv"},
		} {
			r := runInProcess(t, args...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != exitUsage || r.stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "error: ") || !strings.HasPrefix(lines[1], "hint: ") {
				t.Errorf("%v: exit %d\nstdout %q\nstderr %s", args, r.code, r.stdout, r.stderr)
			}
		}
	})
}

// TestAccessOutputFile: --output writes the report there, nothing to stdout.
func TestAccessOutputFile(t *testing.T) {
	demoInProcess(t, "AKIADEMOADMIN0000001", nil)
	out := filepath.Join(t.TempDir(), "access.csv")
	r := runInProcess(t, "access", demoHealthy, "--format", "csv", "--output", out)
	b, err := os.ReadFile(out)
	if r.code != exitOK || r.stdout != "" || err != nil || !strings.HasPrefix(string(b), "principal_type,principal,principal_arn,") {
		t.Fatalf("exit %d, %v\n%s\n%s", r.code, err, b, r.stderr)
	}
	// An output that cannot be written: the report was not produced.
	r = runInProcess(t, "access", demoHealthy, "--output", t.TempDir())
	if r.code != exitInternal || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: open --output file: ") {
		t.Fatalf("unwritable --output: exit %d\n%s", r.code, r.stderr)
	}
}

// TestAccessPrincipalFleet: the principal view over a generated fleet
// matches the fleet's tags instance by instance, in the calls stated.
func TestAccessPrincipalFleet(t *testing.T) {
	st := awssim.GenerateFleet(600, awssim.DefaultFleetMix, 7)
	sim := simtest.Start(t, st, awssim.Options{})
	key := st.AccessKeys["AKIADEMOADMIN0000001"]
	inProcessAWS(t, sim.URL(), key.ID, key.Secret)
	t.Setenv("AWS_REGION", "us-east-1")

	want := map[string]string{} // instance -> decision of StartSession on it
	groups := map[string]int{}  // Scenario value -> instances
	sim.WithState(func(st *awssim.State) {
		for id, in := range st.Instances {
			scen := ""
			for _, tg := range in.Tags {
				if tg.Key == "Scenario" {
					scen = tg.Value
				}
			}
			groups[scen]++
			switch scen {
			case "healthy", "private-with-endpoints":
				want[id] = "allowed"
			case "stopped":
				want[id] = "explicitDeny"
			default:
				want[id] = "implicitDeny"
			}
		}
	})
	sim.ResetCalls()
	r := runInProcess(t, "access", "--principal", "user/gina", "--format", "json")
	d := parseAccess(t, r)
	if r.code != exitOK || d.Mode != "principal" || len(d.Rows) != len(want) {
		t.Fatalf("exit %d, mode %s, %d rows for %d instances\n%s", r.code, d.Mode, len(d.Rows), len(want), r.stderr)
	}
	connect := 0
	for _, row := range d.Rows {
		got := row.Decisions[0].Decision
		if got != want[row.Instance] || row.Simulation != "agrees" || row.CanConnect != (got == "allowed") {
			t.Errorf("%s: %s (simulation %s, can connect %v), want %s", row.Instance, got, row.Simulation, row.CanConnect, want[row.Instance])
		}
		if row.CanConnect {
			connect++
		}
	}
	if connect == 0 || d.Summary.CanConnect != connect {
		t.Errorf("summary %+v, counted %d", d.Summary, connect)
	}
	// The bound: gina's policies read the Scenario tag, so one simulation
	// per Scenario value and 100 instances, plus one for the document.
	bound := 1
	for _, n := range groups {
		bound += (n + 99) / 100
	}
	if n := sim.Calls("iam.SimulatePrincipalPolicy"); n != d.Simulation.Calls || n > bound {
		t.Errorf("%d SimulatePrincipalPolicy calls (report %d), bound %d", n, d.Simulation.Calls, bound)
	}
	if n := sim.Calls("iam.GetAccountAuthorizationDetails"); n != 1 {
		t.Errorf("%d GetAccountAuthorizationDetails calls, want 1", n)
	}
}

// TestAccessKMSAndOneTimeKeys: with session encryption and one-time keys
// a connection needs four actions, and only who has all four can connect.
func TestAccessKMSAndOneTimeKeys(t *testing.T) {
	demoInProcess(t, "AKIADEMOADMIN0000001", func(st *awssim.State) {
		st.SessionPreferences.KMSKeyID = "alias/sessions"
		// erin: SSHViaSessionManager, the key, the interactive-command
		// document, and one-time keys for ubuntu only.
		st.Users["erin"] = &awssim.User{Name: "erin", ID: "AIDADEMOERIN00000001", Path: "/", Groups: []string{"ssh-users"}, InlinePolicies: map[string]string{
			"keys": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":"arn:aws:kms:us-east-1:123456789012:alias/sessions"},
				{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ssm:us-east-1::document/AWS-StartInteractiveCommand"},
				{"Effect":"Deny","Action":"ec2-instance-connect:SendSSHPublicKey","Resource":"*","Condition":{"StringNotEquals":{"ec2:osuser":"ubuntu"}}}]}`,
		}}
	})
	columns := func(d accessDoc) []string {
		var cols []string
		for _, c := range d.Columns {
			cols = append(cols, c.ID)
		}
		return cols
	}
	// SSH sessions are Port sessions, which the agent does not encrypt
	// with the preferences' key: no kms column, and the key does not
	// keep anyone out. The one-time keys do: erin only for ubuntu.
	everyone := []string{"role/AWSReservedSSO_SSHAccess_0123456789abcdef", "role/SSHOperator", "user/alice", "user/dave", "user/demo-admin"}
	for _, user := range []string{"ubuntu", "ec2-user"} {
		r := runInProcess(t, "access", demoHealthy, "--ephemeral-key", "--user", user, "--format", "json")
		d := parseAccess(t, r)
		want := everyone
		if user == "ubuntu" {
			want = append(slices.Clone(everyone), "user/erin")
		}
		if got := connecting(d); r.code != exitOK || !slices.Equal(got, want) || d.Simulation.Disagreements != 0 {
			t.Errorf("--user %s: exit %d, can connect %v, want %v; simulation %+v\n%s", user, r.code, got, want, d.Simulation, r.stderr)
		}
		if cols := columns(d); !slices.Equal(cols, []string{"startSessionInstance", "startSessionDocument", "sendSSHPublicKey"}) {
			t.Errorf("SSH columns %v, want no kms column", cols)
		}
	}
	r := runInProcess(t, "access", demoHealthy)
	if want := "and no KMS permission: AWS-StartSSHSession starts a Port session, which the agent does not encrypt with the preferences' key alias/sessions (shell sessions it does)\n"; r.code != exitOK || !strings.Contains(r.stdout, want) {
		t.Errorf("human report: exit %d, want %q in\n%s", r.code, want, r.stdout)
	}
	// A shell document's sessions are encrypted: kms:GenerateDataKey is
	// needed, and only erin and the administrator hold it.
	r = runInProcess(t, "access", demoHealthy, "--document", "AWS-StartInteractiveCommand", "--format", "json")
	d := parseAccess(t, r)
	if got, want := connecting(d), []string{"user/demo-admin", "user/erin"}; r.code != exitOK || !slices.Equal(got, want) || d.Simulation.Disagreements != 0 {
		t.Errorf("AWS-StartInteractiveCommand: exit %d, can connect %v, want %v\n%s", r.code, got, want, r.stderr)
	}
	if cols := columns(d); !slices.Equal(cols, []string{"startSessionInstance", "startSessionDocument", "kmsGenerateDataKey"}) {
		t.Errorf("shell columns %v", cols)
	}
}

// TestAccessTimeout: --timeout bounds the whole run and says so (exit 3).
func TestAccessTimeout(t *testing.T) {
	sim := demoInProcess(t, "AKIADEMOADMIN0000001", nil)
	sim.SetLatency(400 * time.Millisecond)
	start := time.Now()
	r := runInProcess(t, "access", demoHealthy, "--timeout", "300ms")
	if r.code != exitInternal || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: access: --timeout 300ms ran out (") || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %v\n%s", r.code, time.Since(start), r.stderr)
	}
}

// TestAccessVerbose: --verbose explains principals no policy gives
// anything, and logs the AWS calls on stderr.
func TestAccessVerbose(t *testing.T) {
	demoInProcess(t, "AKIADEMOADMIN0000001", nil)
	r := runInProcess(t, "access", demoHealthy)
	if r.code != exitOK || strings.Contains(r.stdout, "role/AppServerRole: cannot connect") || r.stderr != "" {
		t.Fatalf("without --verbose: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runInProcess(t, "access", demoHealthy, "--verbose")
	if r.code != exitOK || !strings.Contains(r.stdout, "role/AppServerRole: cannot connect\n  ✗ StartSession instance: no policy allows it\n") ||
		!strings.Contains(r.stderr, "aws: iam GetAccountAuthorizationDetails 200 ") || !strings.Contains(r.stderr, "aws: iam SimulatePrincipalPolicy 200 ") {
		t.Fatalf("--verbose: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
