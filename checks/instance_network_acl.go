package checks

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// aclVerdict fails on network ACLs alone, with the entry that opens the
// first denial (the others are in the details).
func aclVerdict(env *Env, nv *netView, problems []string) Result {
	d := nv.denials[0]
	r := Fail("%s: the agent cannot reach Systems Manager", d).
		WithDetails(problems[1:]...).
		WithDetails("network ACLs are stateless: the agent needs TCP 443 out and the replies in on 1024-65535, both ways through each subnet's ACL")
	return r.WithFix(aclFix(d, nv.ACLs, regionOf(env)), "")
}

// aclFix is the entry that opens d's path: numbered below the denying
// rule so that it is met first, at the highest number free in that
// direction (from 100 for the "*" rule); with no number free the deny is
// replaced.
func aclFix(d *awsfacts.ACLDenial, acls []ec2types.NetworkAcl, region string) string {
	used := map[int]bool{}
	for _, a := range acls {
		if aws.ToString(a.NetworkAclId) != d.ACL {
			continue
		}
		for _, e := range a.Entries {
			if aws.ToBool(e.Egress) == d.Egress {
				used[int(aws.ToInt32(e.RuleNumber))] = true
			}
		}
	}
	verb, n := "create-network-acl-entry", 0
	if deny, err := strconv.Atoi(d.Rule); err == nil {
		for n = deny - 1; n >= 1 && used[n]; n-- {
		}
		if n < 1 {
			verb, n = "replace-network-acl-entry", deny
		}
	} else {
		for n = 100; used[n]; n += 10 {
		}
	}
	egress := ""
	if d.Egress {
		egress = " --egress"
	}
	return "aws ec2 " + verb + " --network-acl-id " + d.ACL + " --rule-number " + strconv.Itoa(n) +
		" --protocol tcp --port-range From=" + strconv.Itoa(d.From) + ",To=" + strconv.Itoa(d.To) + egress +
		" --cidr-block " + d.Peer + " --rule-action allow --region " + region
}
