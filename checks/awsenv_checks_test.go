package checks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// healthyFake is an account where alice may do everything and every listed
// instance is running, registered and routed through a NAT gateway.
func healthyFake(ids ...string) *fakeAWS {
	f := newFake()
	insts := map[string]ec2types.Instance{}
	for _, id := range ids {
		insts[id] = instanceFixture(id)
	}
	f.on("GetCallerIdentity", func(any) (any, error) {
		return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String("arn:aws:iam::123456789012:user/alice"), UserId: aws.String("AIDAALICE")}, nil
	})
	f.on("DescribeInstances", func(in any) (any, error) {
		req := in.(*ec2.DescribeInstancesInput)
		want := map[string]bool{}
		for _, id := range req.InstanceIds {
			want[id] = true
		}
		for _, fl := range req.Filters {
			switch aws.ToString(fl.Name) {
			case "instance-id":
				for _, v := range fl.Values {
					want[v] = true
				}
			case "tag:Name":
				for id, i := range insts {
					if tagValue(i.Tags, "Name") == fl.Values[0] {
						want[id] = true
					}
				}
			}
		}
		var list []ec2types.Instance
		for id := range want {
			if i, ok := insts[id]; ok {
				list = append(list, i)
			}
		}
		if len(req.InstanceIds) > 0 && len(list) == 0 {
			return nil, &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound"}
		}
		return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: list}}}, nil
	})
	f.on("DescribeInstanceInformation", func(in any) (any, error) {
		req := in.(*ssm.DescribeInstanceInformationInput)
		out := &ssm.DescribeInstanceInformationOutput{}
		for _, id := range req.Filters[0].Values {
			if _, ok := insts[id]; ok {
				out.InstanceInformationList = append(out.InstanceInformationList, ssmtypes.InstanceInformation{
					InstanceId: aws.String(id), PingStatus: ssmtypes.PingStatusOnline, AgentVersion: aws.String("3.3.40.0"),
					IsLatestVersion: aws.Bool(true), LastPingDateTime: aws.Time(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
				})
			}
		}
		return out, nil
	})
	f.on("GetInstanceProfile", func(any) (any, error) {
		return &iam.GetInstanceProfileOutput{InstanceProfile: &iamtypes.InstanceProfile{
			Arn:   aws.String("arn:aws:iam::123456789012:instance-profile/ssm-profile"),
			Roles: []iamtypes.Role{{RoleName: aws.String("ssm-role"), Arn: aws.String("arn:aws:iam::123456789012:role/ssm-role")}},
		}}, nil
	})
	f.on("ListAttachedRolePolicies", func(any) (any, error) {
		return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: []iamtypes.AttachedPolicy{{PolicyArn: aws.String(corePolicyArn)}}}, nil
	})
	f.on("SimulatePrincipalPolicy", simulateWith(func(string, string, string, map[string][]string) iamtypes.PolicyEvaluationDecisionType {
		return iamtypes.PolicyEvaluationDecisionTypeAllowed
	}))
	f.on("DescribeRouteTables", func(any) (any, error) {
		return &ec2.DescribeRouteTablesOutput{RouteTables: []ec2types.RouteTable{{
			VpcId:        aws.String("vpc-1"),
			Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}},
			Routes:       []ec2types.Route{{DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String("nat-1"), State: ec2types.RouteStateActive}},
		}}}, nil
	})
	f.on("DescribeSecurityGroups", func(any) (any, error) {
		return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
			GroupId: aws.String("sg-1"), VpcId: aws.String("vpc-1"),
			IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
		}}}, nil
	})
	f.on("DescribeNetworkAcls", func(any) (any, error) {
		return &ec2.DescribeNetworkAclsOutput{NetworkAcls: []ec2types.NetworkAcl{defaultACL()}}, nil
	})
	f.on("GetDocument", func(any) (any, error) {
		return nil, &smithy.GenericAPIError{Code: "InvalidDocument"}
	})
	f.on("GetConnectionStatus", func(any) (any, error) {
		return &ssm.GetConnectionStatusOutput{Status: ssmtypes.ConnectionStatusConnected}, nil
	})
	return f
}

const testID = "i-0123456789abcdef0"

func runAWS(t *testing.T, f *fakeAWS, target *Target, opts Options) map[string]Result {
	t.Helper()
	env := &Env{Target: target, Options: opts, AWS: f.env("us-east-1")}
	out := map[string]Result{}
	list := ForTarget(awsChecks(), target != nil)
	for _, o := range Run(context.Background(), env, list, RunOptions{}) {
		out[o.ID] = o.Result
	}
	return out
}

func ec2Target(id string) *Target { return &Target{Input: id, InstanceID: id, Region: "us-east-1"} }

func wantStatus(t *testing.T, got map[string]Result, want map[string]Status) {
	t.Helper()
	for id, st := range want {
		if got[id].Status != st {
			t.Errorf("%s: status %s, want %s (%s; %v)", id, got[id].Status, st, got[id].Message, got[id].Details)
		}
	}
}

func TestAWSChecksHealthyInstance(t *testing.T) {
	got := runAWS(t, healthyFake(testID), ec2Target(testID), Options{})
	wantStatus(t, got, map[string]Status{
		"caller-identity": StatusPass, "caller-start-session": StatusPass, "caller-session-lifecycle": StatusPass,
		"caller-instance-connect": StatusSkip, "caller-kms": StatusPass, "caller-read-permissions": StatusPass,
		"instance-exists": StatusPass, "instance-profile": StatusPass, "instance-role-permissions": StatusPass,
		"instance-registered": StatusPass, "instance-agent-version": StatusPass, "instance-hybrid-tier": StatusSkip,
		"instance-network": StatusPass, "instance-metadata": StatusPass, "session-preferences": StatusPass,
		"connection-status": StatusPass,
	})
	if len(got) != len(awsChecks()) {
		t.Errorf("got %d results, want one per AWS check (%d)", len(got), len(awsChecks()))
	}
}

func TestAWSChecksDeniedReadIsUndeterminedAndOthersContinue(t *testing.T) {
	f := healthyFake(testID)
	f.deny("DescribeInstanceInformation")
	got := runAWS(t, f, ec2Target(testID), Options{})
	r := got["instance-registered"]
	if r.Status != StatusError || r.Missing != "ssm:DescribeInstanceInformation" || !strings.Contains(r.Message, "denied (ssm:DescribeInstanceInformation)") {
		t.Fatalf("instance-registered = %+v", r)
	}
	wantStatus(t, got, map[string]Status{
		"instance-exists": StatusPass, "instance-profile": StatusPass, "instance-role-permissions": StatusPass,
		"instance-agent-version": StatusSkip, "connection-status": StatusSkip, "caller-start-session": StatusPass,
	})
}

func TestAWSChecksStoppedInstance(t *testing.T) {
	f := healthyFake(testID)
	inst := instanceFixture(testID)
	inst.State.Name = ec2types.InstanceStateNameStopped
	f.on("DescribeInstances", func(any) (any, error) {
		return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: []ec2types.Instance{inst}}}}, nil
	})
	got := runAWS(t, f, ec2Target(testID), Options{})
	r := got["instance-exists"]
	if r.Status != StatusFail || r.FixID != "start" || r.Fix != "ssmdoctor fix --start "+testID {
		t.Fatalf("instance-exists = %+v", r)
	}
	wantStatus(t, got, map[string]Status{"instance-profile": StatusSkip, "instance-registered": StatusSkip, "instance-network": StatusSkip})
}

func TestAWSChecksExplicitDenyAndMissingAllow(t *testing.T) {
	f := healthyFake(testID)
	f.on("SimulatePrincipalPolicy", simulateWith(func(p, a, r string, cx map[string][]string) iamtypes.PolicyEvaluationDecisionType {
		switch {
		case a == "ssm:StartSession" && strings.Contains(r, ":instance/"):
			return iamtypes.PolicyEvaluationDecisionTypeExplicitDeny
		case a == "ssm:TerminateSession":
			return iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
		case strings.HasPrefix(a, "ssmmessages:OpenDataChannel"):
			return iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
		}
		return iamtypes.PolicyEvaluationDecisionTypeAllowed
	}))
	got := runAWS(t, f, ec2Target(testID), Options{})
	if r := got["caller-start-session"]; r.Status != StatusFail || !strings.Contains(r.Message, "explicitly denied: ssm:StartSession on arn:aws:ec2:us-east-1:123456789012:instance/"+testID) ||
		!strings.Contains(strings.Join(r.Details, "\n"), "policy-for-ssm:StartSession") {
		t.Errorf("caller-start-session = %+v", r)
	}
	if r := got["caller-session-lifecycle"]; r.Status != StatusFail || r.FixID != FixUserPolicy || !strings.Contains(r.Message, "session/alice-0123456789abcdef0") {
		t.Errorf("caller-session-lifecycle = %+v", r)
	}
	if r := got["instance-role-permissions"]; r.Status != StatusFail || !strings.Contains(r.Message, "ssmmessages:OpenDataChannel") || r.FixID != "instance-role" {
		t.Errorf("instance-role-permissions = %+v", r)
	}
}

func TestAWSChecksOfflineWhenSimulationDenied(t *testing.T) {
	f := healthyFake(testID)
	f.deny("SimulatePrincipalPolicy")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:ssm:*::document/AWS-StartSSHSession"],"Condition":{"BoolIfExists":{"ssm:SessionDocumentAccessCheck":"true"}}}]}`
	f.on("GetUser", func(any) (any, error) {
		return &iam.GetUserOutput{User: &iamtypes.User{UserName: aws.String("alice")}}, nil
	})
	f.on("ListAttachedUserPolicies", func(any) (any, error) { return &iam.ListAttachedUserPoliciesOutput{}, nil })
	f.on("ListUserPolicies", func(any) (any, error) { return &iam.ListUserPoliciesOutput{PolicyNames: []string{"ssh"}}, nil })
	f.on("GetUserPolicy", func(any) (any, error) { return &iam.GetUserPolicyOutput{PolicyDocument: aws.String(policy)}, nil })
	f.on("ListGroupsForUser", func(any) (any, error) { return &iam.ListGroupsForUserOutput{}, nil })
	got := runAWS(t, f, ec2Target(testID), Options{})
	r := got["caller-start-session"]
	if r.Status != StatusPass || !strings.Contains(strings.Join(r.Details, " "), "evaluated offline") {
		t.Errorf("caller-start-session = %+v", r)
	}
	if r := got["caller-session-lifecycle"]; r.Status != StatusFail {
		t.Errorf("caller-session-lifecycle = %+v, want fail (no TerminateSession in the policy)", r)
	}
	if n := f.count("SimulatePrincipalPolicy"); n > 2 {
		t.Errorf("SimulatePrincipalPolicy called %d times; a denied principal must go offline directly", n)
	}

	// Neither simulation nor reading the policies: could not determine.
	f2 := healthyFake(testID)
	f2.deny("SimulatePrincipalPolicy")
	f2.deny("GetUser")
	got = runAWS(t, f2, ec2Target(testID), Options{})
	if r := got["caller-start-session"]; r.Status != StatusError || r.Missing != "iam:SimulatePrincipalPolicy" {
		t.Errorf("caller-start-session = %+v", r)
	}
}

func TestAWSChecksExpiredCredentials(t *testing.T) {
	f := healthyFake(testID)
	f.on("GetCallerIdentity", func(any) (any, error) {
		return nil, &smithy.GenericAPIError{Code: "ExpiredToken", Message: "The security token included in the request is expired"}
	})
	got := runAWS(t, f, ec2Target(testID), Options{})
	r := got["caller-identity"]
	if r.Status != StatusError || r.Missing != "sts:GetCallerIdentity" || !strings.Contains(r.Message, "credentials rejected") || r.Fix == "" {
		t.Fatalf("caller-identity = %+v", r)
	}
	if got["caller-start-session"].Status != StatusSkip {
		t.Errorf("caller-start-session should be skipped, got %+v", got["caller-start-session"])
	}
}

func TestAWSChecksThrottledAfterRetries(t *testing.T) {
	f := healthyFake(testID)
	f.on("GetConnectionStatus", func(any) (any, error) {
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	})
	got := runAWS(t, f, ec2Target(testID), Options{})
	if r := got["connection-status"]; r.Status != StatusError || !strings.Contains(r.Message, "throttled") || r.Missing != "ssm:GetConnectionStatus" {
		t.Errorf("connection-status = %+v", r)
	}
}

func TestAWSChecksNoProfileNoDHMC(t *testing.T) {
	f := healthyFake(testID)
	inst := instanceFixture(testID)
	inst.IamInstanceProfile = nil
	f.on("DescribeInstances", func(any) (any, error) {
		return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: []ec2types.Instance{inst}}}}, nil
	})
	f.on("GetServiceSetting", func(any) (any, error) {
		return &ssm.GetServiceSettingOutput{ServiceSetting: &ssmtypes.ServiceSetting{SettingValue: aws.String("$None")}}, nil
	})
	got := runAWS(t, f, ec2Target(testID), Options{})
	if r := got["instance-profile"]; r.Status != StatusFail || r.FixID != "instance-role" {
		t.Errorf("instance-profile = %+v", r)
	}
	if got["instance-role-permissions"].Status != StatusSkip {
		t.Errorf("instance-role-permissions = %+v", got["instance-role-permissions"])
	}
}

func TestResolveTargets(t *testing.T) {
	f := healthyFake(testID, "i-0123456789abcdef1")
	f.on("DescribeRegions", func(any) (any, error) {
		return &ec2.DescribeRegionsOutput{Regions: []ec2types.Region{{RegionName: aws.String("us-east-1")}, {RegionName: aws.String("eu-west-1")}}}, nil
	})
	a := f.env("us-east-1")
	other := healthyFake("i-0aaaaaaaaaaaaaaaa")
	a.regional = func(string) ec2API { return other }
	env := &Env{AWS: a}
	ctx := context.Background()

	ts, err := ResolveTargets(ctx, env, []string{"web-def0"}, nil, false)
	if err != nil || len(ts) != 1 || ts[0].InstanceID != testID || ts[0].Name != "web-def0" {
		t.Fatalf("by name: %+v %v", ts, err)
	}
	// Without the search (the user gave --region): not found, and no other
	// region asked.
	_, err = ResolveTargets(ctx, env, []string{"i-0aaaaaaaaaaaaaaaa"}, nil, false)
	var nf *TargetNotFoundError
	if !errors.As(err, &nf) || len(nf.Searched) != 0 || f.count("DescribeRegions") != 0 {
		t.Fatalf("other region, search off: %v (%d DescribeRegions)", err, f.count("DescribeRegions"))
	}
	// With it: found in eu-west-1, and the target says so.
	a.SearchOtherRegions(nil)
	ts, err = ResolveTargets(ctx, env, []string{"i-0aaaaaaaaaaaaaaaa"}, nil, false)
	if err != nil || len(ts) != 1 || ts[0].InstanceID != "i-0aaaaaaaaaaaaaaaa" || ts[0].Region != "eu-west-1" {
		t.Fatalf("other region, search on: %+v %v", ts, err)
	}
	_, err = ResolveTargets(ctx, env, []string{"web;rm -rf /"}, nil, false)
	var bad *MalformedTargetError
	if !errors.As(err, &bad) {
		t.Fatalf("metacharacters: %v", err)
	}
	f.on("DescribeInstances", func(any) (any, error) {
		a, b := instanceFixture(testID), instanceFixture("i-0123456789abcdef1")
		return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: []ec2types.Instance{a, b}}}}, nil
	})
	_, err = ResolveTargets(ctx, &Env{AWS: f.env("us-east-1")}, []string{"web"}, nil, false)
	var amb *AmbiguousTargetError
	if !errors.As(err, &amb) || len(amb.Candidates) != 2 || !strings.Contains(amb.Candidates[0], testID) {
		t.Fatalf("ambiguous: %v", err)
	}
}

// A NAT route is no way out when the instance's groups let no HTTPS leave.
func TestAWSChecksRouteOutButNoEgress443(t *testing.T) {
	f := healthyFake(testID)
	f.on("DescribeSecurityGroups", func(any) (any, error) {
		return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
			GroupId: aws.String("sg-1"), VpcId: aws.String("vpc-1"),
			IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
				IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
		}}}, nil
	})
	r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
	if r.Status != StatusFail || !strings.Contains(r.Message, "no outbound TCP 443") || !strings.Contains(r.Message, "nat-1") ||
		!strings.Contains(r.Fix, "aws ec2 authorize-security-group-egress --group-id sg-1 ") || !strings.Contains(r.Fix, "FromPort=443") {
		t.Fatalf("instance-network = %+v", r)
	}
	f.deny("DescribeSecurityGroups")
	if r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]; r.Status != StatusError || r.Missing != "ec2:DescribeSecurityGroups" {
		t.Fatalf("denied DescribeSecurityGroups: instance-network = %+v", r)
	}
}

// With a NAT route, an endpoint with private DNS still takes the agent's
// traffic: its group must admit 443, and the VPC's DNS attributes decide
// whether it is used at all (read only because such an endpoint exists).
func TestAWSChecksNetworkPrivateDNSWinsOverRoute(t *testing.T) {
	endpointGroup := func(f *fakeAWS, ingress []ec2types.IpPermission) {
		f.on("DescribeSecurityGroups", func(any) (any, error) {
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{
				{GroupId: aws.String("sg-1"), VpcId: aws.String("vpc-1"),
					IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}},
				{GroupId: aws.String("sg-ep"), VpcId: aws.String("vpc-1"), IpPermissions: ingress},
			}}, nil
		})
		f.on("DescribeVpcEndpoints", func(any) (any, error) {
			var eps []ec2types.VpcEndpoint
			for _, svc := range []string{"ssm", "ssmmessages"} {
				eps = append(eps, ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-" + svc), VpcId: aws.String("vpc-1"),
					ServiceName: aws.String("com.amazonaws.us-east-1." + svc), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
					State: "available", PrivateDnsEnabled: aws.Bool(true), Groups: []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-ep")}}})
			}
			return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: eps}, nil
		})
	}
	dns := func(f *fakeAWS, hostnames bool) {
		f.on("DescribeVpcAttribute", func(in any) (any, error) {
			if in.(*ec2.DescribeVpcAttributeInput).Attribute == ec2types.VpcAttributeNameEnableDnsSupport {
				return &ec2.DescribeVpcAttributeOutput{EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}, nil
			}
			return &ec2.DescribeVpcAttributeOutput{EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(hostnames)}}, nil
		})
	}

	f := healthyFake(testID)
	endpointGroup(f, nil)
	dns(f, true)
	r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
	if r.Status != StatusFail || !strings.Contains(r.Message, "endpoint vpce-ssm (ssm): no security group admits TCP 443 from the instance") ||
		!strings.Contains(r.Fix, "--vpc-endpoints "+testID) {
		t.Fatalf("blocking endpoint group behind a NAT route: %+v", r)
	}

	f = healthyFake(testID)
	endpointGroup(f, []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-1")}}}})
	dns(f, true)
	r = runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
	if r.Status != StatusPass || !strings.Contains(r.Message, "interface endpoints for ssm, ssmmessages") {
		t.Fatalf("open endpoints behind a NAT route: %+v", r)
	}

	// Hostnames off: private DNS does not resolve, the NAT route carries
	// everything, and the blocking group does not matter.
	f = healthyFake(testID)
	endpointGroup(f, nil)
	dns(f, false)
	r = runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
	if r.Status != StatusPass || !strings.Contains(r.Message, "routes 0.0.0.0/0 to nat-1") {
		t.Fatalf("VPC DNS hostnames off behind a NAT route: %+v", r)
	}
}

// On the internet path a 443 rule only to private blocks does not get out;
// a VPC without endpoints costs no DescribeVpcAttribute call.
func TestAWSChecksNetworkEgressDestination(t *testing.T) {
	for _, c := range []struct {
		cidr string
		pass bool
	}{{"10.0.0.0/16", false}, {"192.168.0.0/24", false}, {"0.0.0.0/0", true}, {"52.94.0.0/16", true}} {
		f := healthyFake(testID)
		f.on("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
		f.on("DescribeSecurityGroups", func(any) (any, error) {
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
				GroupId: aws.String("sg-1"), VpcId: aws.String("vpc-1"),
				IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					IpRanges: []ec2types.IpRange{{CidrIp: aws.String(c.cidr)}}}},
			}}}, nil
		})
		r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
		if (r.Status == StatusPass) != c.pass || (!c.pass && (r.Status != StatusFail || !strings.Contains(r.Message, "no outbound TCP 443 to the internet"))) {
			t.Errorf("egress 443 to %s: %s %s", c.cidr, r.Status, r.Message)
		}
		if n := f.count("DescribeVpcAttribute"); n != 0 {
			t.Errorf("egress 443 to %s: %d DescribeVpcAttribute calls in a VPC without endpoints", c.cidr, n)
		}
	}
}

// defaultACL is what CreateVpc makes: rule 100 allows everything each way
// before the "*" deny.
func defaultACL() ec2types.NetworkAcl {
	return ec2types.NetworkAcl{NetworkAclId: aws.String("acl-1"), VpcId: aws.String("vpc-1"), IsDefault: aws.Bool(true),
		Entries: append(aclAllowAll(), aclStar()...)}
}

func aclAllowAll() []ec2types.NetworkAclEntry {
	return []ec2types.NetworkAclEntry{
		{RuleNumber: aws.Int32(100), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionAllow, Egress: aws.Bool(false), CidrBlock: aws.String("0.0.0.0/0")},
		{RuleNumber: aws.Int32(100), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionAllow, Egress: aws.Bool(true), CidrBlock: aws.String("0.0.0.0/0")},
	}
}

func aclStar() []ec2types.NetworkAclEntry {
	return []ec2types.NetworkAclEntry{
		{RuleNumber: aws.Int32(32767), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionDeny, Egress: aws.Bool(false), CidrBlock: aws.String("0.0.0.0/0")},
		{RuleNumber: aws.Int32(32767), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionDeny, Egress: aws.Bool(true), CidrBlock: aws.String("0.0.0.0/0")},
	}
}

func aclTCP(n int32, action ec2types.RuleAction, egress bool, cidr string, from, to int32) ec2types.NetworkAclEntry {
	return ec2types.NetworkAclEntry{RuleNumber: aws.Int32(n), Protocol: aws.String("6"), RuleAction: action, Egress: aws.Bool(egress),
		CidrBlock: aws.String(cidr), PortRange: &ec2types.PortRange{From: aws.Int32(from), To: aws.Int32(to)}}
}

// The instance subnet's network ACL must pass 443 out and the replies in;
// the verdict names the ACL, the direction and the deciding rule, and the
// fix is the entry that goes before it.
func TestAWSChecksNetworkACL(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries []ec2types.NetworkAclEntry
		msg     string
		fix     string
	}{
		{"default ACL", append(aclAllowAll(), aclStar()...), "", ""},
		{"443 out denied below the allow", append([]ec2types.NetworkAclEntry{aclTCP(90, ec2types.RuleActionDeny, true, "0.0.0.0/0", 443, 443)}, append(aclAllowAll(), aclStar()...)...),
			"network ACL acl-1 denies outbound TCP 443 to 0.0.0.0/0 (rule 90)",
			"aws ec2 create-network-acl-entry --network-acl-id acl-1 --rule-number 89 --protocol tcp --port-range From=443,To=443 --egress --cidr-block 0.0.0.0/0 --rule-action allow --region us-east-1"},
		{"replies not allowed in", append([]ec2types.NetworkAclEntry{aclTCP(100, ec2types.RuleActionAllow, false, "0.0.0.0/0", 22, 22), aclAllowAll()[1]}, aclStar()...),
			"network ACL acl-1 denies inbound TCP 1024-65535 from 0.0.0.0/0 (rule *)",
			"aws ec2 create-network-acl-entry --network-acl-id acl-1 --rule-number 110 --protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow --region us-east-1"},
		{"deny rule 1 is replaced", append([]ec2types.NetworkAclEntry{aclTCP(1, ec2types.RuleActionDeny, true, "0.0.0.0/0", 0, 65535)}, append(aclAllowAll(), aclStar()...)...),
			"(rule 1)", "aws ec2 replace-network-acl-entry --network-acl-id acl-1 --rule-number 1 "},
	} {
		f := healthyFake(testID)
		f.on("DescribeNetworkAcls", func(in any) (any, error) {
			req := in.(*ec2.DescribeNetworkAclsInput)
			if len(req.Filters) != 1 || aws.ToString(req.Filters[0].Name) != "vpc-id" || req.Filters[0].Values[0] != "vpc-1" {
				t.Errorf("%s: DescribeNetworkAcls filters %+v", c.name, req.Filters)
			}
			a := defaultACL()
			a.Entries = c.entries
			return &ec2.DescribeNetworkAclsOutput{NetworkAcls: []ec2types.NetworkAcl{a}}, nil
		})
		r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
		if c.msg == "" {
			if r.Status != StatusPass {
				t.Errorf("%s: %s %s", c.name, r.Status, r.Message)
			}
			continue
		}
		if r.Status != StatusFail || !strings.Contains(r.Message, c.msg) || !strings.HasPrefix(r.Fix, c.fix) {
			t.Errorf("%s: %s %q fix %q", c.name, r.Status, r.Message, r.Fix)
		}
	}
	f := healthyFake(testID)
	f.deny("DescribeNetworkAcls")
	if r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]; r.Status != StatusError || r.Missing != "ec2:DescribeNetworkAcls" {
		t.Fatalf("denied DescribeNetworkAcls: instance-network = %+v", r)
	}
}

// endpointSubnetFake is healthyFake with the ssm and ssmmessages endpoints
// (private DNS, VPC DNS on) in subnet-ep, 10.0.2.0/24, while the instance
// is in subnet-1, 10.0.1.0/24; its group lets 443 out to egressCIDR and
// subnet-1's own ACL holds instEntries (the default ACL allows all).
func endpointSubnetFake(t *testing.T, egressCIDR string, instEntries []ec2types.NetworkAclEntry) *fakeAWS {
	f := healthyFake(testID)
	f.on("DescribeSecurityGroups", func(any) (any, error) {
		return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{
			{GroupId: aws.String("sg-1"), VpcId: aws.String("vpc-1"),
				IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					IpRanges: []ec2types.IpRange{{CidrIp: aws.String(egressCIDR)}}}}},
			{GroupId: aws.String("sg-ep"), VpcId: aws.String("vpc-1"), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
				FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-1")}}}}},
		}}, nil
	})
	f.on("DescribeVpcEndpoints", func(any) (any, error) {
		var eps []ec2types.VpcEndpoint
		for _, svc := range []string{"ssm", "ssmmessages"} {
			eps = append(eps, ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-" + svc), VpcId: aws.String("vpc-1"),
				ServiceName: aws.String("com.amazonaws.us-east-1." + svc), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
				State: "available", PrivateDnsEnabled: aws.Bool(true), SubnetIds: []string{"subnet-ep"},
				Groups: []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-ep")}}})
		}
		return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: eps}, nil
	})
	f.on("DescribeVpcAttribute", func(in any) (any, error) {
		if in.(*ec2.DescribeVpcAttributeInput).Attribute == ec2types.VpcAttributeNameEnableDnsSupport {
			return &ec2.DescribeVpcAttributeOutput{EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}, nil
		}
		return &ec2.DescribeVpcAttributeOutput{EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}, nil
	})
	f.on("DescribeSubnets", func(in any) (any, error) {
		req := in.(*ec2.DescribeSubnetsInput)
		if len(req.Filters) != 1 || aws.ToString(req.Filters[0].Name) != "vpc-id" || len(req.Filters[0].Values) != 1 || req.Filters[0].Values[0] != "vpc-1" {
			t.Errorf("DescribeSubnets filters %+v, want vpc-id vpc-1", req.Filters)
		}
		return &ec2.DescribeSubnetsOutput{Subnets: []ec2types.Subnet{
			{SubnetId: aws.String("subnet-1"), VpcId: aws.String("vpc-1"), CidrBlock: aws.String("10.0.1.0/24")},
			{SubnetId: aws.String("subnet-ep"), VpcId: aws.String("vpc-1"), CidrBlock: aws.String("10.0.2.0/24")},
		}}, nil
	})
	f.on("DescribeNetworkAcls", func(any) (any, error) {
		inst := ec2types.NetworkAcl{NetworkAclId: aws.String("acl-inst"), VpcId: aws.String("vpc-1"), IsDefault: aws.Bool(false),
			Associations: []ec2types.NetworkAclAssociation{{SubnetId: aws.String("subnet-1")}}, Entries: instEntries}
		return &ec2.DescribeNetworkAclsOutput{NetworkAcls: []ec2types.NetworkAcl{defaultACL(), inst}}, nil
	})
	return f
}

// On the endpoint path the instance's egress rule and its subnet's ACL
// are judged against the endpoint subnet's block, read once with
// DescribeSubnets; a rule for that block alone is enough, one for another
// block is not.
func TestAWSChecksNetworkEndpointSubnetBlocks(t *testing.T) {
	open := append(aclAllowAll(), aclStar()...)
	only := func(cidr string) []ec2types.NetworkAclEntry {
		return append([]ec2types.NetworkAclEntry{aclTCP(100, ec2types.RuleActionAllow, true, cidr, 443, 443),
			aclTCP(100, ec2types.RuleActionAllow, false, cidr, 1024, 65535)}, aclStar()...)
	}
	for _, c := range []struct {
		name    string
		egress  string
		entries []ec2types.NetworkAclEntry
		msg     string // "" for a pass
		fix     string
	}{
		{"egress to the endpoint subnet only", "10.0.2.0/24", open, "", ""},
		{"egress to the VPC block", "10.0.0.0/16", open, "", ""},
		{"egress to a block overlapping the endpoint subnet", "10.0.2.128/25", open, "", ""},
		{"egress to another subnet", "10.0.3.0/24", open, "no outbound TCP 443 to endpoint vpce-ssm", ""},
		{"egress to the instance's own subnet", "10.0.1.0/24", open, "no outbound TCP 443 to endpoint vpce-ssm", ""},
		{"ACL open to the endpoint subnet only", "0.0.0.0/0", only("10.0.2.0/24"), "", ""},
		{"ACL open to another block only", "0.0.0.0/0", only("10.0.3.0/24"),
			"network ACL acl-inst denies outbound TCP 443 to 10.0.2.0/24 (rule *)",
			"aws ec2 create-network-acl-entry --network-acl-id acl-inst --rule-number 110 --protocol tcp --port-range From=443,To=443 --egress --cidr-block 10.0.2.0/24 --rule-action allow"},
		{"ACL lets 443 out to the endpoint subnet, replies in from elsewhere", "0.0.0.0/0",
			append([]ec2types.NetworkAclEntry{aclTCP(100, ec2types.RuleActionAllow, true, "10.0.2.0/24", 443, 443),
				aclTCP(100, ec2types.RuleActionAllow, false, "10.0.3.0/24", 1024, 65535)}, aclStar()...),
			"network ACL acl-inst denies inbound TCP 1024-65535 from 10.0.2.0/24 (rule *)", "--cidr-block 10.0.2.0/24"},
	} {
		f := endpointSubnetFake(t, c.egress, c.entries)
		r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
		switch {
		case c.msg == "" && (r.Status != StatusPass || !strings.Contains(r.Message, "interface endpoints for ssm, ssmmessages")):
			t.Errorf("%s: %s %q, want a pass through the endpoints", c.name, r.Status, r.Message)
		case c.msg != "" && (r.Status != StatusFail || !strings.Contains(r.Message, c.msg) || !strings.Contains(r.Fix, c.fix)):
			t.Errorf("%s: %s %q fix %q, want a failure with %q and fix %q", c.name, r.Status, r.Message, r.Fix, c.msg, c.fix)
		}
		if n := f.count("DescribeSubnets"); n != 1 {
			t.Errorf("%s: %d DescribeSubnets calls, want 1", c.name, n)
		}
	}

	f := endpointSubnetFake(t, "10.0.2.0/24", open)
	f.deny("DescribeSubnets")
	r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
	if r.Status != StatusError || r.Missing != "ec2:DescribeSubnets" || !strings.Contains(r.Message, "could not determine") ||
		!strings.Contains(r.Message, "ec2:DescribeSubnets") {
		t.Fatalf("denied DescribeSubnets: instance-network = %+v", r)
	}
}

// The internet path reads no subnets, and neither does an endpoint path
// whose endpoints name none.
func TestAWSChecksNetworkInternetPathReadsNoSubnets(t *testing.T) {
	f := healthyFake(testID)
	f.on("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
	if r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]; r.Status != StatusPass || !strings.Contains(r.Message, "nat-1") {
		t.Fatalf("NAT path: %s %s", r.Status, r.Message)
	}
	if n := f.count("DescribeSubnets"); n != 0 {
		t.Errorf("%d DescribeSubnets calls on the internet path, want 0", n)
	}
}
