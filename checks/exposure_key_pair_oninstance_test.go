package checks

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

const (
	keyPairInstance      = "i-0bad000000000000c"
	demoLegacyFP         = "SHA256:O1LpjgNU40hOijqvtklZuZQeBhk5xFE8ZrDy9Mjp5so"
	keyPairWarnToday     = "launched with key pair demo-legacy while one-time keys work: Amazon Linux 2023 ships EC2 Instance Connect"
	keyPairNotTellPrefix = "--on-instance: could not tell whether demo-legacy is still in authorized_keys: "
)

// runKeyPairOnInstance runs exposure-key-pair (and what it depends on) on
// the demo's key-pair instance of st, as keyID, with --on-instance.
func runKeyPairOnInstance(t *testing.T, st *awssim.State, keyID string) (Result, *awssim.Sim) {
	t.Helper()
	a, s := simEnv(t, st, keyID)
	ts, err := awsfacts.ResolveTargets(context.Background(), a, []string{keyPairInstance}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{AWS: a, Target: ts[0], Options: Options{OnInstance: true, OnInstanceWait: 20 * time.Second}}
	for _, o := range Run(context.Background(), env, Select(awsChecks(), "exposure-key-pair"), RunOptions{}) {
		if o.ID == "exposure-key-pair" {
			return o.Result, s
		}
	}
	t.Fatal("exposure-key-pair did not run")
	return Result{}, nil
}

func noKeyMaterial(t *testing.T, r Result) {
	t.Helper()
	if all := r.Message + "\n" + strings.Join(r.Details, "\n"); strings.Contains(all, "AAAA") {
		t.Errorf("key material in the result: %q", all)
	}
}

// The demo's key-pair instance still has demo-legacy's key in ec2-user's
// authorized_keys: warn, naming the fingerprint and the line to remove.
func TestExposureKeyPairStillAuthorized(t *testing.T) {
	r, s := runKeyPairOnInstance(t, awssim.DemoScenario(), awssim.DemoAccessKey)
	if r.Status != StatusWarn || r.Message != "key pair demo-legacy ("+demoLegacyFP+") is still authorized for ec2-user" {
		t.Fatalf("still authorized: %s %q", r.Status, r.Message)
	}
	want := []string{
		keyPairWarnToday,
		"whoever holds the key pair's private key can log in for as long as its public key stays in ~/.ssh/authorized_keys, outside IAM and Session Manager",
		"ssmdoctor ssh --ephemeral-key pushes a new key for each connection (valid 60 seconds), allowed or denied by IAM",
		"to retire demo-legacy: on the instance, remove the line of /home/ec2-user/.ssh/authorized_keys whose fingerprint is " + demoLegacyFP +
			" (ssh-keygen -lf /home/ec2-user/.ssh/authorized_keys lists them in file order); the key pair stays in the instance's launch record",
	}
	if strings.Join(r.Details, "\n") != strings.Join(want, "\n") {
		t.Errorf("details:\n%s\nwant:\n%s", strings.Join(r.Details, "\n"), strings.Join(want, "\n"))
	}
	noKeyMaterial(t, r)
	if n := s.Calls("ec2.DescribeKeyPairs"); n != 1 {
		t.Errorf("DescribeKeyPairs called %d times, want 1", n)
	}
}

// The key removed from authorized_keys (an image without it): pass, saying
// so.
func TestExposureKeyPairRemoved(t *testing.T) {
	st := awssim.DemoScenario()
	inst := st.Instances[keyPairInstance]
	inst.OS = awssim.DefaultOS(inst) // built before loading: only the demo user's key
	r, _ := runKeyPairOnInstance(t, st, awssim.DemoAccessKey)
	if r.Status != StatusPass || r.Message != "key pair demo-legacy ("+demoLegacyFP+") is no longer in ec2-user's authorized_keys" ||
		len(r.Details) != 1 || r.Details[0] != keyPairWarnToday+"; its private key no longer logs in as ec2-user" {
		t.Errorf("removed: %s %q %q", r.Status, r.Message, r.Details)
	}
	noKeyMaterial(t, r)
}

// When the comparison cannot be made, today's judgement stands with a
// note: the on-instance script may not be sent (no ssm:SendCommand), the
// agent is not online, the key pair cannot be described, or it is gone.
func TestExposureKeyPairOnInstanceFailed(t *testing.T) {
	user := func(st *awssim.State, actions string, deny string) string {
		pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + actions + `],"Resource":"*"}`
		if deny != "" {
			pol += `,{"Effect":"Deny","Action":"` + deny + `","Resource":"*"}`
		}
		st.Users["kp"] = &awssim.User{Name: "kp", ID: "AIDAKEYPAIRTEST00001", InlinePolicies: map[string]string{"p": pol + `]}`}}
		st.AccessKeys["AKIAKEYPAIRTEST00001"] = &awssim.AccessKey{ID: "AKIAKEYPAIRTEST00001", Secret: "kp-secret", UserName: "kp", Status: "Active"}
		return "AKIAKEYPAIRTEST00001"
	}
	const reads = `"ssm:Describe*","ssm:Get*","ec2:Describe*","iam:Get*","iam:List*","iam:SimulatePrincipalPolicy","sts:GetCallerIdentity","kms:*"`
	for _, c := range []struct {
		name string
		prep func(st *awssim.State) string
		why  string
	}{
		{"no SendCommand", func(st *awssim.State) string { return user(st, reads, "") },
			"the on-instance script did not run (cannot run the on-instance script: "},
		{"agent offline", func(st *awssim.State) string {
			st.Instances[keyPairInstance].Agent.PingStatus = "ConnectionLost"
			return awssim.DemoAccessKey
		}, "the on-instance script was not sent (the agent is ConnectionLost)"},
		{"DescribeKeyPairs denied", func(st *awssim.State) string { return user(st, reads+`,"ssm:SendCommand"`, "ec2:DescribeKeyPairs") },
			"could not read the key pair's public key (ec2:DescribeKeyPairs: "},
		{"key pair deleted", func(st *awssim.State) string { delete(st.KeyPairs, "demo-legacy"); return awssim.DemoAccessKey },
			"the key pair no longer exists in the account, so its public key cannot be compared"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := awssim.DemoScenario()
			r, _ := runKeyPairOnInstance(t, st, c.prep(st))
			if r.Status != StatusWarn || r.Message != keyPairWarnToday {
				t.Fatalf("judgement changed: %s %q %q", r.Status, r.Message, r.Details)
			}
			last := r.Details[len(r.Details)-1]
			if !strings.HasPrefix(last, keyPairNotTellPrefix+c.why) ||
				r.Details[len(r.Details)-2] != "to retire demo-legacy: remove its line from the OS user's ~/.ssh/authorized_keys on the instance; the key pair stays in the instance's launch record" {
				t.Errorf("details: %q", r.Details)
			}
		})
	}
}

// Without --on-instance exposure-key-pair makes no call of its own: no
// DescribeKeyPairs, on one instance or over a fleet whose instances have
// key pairs; with it, a fleet costs one DescribeKeyPairs for all its key
// pair names.
func TestExposureKeyPairFleetCalls(t *testing.T) {
	st := awssim.DemoScenario()
	r, s := func() (Result, *awssim.Sim) {
		a, s := simEnv(t, st, awssim.DemoAccessKey)
		return runOn(t, a, keyPairInstance, Options{})["exposure-key-pair"], s
	}()
	if r.Status != StatusWarn || r.Message != keyPairWarnToday || s.Calls("ec2.DescribeKeyPairs") != 0 {
		t.Errorf("without --on-instance: %s %q, %d DescribeKeyPairs", r.Status, r.Message, s.Calls("ec2.DescribeKeyPairs"))
	}

	const n = 40
	fleet := func() *awssim.State {
		st := hybridFleet(n, 0)
		demo := awssim.DemoScenario()
		st.KeyPairs = map[string]*awssim.KeyPair{"fleet-a": {PublicKey: demo.KeyPairs["demo-legacy"].PublicKey}}
		i := 0
		for _, id := range sortedIDs(st) {
			switch i % 3 {
			case 0:
				st.Instances[id].KeyName = "fleet-a"
			case 1:
				st.Instances[id].KeyName = "fleet-gone" // deleted since
			}
			i++
		}
		return st
	}
	res := fleetRun(t, fleet(), 0)
	bound := fleetLowerBound(fleet())
	if got := res.counts["ec2.DescribeKeyPairs"]; got != 0 || float64(res.calls) > 1.1*float64(bound) {
		t.Errorf("fleet without --on-instance: %d DescribeKeyPairs, %d calls (bound %d)", got, res.calls, bound)
	}

	const small = 6
	st = hybridFleet(small, 0)
	st.KeyPairs = map[string]*awssim.KeyPair{"fleet-a": {PublicKey: awssim.DemoScenario().KeyPairs["demo-legacy"].PublicKey}}
	for i, id := range sortedIDs(st) {
		st.Instances[id].KeyName = []string{"fleet-a", "fleet-gone"}[i%2]
	}
	a, s := simEnvAttempts(t, st, awssim.DemoAccessKey, 3)
	ctx := context.Background()
	targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := PrefetchFleet(ctx, &Env{AWS: a}, targets); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, tg := range targets {
		env := &Env{AWS: a, Target: tg, Options: Options{OnInstance: true, OnInstanceWait: 20 * time.Second}}
		for _, o := range Run(ctx, env, Select(awsChecks(), "exposure-key-pair"), RunOptions{}) {
			if o.ID == "exposure-key-pair" && strings.HasSuffix(o.Result.Message, ") is still authorized for ec2-user") {
				compared++
			}
		}
	}
	if got := s.Calls("ec2.DescribeKeyPairs"); got != 1 || compared == 0 {
		t.Errorf("fleet of %d with --on-instance: %d DescribeKeyPairs (want 1), %d instances compared", small, got, compared)
	}
}

func sortedIDs(st *awssim.State) []string {
	return slices.Sorted(maps.Keys(st.Instances))
}
