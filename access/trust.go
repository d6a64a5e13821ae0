package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// Trust is who a role's trust policy lets assume it.
type Trust struct {
	// Trusted lists each principal an Allow statement names for an
	// sts:AssumeRole* action: "AWS arn:aws:iam::123456789012:user/alice",
	// "Service ec2.amazonaws.com", "Federated arn:aws:iam::…:saml-provider/…",
	// with " (with conditions)" when the statement has some.
	Trusted []string
	// IdentityCenter is the permission set's name when the role is one
	// IAM Identity Center made for a permission set (path
	// /aws-reserved/sso.amazonaws.com/, name AWSReservedSSO_<set>_<id>);
	// who is assigned to the set is not visible in IAM.
	IdentityCenter string
	Problem        string // the trust policy could not be read
}

const identityCenterPath = "/aws-reserved/sso.amazonaws.com/"

func parseTrust(p *Principal, doc string) *Trust {
	t := &Trust{}
	if strings.HasPrefix(p.Path, identityCenterPath) && strings.HasPrefix(p.Name, "AWSReservedSSO_") {
		set := strings.TrimPrefix(p.Name, "AWSReservedSSO_")
		if i := strings.LastIndexByte(set, '_'); i > 0 {
			set = set[:i]
		}
		t.IdentityCenter = set
	}
	if strings.TrimSpace(doc) == "" {
		return t
	}
	pol, err := iampolicy.Parse(doc)
	if err != nil {
		t.Problem = fmt.Sprintf("the trust policy does not parse: %v", err)
		return t
	}
	seen := map[string]bool{}
	for _, st := range pol.Statements {
		if st.Effect != "Allow" || !assumes(st) {
			continue
		}
		suffix := ""
		if len(st.Conditions) > 0 {
			suffix = " (with conditions)"
		}
		types := make([]string, 0, len(st.Principal))
		for typ := range st.Principal {
			types = append(types, typ)
		}
		sort.Strings(types)
		for _, typ := range types {
			for _, v := range st.Principal[typ] {
				s := typ + " " + v
				if typ == "*" {
					s = "anyone (Principal \"*\")"
				}
				s += suffix
				if !seen[s] {
					seen[s] = true
					t.Trusted = append(t.Trusted, s)
				}
			}
		}
		if len(st.NotPrincipal) > 0 && !seen["NotPrincipal"] {
			seen["NotPrincipal"] = true
			t.Trusted = append(t.Trusted, "every principal but those NotPrincipal names"+suffix)
		}
	}
	return t
}

func assumes(st iampolicy.Statement) bool {
	for _, a := range []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"} {
		if len(st.NotAction) > 0 {
			ok := true
			for _, na := range st.NotAction {
				if iampolicy.MatchAction(na, a) {
					ok = false
				}
			}
			if ok {
				return true
			}
			continue
		}
		for _, pat := range st.Action {
			if iampolicy.MatchAction(pat, a) {
				return true
			}
		}
	}
	return false
}
