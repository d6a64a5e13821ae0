package checkrun

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// With credentials broken every check beyond the workstation waits for
// the credentials check (so it is skipped behind it); otherwise the list
// is the catalogue's, untouched.
func TestChecksForCredentialsBroken(t *testing.T) {
	target := &awsfacts.Target{Input: "i-0123456789abcdef0", InstanceID: "i-0123456789abcdef0"}
	plain := checksFor(target, false)
	broken := checksFor(target, true)
	if len(plain) != len(broken) || len(plain) != len(checks.ForTarget(checks.All(), true)) {
		t.Fatalf("%d checks plain, %d broken", len(plain), len(broken))
	}
	for i, c := range broken {
		waits := slices.Contains(c.DependsOn(), "credentials")
		if c.Layer() != checks.LayerLocal && !waits {
			t.Errorf("%s does not wait for credentials", c.ID())
		}
		if c.ID() != plain[i].ID() || (c.Layer() == checks.LayerLocal && !slices.Equal(c.DependsOn(), plain[i].DependsOn())) {
			t.Errorf("%s: changed beyond its prerequisites", c.ID())
		}
	}
	for i, c := range checks.ForTarget(checks.All(), true) {
		if plain[i].ID() != c.ID() || !slices.Equal(plain[i].DependsOn(), c.DependsOn()) {
			t.Errorf("%s: changed with credentials working", c.ID())
		}
	}
	// A run then reports every AWS check as skipped behind credentials.
	env := &checks.Env{Local: checks.NewLocalEnv()}
	env.Local.Credentials = func(context.Context) (checks.CredentialsInfo, error) {
		return checks.CredentialsInfo{}, errors.New("no credentials")
	}
	env.Local.Exec = func(context.Context, string, ...string) ([]byte, []byte, error) {
		return nil, nil, errors.New("not here")
	}
	env.Local.LookPath = func(string) (string, error) { return "", errors.New("not here") }
	rt := checkTarget(t.Context(), env, nil, nil, true, func(string, int, int, checks.Outcome) {})
	for _, o := range rt.Checks {
		if o.Layer != checks.LayerLocal && (o.Result.Status != checks.StatusSkip || !strings.HasPrefix(o.Result.Message, "prerequisite credentials failed")) {
			t.Errorf("%s: %s %q", o.ID, o.Result.Status, o.Result.Message)
		}
	}
}

func TestProblems(t *testing.T) {
	for _, c := range []struct {
		s               report.Summary
		strict, lenient bool
	}{
		{report.Summary{Passed: 3}, false, false},
		{report.Summary{Failed: 1}, true, true},
		{report.Summary{Warnings: 1}, true, false},
		{report.Summary{Undetermined: 1}, true, false},
		{report.Summary{Skipped: 4}, false, false},
	} {
		if got := Problems(c.s, true); got != c.strict {
			t.Errorf("%+v strict: %v", c.s, got)
		}
		if got := Problems(c.s, false); got != c.lenient {
			t.Errorf("%+v: %v", c.s, got)
		}
	}
}

// Without credentials the targets stay as typed, in the region the
// profile names; --all and --filter become one run without a target.
func TestUnresolvedTargets(t *testing.T) {
	ts := unresolvedTargets(Options{Targets: []string{"web", "i-0123456789abcdef0"}, Checks: checks.Options{Region: "eu-west-1"}})
	if len(ts) != 2 || ts[0].Input != "web" || ts[0].InstanceID != "" || ts[1].Region != "eu-west-1" {
		t.Fatalf("%+v", ts)
	}
	if ts := unresolvedTargets(Options{All: true}); len(ts) != 1 || ts[0] != nil {
		t.Fatalf("--all: %+v", ts)
	}
}

// No target asked for: one run of the local and caller checks, and no
// AWS call (env has no AWS view at all).
func TestResolveNothingAskedFor(t *testing.T) {
	ts, err := Resolve(t.Context(), &checks.Env{}, nil, nil, false)
	if err != nil || len(ts) != 1 || ts[0] != nil {
		t.Fatalf("%v %v", ts, err)
	}
}

// A target found in another region is checked with that region's
// clients, built once per region; the default region's target keeps the
// base environment.
func TestRegionalEnvs(t *testing.T) {
	clients := awsapi.FromConfig(aws.Config{Region: "eu-west-1"}, nil)
	base := &checks.Env{AWS: awsfacts.NewAWSEnv(clients), Sessions: checks.NewSessionOpener(clients.SSM, clients.KMS)}
	r := regionalEnvs{base: base, clients: clients}
	if r.forTarget(nil) != base || r.forTarget(&awsfacts.Target{Region: "eu-west-1"}) != base || r.forTarget(&awsfacts.Target{}) != base {
		t.Fatal("the default region got an environment of its own")
	}
	other := r.forTarget(&awsfacts.Target{Region: "us-west-2"})
	if other == base || other.AWS.Region != "us-west-2" || other.Sessions == nil {
		t.Fatalf("other region: %+v", other)
	}
	if r.forTarget(&awsfacts.Target{Region: "us-west-2"}) != other {
		t.Fatal("a second target of the region built another environment")
	}
}

func TestCatalogue(t *testing.T) {
	for _, f := range CatalogueFormats {
		b, err := Catalogue(f)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if _, err := Catalogue("junit"); err == nil {
		t.Fatal("junit: no error")
	}
}
