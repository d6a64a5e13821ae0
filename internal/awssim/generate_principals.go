package awssim

import (
	"fmt"
	"math/rand/v2"
)

// Policies of generated principals (GeneratePrincipals), each a kind of
// access an account gives: sessions everywhere, sessions scoped by a tag,
// a deny, a boundary.
const (
	genPolicySSH      = "arn:aws:iam::123456789012:policy/SSHViaSessionManager"
	genPolicyBoundary = "arn:aws:iam::123456789012:policy/SSHHealthyOnlyBoundary"
	genDocAll         = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	genDocDeny        = `{"Version":"2012-10-17","Statement":[{"Sid":"NoSessions","Effect":"Deny","Action":"ssm:StartSession","Resource":"*"}]}`
	genDocRead        = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","ssm:Describe*"],"Resource":"*"}]}`
)

// genTagDoc allows sessions on instances whose Scenario tag is value, and
// the SSH document.
func genTagDoc(value string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Tagged","Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"ssm:resourceTag/Scenario":%q}}},{"Sid":"SSHDocument","Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ssm:*:*:document/AWS-StartSSHSession"}]}`, value)
}

var genScenarios = []string{"healthy", "old-agent", "stopped", "connection-lost", "no-instance-profile"}

// GeneratePrincipals adds n IAM principals to st (which must hold the
// demo's policies and groups, as GenerateFleet's state does): about 60%
// users and 40% roles. Users are, in turn, members of ssh-users, holders
// of an inline policy scoped by the Scenario tag, read-only, bounded by
// SSHHealthyOnlyBoundary (with Allow *), or members of ssh-users with an
// explicit deny; roles hold SSHViaSessionManager or a tag-scoped policy
// and are trusted by a generated user, or by an Identity Center SAML
// provider. The same seed gives the same principals.
func GeneratePrincipals(st *State, n int, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9a1))
	var users []string
	for i := 0; i < n; i++ {
		if i%5 < 3 {
			name := fmt.Sprintf("gen-user-%05d", i)
			u := &User{Name: name, ID: fmt.Sprintf("AIDAGEN%013d", i), Path: "/", InlinePolicies: map[string]string{}}
			switch rng.IntN(5) {
			case 0:
				u.Groups = []string{"ssh-users"}
			case 1:
				u.InlinePolicies["ssh-by-tag"] = genTagDoc(genScenarios[rng.IntN(len(genScenarios))])
			case 2:
				u.InlinePolicies["read"] = genDocRead
			case 3:
				u.InlinePolicies["everything"] = genDocAll
				u.PermissionBoundary = genPolicyBoundary
			case 4:
				u.Groups = []string{"ssh-users"}
				u.InlinePolicies["deny-sessions"] = genDocDeny
			}
			st.Users[name] = u
			users = append(users, name)
			continue
		}
		name := fmt.Sprintf("gen-role-%05d", i)
		r := &Role{Name: name, ID: fmt.Sprintf("AROAGEN%013d", i), Path: "/", InlinePolicies: map[string]string{}, MaxSessionDuration: 3600}
		if len(users) > 0 && rng.IntN(2) == 0 {
			r.AssumeRolePolicy = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:user/%s"},"Action":"sts:AssumeRole"}]}`,
				st.AccountID, users[rng.IntN(len(users))])
		} else {
			r.Path = "/aws-reserved/sso.amazonaws.com/"
			r.Name = fmt.Sprintf("AWSReservedSSO_Gen%05d_%016x", i, rng.Uint64())
			r.AssumeRolePolicy = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::%s:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"]}]}`, st.AccountID)
		}
		if rng.IntN(2) == 0 {
			r.AttachedPolicies = []string{genPolicySSH}
		} else {
			r.InlinePolicies["ssh-by-tag"] = genTagDoc(genScenarios[rng.IntN(len(genScenarios))])
		}
		st.Roles[r.Name] = r
	}
}
