package awssim

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
)

// The ARNs Systems Manager authorizes against.

func (st *State) nodeARN(region, id string) string {
	if isHybrid(id) {
		return "arn:aws:ssm:" + region + ":" + st.AccountID + ":managed-instance/" + id
	}
	return "arn:aws:ec2:" + region + ":" + st.AccountID + ":instance/" + id
}

func (s *Sim) acctARN(service, region, resource string) string {
	s.mu.Lock()
	acct := s.state.AccountID
	s.mu.Unlock()
	return "arn:aws:" + service + ":" + region + ":" + acct + ":" + resource
}

// ssmWildcardARN is the resource of list/describe operations, which IAM
// reports as "arn:aws:ssm:REGION:ACCOUNT:*".
func (s *Sim) ssmWildcardARN(region string) string { return s.acctARN("ssm", region, "*") }

// tagContext adds aws:ResourceTag/KEY, and the service's own spelling
// (ssm:resourceTag/KEY, ec2:ResourceTag/KEY), for each tag, so tag-scoped
// statements decide as in AWS.
func tagContext(extra map[string][]string, tags []Tag, servicePrefix string) map[string][]string {
	if extra == nil {
		extra = map[string][]string{}
	}
	for _, t := range tags {
		extra["aws:ResourceTag/"+t.Key] = []string{t.Value}
		extra[servicePrefix+t.Key] = []string{t.Value}
	}
	return extra
}

// nodeIDPattern is what SSM accepts as a managed node id.
var nodeIDPattern = regexp.MustCompile(`^(i-[0-9a-f]{8}([0-9a-f]{9})?|mi-[0-9a-f]{17})$`)

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// validMaxResults answers out-of-range MaxResults as the JSON services do.
func validMaxResults(v *int, min, max int) error {
	if v == nil {
		return nil
	}
	switch {
	case *v < min:
		return Errf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to %d", *v, min)
	case *v > max:
		return Errf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *v, max)
	}
	return nil
}
