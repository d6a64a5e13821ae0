package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// accessBenchAccount: a generated fleet of 10,000 instances (GenerateFleet,
// seed 1) with 1,000 generated principals on top of the demo's
// (GeneratePrincipals, seed 1), 20 ms added to every call, and this
// process's AWS configuration pointed at it as the demo administrator.
func accessBenchAccount(b *testing.B) (*awssim.Sim, *awssim.State) {
	st := awssim.GenerateFleet(10000, awssim.DefaultFleetMix, 1)
	awssim.GeneratePrincipals(st, 1000, 1)
	sim := simtest.Start(b, st, awssim.Options{})
	sim.SetLatency(20 * time.Millisecond)
	home := b.TempDir()
	key := st.AccessKeys["AKIADEMOADMIN0000001"]
	for k, v := range map[string]string{
		"HOME": home, "AWS_CONFIG_FILE": filepath.Join(home, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "aws-credentials"),
		"AWS_ACCESS_KEY_ID": key.ID, "AWS_SECRET_ACCESS_KEY": key.Secret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL": sim.URL(), "NO_COLOR": "1",
	} {
		b.Setenv(k, v)
	}
	return sim, st
}

// authDetailsEntries counts what GetAccountAuthorizationDetails lists:
// users, groups, roles and the managed policies in use.
func authDetailsEntries(st *awssim.State) int {
	used := map[string]bool{}
	for arn := range st.Policies {
		used[arn] = true
	}
	for _, u := range st.Users {
		for _, a := range u.AttachedPolicies {
			used[a] = true
		}
		if u.PermissionBoundary != "" {
			used[u.PermissionBoundary] = true
		}
	}
	for _, g := range st.Groups {
		for _, a := range g.AttachedPolicies {
			used[a] = true
		}
	}
	for _, r := range st.Roles {
		for _, a := range r.AttachedPolicies {
			used[a] = true
		}
	}
	return len(st.Users) + len(st.Groups) + len(st.Roles) + len(used)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func runAccessBench(b *testing.B, sim *awssim.Sim, args ...string) (calls, simCalls, rows int, wall time.Duration) {
	b.Helper()
	sim.ResetCalls()
	var stdout, stderr bytes.Buffer
	t0 := time.Now()
	code := run(context.Background(), append([]string{"ssmdoctor", "access", "--format", "json"}, args...), strings.NewReader(""), &stdout, &stderr)
	wall = time.Since(t0)
	if code != exitOK {
		b.Fatalf("access %v: exit %d\n%s", args, code, stderr.String())
	}
	var d struct {
		Rows       []json.RawMessage
		Simulation struct{ Calls, Disagreements int }
	}
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		b.Fatal(err)
	}
	if d.Simulation.Disagreements != 0 {
		b.Fatalf("access %v: %d disagreements", args, d.Simulation.Disagreements)
	}
	for _, n := range sim.AllCalls() {
		calls += n
	}
	return calls, sim.Calls("iam.SimulatePrincipalPolicy"), len(d.Rows), wall
}

// BenchmarkAccessTarget: every principal of a 1,000-principal account
// for one instance of a 10,000-instance fleet.
//
// Bound: ceil(E/1000) GetAccountAuthorizationDetails pages (E entries:
// users, groups, roles, managed policies in use) + 3 (GetCallerIdentity,
// DescribeInstances, GetDocument) + 2 SimulatePrincipalPolicy per
// principal (at most two distinct contexts its policies read: the
// document's and the instance's).
func BenchmarkAccessTarget(b *testing.B) {
	sim, st := accessBenchAccount(b)
	var ids []string
	for id, in := range st.Instances {
		for _, tg := range in.Tags {
			if tg.Key == "Scenario" && tg.Value == "healthy" {
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	principals := len(st.Users) + len(st.Roles)
	bound := ceilDiv(authDetailsEntries(st), 1000) + 3 + 2*principals
	for range b.N {
		calls, simCalls, rows, wall := runAccessBench(b, sim, ids[0], "--region", "us-east-1")
		if rows != principals || calls > bound {
			b.Fatalf("%d rows for %d principals, %d calls, bound %d", rows, principals, calls, bound)
		}
		b.ReportMetric(float64(principals), "principals")
		b.ReportMetric(float64(calls), "calls")
		b.ReportMetric(float64(simCalls), "simulate-calls")
		b.ReportMetric(float64(bound), "bound")
		b.ReportMetric(wall.Seconds(), "wall-s")
	}
}

// BenchmarkAccessPrincipal: one principal over the 10,000 instances, for
// a principal whose policies read no tag (alice, group ssh-users) and one
// whose policies read the Scenario tag (gina).
//
// Bound: ceil(E/1000) + 1 GetCallerIdentity + ceil(N/1000)
// DescribeInstances + max(1, ceil(H/50)) DescribeInstanceInformation
// (hybrid nodes) + 1 GetDocument + the sum over the distinct contexts the
// principal's policies read (its groups of instances) of ceil(n/100)
// SimulatePrincipalPolicy, + 1 for the document.
func BenchmarkAccessPrincipal(b *testing.B) {
	sim, st := accessBenchAccount(b)
	byScenario := map[string]int{}
	hybrid := 0
	for id, in := range st.Instances {
		if strings.HasPrefix(id, "mi-") {
			hybrid++
			continue
		}
		for _, tg := range in.Tags {
			if tg.Key == "Scenario" {
				byScenario[tg.Value]++
			}
		}
	}
	n := len(st.Instances)
	base := ceilDiv(authDetailsEntries(st), 1000) + 1 + ceilDiv(n-hybrid, 1000) + max(1, ceilDiv(hybrid, 50)) + 1
	for _, who := range []struct{ principal, reads string }{{"user/alice", "no tag"}, {"user/gina", "the Scenario tag"}} {
		bound := base + ceilDiv(n, 100) + 1
		if who.reads != "no tag" {
			bound = base + 1
			for _, c := range byScenario {
				bound += ceilDiv(c, 100)
			}
		}
		b.Run(strings.TrimPrefix(who.principal, "user/"), func(b *testing.B) {
			for range b.N {
				calls, simCalls, rows, wall := runAccessBench(b, sim, "--principal", who.principal, "--region", "us-east-1")
				if rows != n || calls > bound {
					b.Fatalf("%d rows for %d instances, %d calls, bound %d", rows, n, calls, bound)
				}
				b.ReportMetric(float64(rows), "instances")
				b.ReportMetric(float64(calls), "calls")
				b.ReportMetric(float64(simCalls), "simulate-calls")
				b.ReportMetric(float64(bound), "bound")
				b.ReportMetric(wall.Seconds(), "wall-s")
			}
		})
	}
}
