package checks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func instanceStatusCheck() Check {
	return New("instance-status", "EC2's system and instance status checks pass", LayerInstance,
		[]string{"instance-exists"}, instanceTimeout, runInstanceStatus)
}

func runInstanceStatus(ctx context.Context, env *Env) Result {
	if r, ok := awsReady(env); !ok {
		return r
	}
	if env.Target == nil {
		return Skip("no target instance given")
	}
	if env.Target.Hybrid {
		return Skip("hybrid (mi-) nodes have no EC2 status checks")
	}
	id := env.Target.InstanceID
	st, err := env.AWS.InstanceStatus(ctx, id)
	if err != nil {
		return undetermined(err)
	}
	if st == nil || st.InstanceState == nil || st.InstanceState.Name != ec2types.InstanceStateNameRunning {
		return Skip("EC2 reports no status checks for %s (it is not running)", id)
	}
	sys, ins := summaryStatus(st.SystemStatus), summaryStatus(st.InstanceStatus)
	details := []string{"system status: " + sys, "instance status: " + ins}
	for _, ev := range st.Events {
		details = append(details, fmt.Sprintf("scheduled event %s: %s (not before %s)", ev.Code, aws.ToString(ev.Description), aws.ToTime(ev.NotBefore).Format("2006-01-02 15:04 MST")))
	}
	switch {
	case sys == "impaired":
		return Fail("EC2's system status check fails for %s: the host under it has a problem", id).WithDetails(details...).
			WithDetails("a stop and start moves the instance to another host (a reboot does not)").
			WithFix(fmt.Sprintf("aws ec2 stop-instances --instance-ids %s && aws ec2 start-instances --instance-ids %s", id, id), "")
	case ins == "impaired":
		return Fail("EC2's instance status check fails for %s: its operating system does not answer (kernel, network configuration, full disk, exhausted memory)", id).
			WithDetails(details...).
			WithFix("aws ec2 get-console-output --latest --output text --instance-id "+id+"   # what the OS said last", "")
	case sys == "initializing" || ins == "initializing":
		return Warn("EC2's status checks are still initializing: %s started recently", id).WithDetails(details...)
	case sys != "ok" || ins != "ok":
		return Warn("EC2's status checks are not ok: system %s, instance %s", sys, ins).WithDetails(details...)
	case len(st.Events) > 0:
		return Warn("%s has a scheduled event: %s", id, st.Events[0].Code).WithDetails(details...)
	}
	return Pass("system and instance status checks ok")
}

func summaryStatus(s *ec2types.InstanceStatusSummary) string {
	if s == nil || s.Status == "" {
		return "insufficient-data"
	}
	return string(s.Status)
}
