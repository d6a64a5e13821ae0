package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// sshPort is the port the exposure check looks for: sshd's, which Session
// Manager reaches from inside the instance and so never needs open.
const sshPort = 22

func exposureSSHPortCheck() Check {
	return New("exposure-ssh-port", "no security group admits SSH (TCP 22) from the internet", LayerInstance,
		[]string{"instance-exists"}, instanceTimeout, runExposureSSHPort)
}

// runExposureSSHPort reads the instance's groups from the VPC's groups
// (one DescribeSecurityGroups per VPC, prefetched for a fleet) and lists
// every rule that admits TCP 22 from 0.0.0.0/0 or ::/0
// (docs/check-catalogue.md#exposure-ssh-port).
func runExposureSSHPort(ctx context.Context, env *Env) Result {
	if env.Target != nil && env.Target.Hybrid {
		return Skip("hybrid nodes have no EC2 security groups: check the firewall in front of the node")
	}
	inst, r, ok := targetInstance(ctx, env)
	if !ok {
		return r
	}
	vpc := aws.ToString(inst.VpcId)
	if vpc == "" {
		return Skip("instance is not in a VPC")
	}
	groups, err := env.AWS.SecurityGroups(ctx, vpc)
	if err != nil {
		return undetermined(err)
	}
	var open []awsfacts.OpenRule
	var missing []string
	for _, id := range awsfacts.InstanceGroupIDs(inst) {
		g, ok := groups[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		open = append(open, awsfacts.OpenToWorld(g, sshPort)...)
	}
	if len(open) == 0 {
		r := Pass("no security group of %s admits TCP %d from %s or %s", env.Target.InstanceID, sshPort, awsfacts.WorldIPv4, awsfacts.WorldIPv6)
		if len(missing) > 0 {
			r = r.WithDetails("not listed in the VPC (not looked at): " + strings.Join(missing, ", "))
		}
		return r
	}
	var details []string
	names := map[string]bool{}
	for _, o := range open {
		details = append(details, fmt.Sprintf("%s (%s): %s", o.GroupID, o.GroupName, o))
		names[o.GroupID] = true
	}
	details = append(details,
		"Session Manager reaches sshd from inside the instance: no inbound rule is needed, and an open port 22 is an attack surface",
		"fix --close-ssh-port revokes exactly these rules (it shows them first, and which other instances share the groups)")
	return Warn("SSH (TCP %d) is open to the internet through %d rule(s) in %d security group(s)", sshPort, len(open), len(names)).
		WithDetails(details...).WithFix("ssmdoctor fix --close-ssh-port "+env.Target.InstanceID, FixCloseSSHPort)
}
