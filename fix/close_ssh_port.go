package fix

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// sshPort is what --close-ssh-port closes: sshd's port, which Session
// Manager reaches from inside the instance.
const sshPort = 22

// PlanCloseSSHPort revokes, in each security group of the instance,
// exactly the ingress rules that admit TCP 22 from 0.0.0.0/0 or ::/0 (the
// ones exposure-ssh-port reports, found by the same predicate): one
// RevokeSecurityGroupIngress per group, naming each rule's protocol,
// ports and block, so no other rule (nor another block of the same
// permission) is touched. The plan says which other instances share each
// group, since the change reaches them too. Nothing open: nothing to do
// and no call.
func PlanCloseSSHPort(ctx context.Context, a *AWS, instanceID string) (*Plan, error) {
	p := &Plan{Title: "close SSH (TCP 22) to the internet on " + instanceID}
	inst, err := describeInstance(ctx, a, instanceID)
	if err != nil {
		return nil, err
	}
	ids := awsfacts.InstanceGroupIDs(inst)
	if len(ids) == 0 {
		p.Already = instanceID + " has no security group"
		return p, nil
	}
	out, err := a.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
	if err != nil {
		return nil, fmt.Errorf("describe the security groups of %s: %w", instanceID, err)
	}
	byID := map[string]ec2types.SecurityGroup{}
	for _, g := range out.SecurityGroups {
		byID[aws.ToString(g.GroupId)] = g
	}
	var open []string // group ids with rules to revoke, in the instance's order
	rules := map[string][]awsfacts.OpenRule{}
	for _, id := range ids {
		if g, ok := byID[id]; ok {
			if r := awsfacts.OpenToWorld(g, sshPort); len(r) > 0 {
				open = append(open, id)
				rules[id] = r
			}
		}
	}
	if len(open) == 0 {
		p.Already = fmt.Sprintf("no security group of %s admits TCP %d from %s or %s", instanceID, sshPort, awsfacts.WorldIPv4, awsfacts.WorldIPv6)
		return p, nil
	}
	shared, err := sharingInstances(ctx, a, open, instanceID)
	if err != nil {
		return nil, err
	}
	for _, id := range open {
		g := byID[id]
		name := aws.ToString(g.GroupName)
		var perms []ec2types.IpPermission
		var shown, undo []string
		for _, r := range rules[id] {
			perms = append(perms, r.Permission())
			shown = append(shown, r.String())
			undo = append(undo, undoPermission(r))
		}
		why := "no other instance uses this group"
		if others := shared[id]; len(others) > 0 {
			why = fmt.Sprintf("also attached to %d other instance(s), which lose these rules too: %s", len(others), strings.Join(others, ", "))
		}
		p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "RevokeSecurityGroupIngress",
			Params: []Param{{"GroupId", id + " (" + name + ")"}, {"IpPermissions", strings.Join(shown, "; ")}},
			Why:    why,
			Do: func(ctx context.Context) error {
				_, err := a.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perms})
				return err
			}})
		p.Notes = append(p.Notes, fmt.Sprintf("undo for %s: aws ec2 authorize-security-group-ingress --group-id %s --ip-permissions %s", id, id, strings.Join(undo, " ")))
	}
	p.Notes = append(p.Notes, "whoever still connects to port 22 directly (not through Session Manager) loses that way in; ssmdoctor sessions lists who connects through Session Manager")
	return p, nil
}

// sharingInstances lists, per group, the other instances it is attached
// to (id and Name), from one DescribeInstances filtered by the groups.
func sharingInstances(ctx context.Context, a *AWS, groups []string, self string) (map[string][]string, error) {
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance.group-id"), Values: groups}}}
	out := map[string][]string{}
	p := ec2.NewDescribeInstancesPaginator(a.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe the instances that share %s: %w", strings.Join(groups, ", "), err)
		}
		for _, r := range page.Reservations {
			for _, inst := range r.Instances {
				id := aws.ToString(inst.InstanceId)
				if id == self || (inst.State != nil && inst.State.Name == ec2types.InstanceStateNameTerminated) {
					continue
				}
				label := id
				if n := awsfacts.TagValue(inst.Tags, "Name"); n != "" {
					label += " (" + n + ")"
				}
				for _, gid := range awsfacts.InstanceGroupIDs(&inst) {
					out[gid] = append(out[gid], label)
				}
			}
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out, nil
}

// undoPermission is r in the AWS CLI's --ip-permissions shorthand.
func undoPermission(r awsfacts.OpenRule) string {
	ranges := "IpRanges=[{CidrIp=" + r.CIDR + "}]"
	if r.CIDR == awsfacts.WorldIPv6 {
		ranges = "Ipv6Ranges=[{CidrIpv6=" + r.CIDR + "}]"
	}
	if r.Protocol == "-1" {
		return "'IpProtocol=-1," + ranges + "'"
	}
	return fmt.Sprintf("'IpProtocol=tcp,FromPort=%d,ToPort=%d,%s'", r.FromPort, r.ToPort, ranges)
}
