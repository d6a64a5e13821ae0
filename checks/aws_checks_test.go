package checks

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts/awsfactstest"
)

const testID = "i-0123456789abcdef0"

func runAWS(t *testing.T, f *awsfactstest.Fake, target *Target, opts Options) map[string]Result {
	t.Helper()
	env := &Env{Target: target, Options: opts, AWS: f.View("us-east-1")}
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
	got := runAWS(t, awsfactstest.Healthy(testID), ec2Target(testID), Options{})
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
	f := awsfactstest.Healthy(testID)
	f.Deny("DescribeInstanceInformation")
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
	f := awsfactstest.Healthy(testID)
	inst := awsfactstest.InstanceFixture(testID)
	inst.State.Name = ec2types.InstanceStateNameStopped
	f.On("DescribeInstances", func(any) (any, error) {
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
	f := awsfactstest.Healthy(testID)
	f.On("SimulatePrincipalPolicy", awsfactstest.SimulateWith(func(p, a, r string, cx map[string][]string) iamtypes.PolicyEvaluationDecisionType {
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
	f := awsfactstest.Healthy(testID)
	f.Deny("SimulatePrincipalPolicy")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:ssm:*::document/AWS-StartSSHSession"],"Condition":{"BoolIfExists":{"ssm:SessionDocumentAccessCheck":"true"}}}]}`
	f.On("GetUser", func(any) (any, error) {
		return &iam.GetUserOutput{User: &iamtypes.User{UserName: aws.String("alice")}}, nil
	})
	f.On("ListAttachedUserPolicies", func(any) (any, error) { return &iam.ListAttachedUserPoliciesOutput{}, nil })
	f.On("ListUserPolicies", func(any) (any, error) { return &iam.ListUserPoliciesOutput{PolicyNames: []string{"ssh"}}, nil })
	f.On("GetUserPolicy", func(any) (any, error) { return &iam.GetUserPolicyOutput{PolicyDocument: aws.String(policy)}, nil })
	f.On("ListGroupsForUser", func(any) (any, error) { return &iam.ListGroupsForUserOutput{}, nil })
	got := runAWS(t, f, ec2Target(testID), Options{})
	r := got["caller-start-session"]
	if r.Status != StatusPass || !strings.Contains(strings.Join(r.Details, " "), "evaluated offline") {
		t.Errorf("caller-start-session = %+v", r)
	}
	if r := got["caller-session-lifecycle"]; r.Status != StatusFail {
		t.Errorf("caller-session-lifecycle = %+v, want fail (no TerminateSession in the policy)", r)
	}
	if n := f.Count("SimulatePrincipalPolicy"); n > 2 {
		t.Errorf("SimulatePrincipalPolicy called %d times; a denied principal must go offline directly", n)
	}

	// Neither simulation nor reading the policies: could not determine.
	f2 := awsfactstest.Healthy(testID)
	f2.Deny("SimulatePrincipalPolicy")
	f2.Deny("GetUser")
	got = runAWS(t, f2, ec2Target(testID), Options{})
	if r := got["caller-start-session"]; r.Status != StatusError || r.Missing != "iam:SimulatePrincipalPolicy" {
		t.Errorf("caller-start-session = %+v", r)
	}
}

func TestAWSChecksExpiredCredentials(t *testing.T) {
	f := awsfactstest.Healthy(testID)
	f.On("GetCallerIdentity", func(any) (any, error) {
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
	f := awsfactstest.Healthy(testID)
	f.On("GetConnectionStatus", func(any) (any, error) {
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	})
	got := runAWS(t, f, ec2Target(testID), Options{})
	if r := got["connection-status"]; r.Status != StatusError || !strings.Contains(r.Message, "throttled") || r.Missing != "ssm:GetConnectionStatus" {
		t.Errorf("connection-status = %+v", r)
	}
}

func TestAWSChecksNoProfileNoDHMC(t *testing.T) {
	f := awsfactstest.Healthy(testID)
	inst := awsfactstest.InstanceFixture(testID)
	inst.IamInstanceProfile = nil
	f.On("DescribeInstances", func(any) (any, error) {
		return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: []ec2types.Instance{inst}}}}, nil
	})
	f.On("GetServiceSetting", func(any) (any, error) {
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

// A NAT route is no way out when the instance's groups let no HTTPS leave.
func TestAWSChecksRouteOutButNoEgress443(t *testing.T) {
	f := awsfactstest.Healthy(testID)
	f.On("DescribeSecurityGroups", func(any) (any, error) {
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
	f.Deny("DescribeSecurityGroups")
	if r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]; r.Status != StatusError || r.Missing != "ec2:DescribeSecurityGroups" {
		t.Fatalf("denied DescribeSecurityGroups: instance-network = %+v", r)
	}
}

// With a NAT route, an endpoint with private DNS still takes the agent's
// traffic: its group must admit 443, and the VPC's DNS attributes decide
// whether it is used at all (read only because such an endpoint exists).
func TestAWSChecksNetworkPrivateDNSWinsOverRoute(t *testing.T) {
	endpointGroup := func(f *awsfactstest.Fake, ingress []ec2types.IpPermission) {
		f.On("DescribeSecurityGroups", func(any) (any, error) {
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{
				{GroupId: aws.String("sg-1"), VpcId: aws.String("vpc-1"),
					IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}},
				{GroupId: aws.String("sg-ep"), VpcId: aws.String("vpc-1"), IpPermissions: ingress},
			}}, nil
		})
		f.On("DescribeVpcEndpoints", func(any) (any, error) {
			var eps []ec2types.VpcEndpoint
			for _, svc := range []string{"ssm", "ssmmessages"} {
				eps = append(eps, ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-" + svc), VpcId: aws.String("vpc-1"),
					ServiceName: aws.String("com.amazonaws.us-east-1." + svc), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
					State: "available", PrivateDnsEnabled: aws.Bool(true), Groups: []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-ep")}}})
			}
			return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: eps}, nil
		})
	}
	dns := func(f *awsfactstest.Fake, hostnames bool) {
		f.On("DescribeVpcAttribute", func(in any) (any, error) {
			if in.(*ec2.DescribeVpcAttributeInput).Attribute == ec2types.VpcAttributeNameEnableDnsSupport {
				return &ec2.DescribeVpcAttributeOutput{EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}, nil
			}
			return &ec2.DescribeVpcAttributeOutput{EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(hostnames)}}, nil
		})
	}

	f := awsfactstest.Healthy(testID)
	endpointGroup(f, nil)
	dns(f, true)
	r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
	if r.Status != StatusFail || !strings.Contains(r.Message, "endpoint vpce-ssm (ssm): no security group admits TCP 443 from the instance") ||
		!strings.Contains(r.Fix, "--vpc-endpoints "+testID) {
		t.Fatalf("blocking endpoint group behind a NAT route: %+v", r)
	}

	f = awsfactstest.Healthy(testID)
	endpointGroup(f, []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-1")}}}})
	dns(f, true)
	r = runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
	if r.Status != StatusPass || !strings.Contains(r.Message, "interface endpoints for ssm, ssmmessages") {
		t.Fatalf("open endpoints behind a NAT route: %+v", r)
	}

	// Hostnames off: private DNS does not resolve, the NAT route carries
	// everything, and the blocking group does not matter.
	f = awsfactstest.Healthy(testID)
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
		f := awsfactstest.Healthy(testID)
		f.On("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
		f.On("DescribeSecurityGroups", func(any) (any, error) {
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
		if n := f.Count("DescribeVpcAttribute"); n != 0 {
			t.Errorf("egress 443 to %s: %d DescribeVpcAttribute calls in a VPC without endpoints", c.cidr, n)
		}
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
		{"default ACL", append(awsfactstest.ACLAllowAll(), awsfactstest.ACLStar()...), "", ""},
		{"443 out denied below the allow", append([]ec2types.NetworkAclEntry{aclTCP(90, ec2types.RuleActionDeny, true, "0.0.0.0/0", 443, 443)}, append(awsfactstest.ACLAllowAll(), awsfactstest.ACLStar()...)...),
			"network ACL acl-1 denies outbound TCP 443 to 0.0.0.0/0 (rule 90)",
			"aws ec2 create-network-acl-entry --network-acl-id acl-1 --rule-number 89 --protocol tcp --port-range From=443,To=443 --egress --cidr-block 0.0.0.0/0 --rule-action allow --region us-east-1"},
		{"replies not allowed in", append([]ec2types.NetworkAclEntry{aclTCP(100, ec2types.RuleActionAllow, false, "0.0.0.0/0", 22, 22), awsfactstest.ACLAllowAll()[1]}, awsfactstest.ACLStar()...),
			"network ACL acl-1 denies inbound TCP 1024-65535 from 0.0.0.0/0 (rule *)",
			"aws ec2 create-network-acl-entry --network-acl-id acl-1 --rule-number 110 --protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow --region us-east-1"},
		{"deny rule 1 is replaced", append([]ec2types.NetworkAclEntry{aclTCP(1, ec2types.RuleActionDeny, true, "0.0.0.0/0", 0, 65535)}, append(awsfactstest.ACLAllowAll(), awsfactstest.ACLStar()...)...),
			"(rule 1)", "aws ec2 replace-network-acl-entry --network-acl-id acl-1 --rule-number 1 "},
	} {
		f := awsfactstest.Healthy(testID)
		f.On("DescribeNetworkAcls", func(in any) (any, error) {
			req := in.(*ec2.DescribeNetworkAclsInput)
			if len(req.Filters) != 1 || aws.ToString(req.Filters[0].Name) != "vpc-id" || req.Filters[0].Values[0] != "vpc-1" {
				t.Errorf("%s: DescribeNetworkAcls filters %+v", c.name, req.Filters)
			}
			a := awsfactstest.DefaultACL()
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
	f := awsfactstest.Healthy(testID)
	f.Deny("DescribeNetworkAcls")
	if r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]; r.Status != StatusError || r.Missing != "ec2:DescribeNetworkAcls" {
		t.Fatalf("denied DescribeNetworkAcls: instance-network = %+v", r)
	}
}

// endpointSubnetFake is healthyFake with the ssm and ssmmessages endpoints
// (private DNS, VPC DNS on) in subnet-ep, 10.0.2.0/24, while the instance
// is in subnet-1, 10.0.1.0/24; its group lets 443 out to egressCIDR and
// subnet-1's own ACL holds instEntries (the default ACL allows all).
func endpointSubnetFake(t *testing.T, egressCIDR string, instEntries []ec2types.NetworkAclEntry) *awsfactstest.Fake {
	f := awsfactstest.Healthy(testID)
	f.On("DescribeSecurityGroups", func(any) (any, error) {
		return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{
			{GroupId: aws.String("sg-1"), VpcId: aws.String("vpc-1"),
				IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					IpRanges: []ec2types.IpRange{{CidrIp: aws.String(egressCIDR)}}}}},
			{GroupId: aws.String("sg-ep"), VpcId: aws.String("vpc-1"), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
				FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-1")}}}}},
		}}, nil
	})
	f.On("DescribeVpcEndpoints", func(any) (any, error) {
		var eps []ec2types.VpcEndpoint
		for _, svc := range []string{"ssm", "ssmmessages"} {
			eps = append(eps, ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-" + svc), VpcId: aws.String("vpc-1"),
				ServiceName: aws.String("com.amazonaws.us-east-1." + svc), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
				State: "available", PrivateDnsEnabled: aws.Bool(true), SubnetIds: []string{"subnet-ep"},
				Groups: []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-ep")}}})
		}
		return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: eps}, nil
	})
	f.On("DescribeVpcAttribute", func(in any) (any, error) {
		if in.(*ec2.DescribeVpcAttributeInput).Attribute == ec2types.VpcAttributeNameEnableDnsSupport {
			return &ec2.DescribeVpcAttributeOutput{EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}, nil
		}
		return &ec2.DescribeVpcAttributeOutput{EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}, nil
	})
	f.On("DescribeSubnets", func(in any) (any, error) {
		req := in.(*ec2.DescribeSubnetsInput)
		if len(req.Filters) != 1 || aws.ToString(req.Filters[0].Name) != "vpc-id" || len(req.Filters[0].Values) != 1 || req.Filters[0].Values[0] != "vpc-1" {
			t.Errorf("DescribeSubnets filters %+v, want vpc-id vpc-1", req.Filters)
		}
		return &ec2.DescribeSubnetsOutput{Subnets: []ec2types.Subnet{
			{SubnetId: aws.String("subnet-1"), VpcId: aws.String("vpc-1"), CidrBlock: aws.String("10.0.1.0/24")},
			{SubnetId: aws.String("subnet-ep"), VpcId: aws.String("vpc-1"), CidrBlock: aws.String("10.0.2.0/24")},
		}}, nil
	})
	f.On("DescribeNetworkAcls", func(any) (any, error) {
		inst := ec2types.NetworkAcl{NetworkAclId: aws.String("acl-inst"), VpcId: aws.String("vpc-1"), IsDefault: aws.Bool(false),
			Associations: []ec2types.NetworkAclAssociation{{SubnetId: aws.String("subnet-1")}}, Entries: instEntries}
		return &ec2.DescribeNetworkAclsOutput{NetworkAcls: []ec2types.NetworkAcl{awsfactstest.DefaultACL(), inst}}, nil
	})
	return f
}

// On the endpoint path the instance's egress rule and its subnet's ACL
// are judged against the endpoint subnet's block, read once with
// DescribeSubnets; a rule for that block alone is enough, one for another
// block is not.
func TestAWSChecksNetworkEndpointSubnetBlocks(t *testing.T) {
	open := append(awsfactstest.ACLAllowAll(), awsfactstest.ACLStar()...)
	only := func(cidr string) []ec2types.NetworkAclEntry {
		return append([]ec2types.NetworkAclEntry{aclTCP(100, ec2types.RuleActionAllow, true, cidr, 443, 443),
			aclTCP(100, ec2types.RuleActionAllow, false, cidr, 1024, 65535)}, awsfactstest.ACLStar()...)
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
				aclTCP(100, ec2types.RuleActionAllow, false, "10.0.3.0/24", 1024, 65535)}, awsfactstest.ACLStar()...),
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
		if n := f.Count("DescribeSubnets"); n != 1 {
			t.Errorf("%s: %d DescribeSubnets calls, want 1", c.name, n)
		}
	}

	f := endpointSubnetFake(t, "10.0.2.0/24", open)
	f.Deny("DescribeSubnets")
	r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]
	if r.Status != StatusError || r.Missing != "ec2:DescribeSubnets" || !strings.Contains(r.Message, "could not determine") ||
		!strings.Contains(r.Message, "ec2:DescribeSubnets") {
		t.Fatalf("denied DescribeSubnets: instance-network = %+v", r)
	}
}

// The internet path reads no subnets, and neither does an endpoint path
// whose endpoints name none.
func TestAWSChecksNetworkInternetPathReadsNoSubnets(t *testing.T) {
	f := awsfactstest.Healthy(testID)
	f.On("DescribeVpcEndpoints", func(any) (any, error) { return &ec2.DescribeVpcEndpointsOutput{}, nil })
	if r := runAWS(t, f, ec2Target(testID), Options{})["instance-network"]; r.Status != StatusPass || !strings.Contains(r.Message, "nat-1") {
		t.Fatalf("NAT path: %s %s", r.Status, r.Message)
	}
	if n := f.Count("DescribeSubnets"); n != 0 {
		t.Errorf("%d DescribeSubnets calls on the internet path, want 0", n)
	}
}
