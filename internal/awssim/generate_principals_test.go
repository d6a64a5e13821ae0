package awssim

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

func TestGeneratePrincipals(t *testing.T) {
	a, b := GenerateFleet(10, DefaultFleetMix, 1), GenerateFleet(10, DefaultFleetMix, 1)
	users0, roles0 := len(a.Users), len(a.Roles)
	GeneratePrincipals(a, 1000, 3)
	GeneratePrincipals(b, 1000, 3)
	if !reflect.DeepEqual(a.Users, b.Users) || !reflect.DeepEqual(a.Roles, b.Roles) {
		t.Fatal("the same seed gave different principals")
	}
	if u, r := len(a.Users)-users0, len(a.Roles)-roles0; u != 600 || r != 400 {
		t.Fatalf("%d users and %d roles, want 600 and 400", u, r)
	}
	sso := 0
	for _, r := range a.Roles {
		if !strings.HasPrefix(r.Name, "gen-role-") && !strings.HasPrefix(r.Name, "AWSReservedSSO_Gen") {
			continue
		}
		if strings.HasPrefix(r.Path, "/aws-reserved/sso.amazonaws.com/") {
			sso++
		}
		for _, d := range append([]string{r.AssumeRolePolicy}, values(r.InlinePolicies)...) {
			if _, err := iampolicy.Parse(d); err != nil {
				t.Fatalf("role %s: %v", r.Name, err)
			}
		}
		for _, p := range r.AttachedPolicies {
			if _, ok := a.managedPolicy(p); !ok {
				t.Fatalf("role %s: attached %s does not exist", r.Name, p)
			}
		}
	}
	for _, u := range a.Users {
		for _, d := range values(u.InlinePolicies) {
			if _, err := iampolicy.Parse(d); err != nil {
				t.Fatalf("user %s: %v", u.Name, err)
			}
		}
		if u.PermissionBoundary != "" {
			if _, ok := a.managedPolicy(u.PermissionBoundary); !ok {
				t.Fatalf("user %s: boundary %s does not exist", u.Name, u.PermissionBoundary)
			}
		}
		for _, g := range u.Groups {
			if a.Groups[g] == nil {
				t.Fatalf("user %s: group %s does not exist", u.Name, g)
			}
		}
	}
	if sso == 0 || sso == 400 {
		t.Errorf("%d of 400 roles are Identity Center roles; want a mix", sso)
	}
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
