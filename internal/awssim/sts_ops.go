package awssim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type stsIdentityOut struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// stsGetCallerIdentity needs no permission: AWS answers it even when a
// policy denies it explicitly, so authorize is not consulted.
func (s *Sim) stsGetCallerIdentity(c *Call) (any, error) {
	p := c.Principal
	return stsIdentityOut{Arn: p.ARN, UserID: p.UserID, Account: p.AccountID}, nil
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type stsAssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type stsAssumeRoleOut struct {
	AssumedRoleUser  stsAssumedRoleUser `xml:"AssumedRoleUser"`
	Credentials      stsCredentials     `xml:"Credentials"`
	PackedPolicySize *int               `xml:"PackedPolicySize,omitempty"`
}

var (
	stsSessionNameRe = regexp.MustCompile(`^[\w+=,.@-]*$`)
	stsRoleArnRe     = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role(/.*)?/([\w+=,.@-]+)$`)
)

func stsValidation(format string, args ...any) error {
	return Errf("ValidationError", format, args...)
}

func (s *Sim) stsAssumeRole(c *Call) (any, error) {
	roleArn, session := c.Form.Get("RoleArn"), c.Form.Get("RoleSessionName")
	switch {
	case roleArn == "":
		return nil, stsValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case session == "":
		return nil, stsValidation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	case len(session) < 2 || len(session) > 64:
		return nil, stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64", session)
	case !stsSessionNameRe.MatchString(session):
		return nil, stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	duration := 3600
	if raw := c.Form.Get("DurationSeconds"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 900 {
			return nil, stsValidation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", raw)
		}
		duration = n
	}
	m := stsRoleArnRe.FindStringSubmatch(roleArn)
	if m == nil {
		return nil, stsValidation("%s is invalid", roleArn)
	}
	p := c.Principal
	denied := ErrStatus(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.ARN, roleArn)

	s.mu.Lock()
	role, ok := s.state.Roles[m[3]]
	var trust, roleID string
	maxDur := 3600
	if ok && m[1] == s.state.AccountID && iamArn(s.state.AccountID, "role", role.Path, role.Name) == roleArn {
		trust, roleID, maxDur = role.AssumeRolePolicy, role.ID, role.MaxSessionDuration
	} else {
		ok = false
	}
	s.mu.Unlock()
	// A missing role is refused like an untrusting one: STS does not tell
	// callers which roles exist.
	allowed, named := false, false
	if ok {
		allowed, named = stsTrustAllows(trust, p, c.Form.Get("ExternalId"))
	}
	if !allowed {
		return nil, denied
	}
	// Within one account a trust policy that names the caller itself is
	// enough, as for any resource-based policy; trust in the whole account
	// delegates the decision to the caller's own policies. (An explicit
	// deny in the caller's policies is not consulted in the first case.)
	if !named {
		if err := s.authorize(c, "sts:AssumeRole", roleArn, nil); err != nil {
			return nil, err
		}
	}
	if p.Kind == "assumed-role" && duration > 3600 {
		return nil, stsValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > maxDur {
		return nil, stsValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	now := s.now().UTC().Truncate(time.Second)
	key := &AccessKey{
		ID:           "ASIA" + stsRandom(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		Secret:       stsRandom(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		SessionToken: "FwoGZXIvYXdzE" + stsToken(),
		RoleName:     m[3],
		SessionName:  session,
		Expiration:   now.Add(time.Duration(duration) * time.Second),
		Status:       "Active",
	}
	s.mu.Lock()
	s.state.AccessKeys[key.ID] = key
	acct := s.state.AccountID
	s.mu.Unlock()
	return stsAssumeRoleOut{
		AssumedRoleUser: stsAssumedRoleUser{
			AssumedRoleID: roleID + ":" + session,
			Arn:           "arn:aws:sts::" + acct + ":assumed-role/" + m[3] + "/" + session,
		},
		Credentials: stsCredentials{
			AccessKeyID: key.ID, SecretAccessKey: key.Secret, SessionToken: key.SessionToken,
			Expiration: key.Expiration.Format("2006-01-02T15:04:05Z"),
		},
	}, nil
}

func stsRandom(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func stsToken() string {
	b := make([]byte, 180)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// stsTrustDoc is the part of a trust policy STS needs here.
type stsTrustDoc struct {
	Statement stsOneOrMany[stsTrustStatement] `json:"Statement"`
}

type stsTrustStatement struct {
	Effect    string                                     `json:"Effect"`
	Principal json.RawMessage                            `json:"Principal"`
	Action    stsOneOrMany[string]                       `json:"Action"`
	Condition map[string]map[string]stsOneOrMany[string] `json:"Condition"`
}

// stsOneOrMany decodes IAM's "a value or a list of values".
type stsOneOrMany[T any] []T

func (o *stsOneOrMany[T]) UnmarshalJSON(b []byte) error {
	var one T
	if err := json.Unmarshal(b, &one); err == nil {
		*o = []T{one}
		return nil
	}
	var many []T
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*o = many
	return nil
}

// stsTrustAllows evaluates a role's trust policy for sts:AssumeRole by p:
// an explicit Deny wins, then any Allow whose Principal names the caller
// (its ARN, its role for a session, its account, or *). Conditions are
// honoured for sts:ExternalId and aws:PrincipalArn with StringEquals /
// StringLike; a statement with any other condition does not apply.
//
// named reports whether an allowing statement names the caller itself
// rather than its account or everyone.
func stsTrustAllows(doc string, p *Principal, externalID string) (allowed, named bool) {
	var d stsTrustDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return false, false
	}
	for _, st := range d.Statement {
		match, exact := stsPrincipalMatches(st.Principal, p)
		if !stsActionMatches(st.Action) || !match || !stsConditionsHold(st.Condition, p, externalID) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false, false
		case "Allow":
			allowed = true
			named = named || exact
		}
	}
	return allowed, named
}

func stsActionMatches(actions []string) bool {
	for _, a := range actions {
		if ec2Glob(strings.ToLower(a), "sts:assumerole") {
			return true
		}
	}
	return false
}

// stsPrincipalMatches: match, and exact when the caller is named itself.
func stsPrincipalMatches(raw json.RawMessage, p *Principal) (match, exact bool) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*", false
	}
	var m map[string]stsOneOrMany[string]
	if json.Unmarshal(raw, &m) != nil {
		return false, false
	}
	for _, v := range m["AWS"] {
		switch {
		case v == p.ARN, p.Kind == "assumed-role" && v == p.IAMArn():
			return true, true
		case v == "*", v == p.AccountID, v == "arn:aws:iam::"+p.AccountID+":root":
			match = true
		}
	}
	return match, false
}

func stsConditionsHold(cond map[string]map[string]stsOneOrMany[string], p *Principal, externalID string) bool {
	for op, keys := range cond {
		for key, want := range keys {
			var have string
			switch strings.ToLower(key) {
			case "sts:externalid":
				have = externalID
			case "aws:principalarn":
				have = p.IAMArn()
			default:
				return false
			}
			match := false
			for _, w := range want {
				switch op {
				case "StringEquals":
					match = match || have == w
				case "StringLike":
					match = match || ec2Glob(w, have)
				default:
					return false
				}
			}
			if !match {
				return false
			}
		}
	}
	return true
}
