package checks

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// TestSimFleetRegistrationsReadWhileListing: asked for before the listing
// (as check --all does), the registrations are read while the instance
// pages still come: when ResolveTargets returns, the simulator has already
// received DescribeInstanceInformation calls for the first pages' ids
// (without the request, only the hybrid listing's one call). The calls are
// the same in number: ceil(N/50) by id plus the listing's, and
// PrefetchFleet asks none again.
func TestSimFleetRegistrationsReadWhileListing(t *testing.T) {
	const n = 2500 // three pages of DescribeInstances
	for _, early := range []bool{false, true} {
		a, s := simEnvAttempts(t, awssim.GenerateFleet(n, awssim.DefaultFleetMix, 1), awssim.DemoAccessKey, 3)
		s.SetLatency(50 * time.Millisecond)
		s.ResetCalls()
		ctx := context.Background()
		if early {
			a.ReadRegistrationsWhileListing()
		}
		targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		during := s.Calls("ssm.DescribeInstanceInformation")
		if err := PrefetchFleet(ctx, &Env{AWS: a}, targets); err != nil {
			t.Fatal(err)
		}
		total := s.Calls("ssm.DescribeInstanceInformation")
		t.Logf("early=%v: %d DescribeInstanceInformation calls while listing, %d in all", early, during, total)
		if want := n/50 + 1; total != want {
			t.Errorf("early=%v: %d DescribeInstanceInformation calls, want %d (ceil(N/50) by id and the hybrid listing)", early, total, want)
		}
		switch {
		case !early && during != 1:
			t.Errorf("without the request: %d calls during the listing, want the hybrid listing's 1", during)
		case early && during < 1+parallelChunksForTest:
			t.Errorf("with the request: %d calls during the listing, want at least %d (a first round of chunks while later pages came)", during, 1+parallelChunksForTest)
		}
	}
}

var stamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// parallelChunksForTest is awsfacts' calls-at-once limit per chain (8).
const parallelChunksForTest = 8

// TestSimFleetEarlyAnswersEqualLate: a fleet check whose listing starts
// the fleet's questions (PrefetchWhileListing, as check --all does) makes
// the same calls, API by API, and reaches the same result on every check
// of every target as one that asks them after the listing, for a caller
// who may simulate (demo-admin), one whose StartSession depends on an
// instance tag (a third of the fleet is Team=blue), one who may not
// simulate (dave: offline evaluation) and one denied the document (bob).
// The fleet is not a multiple of the batch sizes and has hybrid nodes, so
// the last partial StartSession batch is shared with them.
func TestSimFleetEarlyAnswersEqualLate(t *testing.T) {
	const reads = `{"Effect":"Allow","Action":["ec2:Describe*","ssm:Describe*","ssm:GetConnectionStatus","ssm:GetServiceSetting","ssm:GetDocument","ssm:TerminateSession","ssm:ResumeSession","sts:GetCallerIdentity","iam:SimulatePrincipalPolicy","iam:Get*","iam:List*","kms:GenerateDataKey","ec2-instance-connect:SendSSHPublicKey"],"Resource":"*"}`
	const tagScoped = `{"Version":"2012-10-17","Statement":[` + reads + `,
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/Team":"blue"}}},
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":["arn:aws:ssm:*::document/AWS-StartSSHSession","arn:aws:ssm:*:*:managed-instance/*"]}]}`
	const taggedKey = "AKIATAGSCOPEDFLEET01"
	fleet := func() *awssim.State {
		st := hybridFleet(1030, 3)
		st.Users["tagged"] = &awssim.User{Name: "tagged", ID: "AIDATAGGEDFLEET00001", InlinePolicies: map[string]string{"p": tagScoped}}
		st.AccessKeys[taggedKey] = &awssim.AccessKey{ID: taggedKey, Secret: awssim.DemoSecretKey, UserName: "tagged", Status: "Active"}
		i := 0
		for _, id := range slices.Sorted(maps.Keys(st.Instances)) {
			if i%3 == 0 {
				st.Instances[id].Tags = append(st.Instances[id].Tags, awssim.Tag{Key: "Team", Value: "blue"})
			}
			i++
		}
		return st
	}
	for _, user := range []string{"demo-admin", "tagged", "dave", "bob"} {
		t.Run(user, func(t *testing.T) {
			key := taggedKey
			if user != "tagged" {
				key = demoKey(t, user)
			}
			type run struct {
				calls, final map[string]int // after the prefetch, after the checks
				outcomes     map[string]string
			}
			runs := map[bool]run{}
			for _, early := range []bool{false, true} {
				a, s := simEnvAttempts(t, fleet(), key, 3)
				ctx := context.Background()
				if early {
					PrefetchWhileListing(a)
				}
				targets, err := awsfacts.ResolveTargets(ctx, a, nil, nil, true)
				if err != nil {
					t.Fatal(err)
				}
				if err := PrefetchFleet(ctx, &Env{AWS: a}, targets); err != nil {
					t.Fatal(err)
				}
				r := run{calls: s.AllCalls(), outcomes: map[string]string{}}
				for _, tg := range targets {
					for _, o := range Run(ctx, &Env{AWS: a, Target: tg}, awsChecks(), RunOptions{}) {
						// The last ping is the simulator's clock.
						r.outcomes[tg.InstanceID+" "+o.ID] = string(o.Result.Status) + ": " + stamp.ReplaceAllString(o.Result.Message, "TIME")
					}
				}
				r.final = s.AllCalls()
				runs[early] = r
			}
			late, early := runs[false], runs[true]
			if user == "dave" {
				// dave may not simulate. After the listing, the caller's
				// StartSession batch goes out at once and each of its
				// ceil(1033/100) calls is denied; while listing, the first
				// chunk's denial is waited for and the others are not sent.
				if got, want := early.calls["iam.SimulatePrincipalPolicy"], late.calls["iam.SimulatePrincipalPolicy"]-10; got != want {
					t.Errorf("dave: %d simulations while listing, want %d (after listing %d)", got, want, late.calls["iam.SimulatePrincipalPolicy"])
				}
				for _, m := range []map[string]int{late.calls, early.calls, late.final, early.final} {
					delete(m, "iam.SimulatePrincipalPolicy")
				}
			}
			if !maps.Equal(early.calls, late.calls) {
				t.Errorf("prefetch calls while listing %v\nafter listing %v", early.calls, late.calls)
			}
			if !maps.Equal(early.final, late.final) {
				t.Errorf("calls with the checks' while listing %v\nafter listing %v", early.final, late.final)
			}
			if len(runs[true].outcomes) != len(runs[false].outcomes) || len(runs[true].outcomes) < 1033*20 {
				t.Fatalf("%d and %d outcomes", len(runs[true].outcomes), len(runs[false].outcomes))
			}
			differ := 0
			for k, v := range runs[false].outcomes {
				if runs[true].outcomes[k] != v {
					if differ++; differ <= 5 {
						t.Errorf("%s: while listing %q, after listing %q", k, runs[true].outcomes[k], v)
					}
				}
			}
			// The decisions the user's policy makes, by hand.
			pass, fail := 0, 0
			for k, v := range runs[true].outcomes {
				if strings.HasSuffix(k, " caller-start-session") {
					if strings.HasPrefix(v, "pass") {
						pass++
					} else {
						fail++
					}
				}
			}
			want := map[string][2]int{"demo-admin": {1033, 0}, "dave": {1033, 0}, "bob": {0, 1033}, "tagged": {344 + 3, 1030 - 344}}[user]
			if pass != want[0] || fail != want[1] {
				t.Errorf("caller-start-session passes on %d and fails on %d targets, want %d and %d", pass, fail, want[0], want[1])
			}
		})
	}
}

// TestSimFleetQuestionsAskedWhileListing: with PrefetchWhileListing the
// caller's StartSession simulations, the instance profiles and the
// region's statuses are asked for while the instance pages still come.
func TestSimFleetQuestionsAskedWhileListing(t *testing.T) {
	a, s := simEnvAttempts(t, awssim.GenerateFleet(2500, awssim.DefaultFleetMix, 1), awssim.DemoAccessKey, 3)
	s.SetLatency(50 * time.Millisecond)
	s.ResetCalls()
	PrefetchWhileListing(a)
	if _, err := awsfacts.ResolveTargets(context.Background(), a, nil, nil, true); err != nil {
		t.Fatal(err)
	}
	for _, api := range []string{"iam.SimulatePrincipalPolicy", "iam.GetInstanceProfile", "ec2.DescribeInstanceStatus", "sts.GetCallerIdentity"} {
		if s.Calls(api) == 0 {
			t.Errorf("no %s call while listing", api)
		}
	}
}
