// Package awsfactstest is a fake AWS account for the tests of the facts
// and of the checks: every narrow client interface awsfacts reads through,
// served from per-operation funcs, counting calls.
package awsfactstest

import (
	"context"
	"fmt"
	"maps"
	"sync"
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

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// Fake serves every narrow interface from per-operation funcs; an
// operation without a func fails with NotStubbed so a test notices calls
// it did not expect.
type Fake struct {
	mu    sync.Mutex
	ops   map[string]func(in any) (any, error)
	calls map[string]int
}

// NewFake is an account where every operation fails with NotStubbed.
func NewFake() *Fake {
	return &Fake{ops: map[string]func(any) (any, error){}, calls: map[string]int{}}
}

// On answers op with h.
func (f *Fake) On(op string, h func(in any) (any, error)) { f.ops[op] = h }

// Handler is how op is answered now (nil: NotStubbed), for a test that
// wraps it.
func (f *Fake) Handler(op string) func(in any) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops[op]
}

// Deny answers op with AccessDenied.
func (f *Fake) Deny(op string) {
	f.ops[op] = func(any) (any, error) {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform " + op}
	}
}

// Total is the number of calls made so far.
func (f *Fake) Total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.calls {
		n += v
	}
	return n
}

// Count is the number of calls of op made so far.
func (f *Fake) Count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func fcall[O any](f *Fake, op string, in any) (*O, error) {
	f.mu.Lock()
	f.calls[op]++
	h := f.ops[op]
	f.mu.Unlock()
	if h == nil {
		return nil, &smithy.GenericAPIError{Code: "NotStubbed", Message: op}
	}
	out, err := h(in)
	if err != nil {
		return nil, err
	}
	return out.(*O), nil
}

func (f *Fake) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return fcall[ec2.DescribeInstancesOutput](f, "DescribeInstances", in)
}
func (f *Fake) DescribeIamInstanceProfileAssociations(_ context.Context, in *ec2.DescribeIamInstanceProfileAssociationsInput, _ ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error) {
	return fcall[ec2.DescribeIamInstanceProfileAssociationsOutput](f, "DescribeIamInstanceProfileAssociations", in)
}
func (f *Fake) DescribeRouteTables(_ context.Context, in *ec2.DescribeRouteTablesInput, _ ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	return fcall[ec2.DescribeRouteTablesOutput](f, "DescribeRouteTables", in)
}
func (f *Fake) DescribeVpcEndpoints(_ context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	return fcall[ec2.DescribeVpcEndpointsOutput](f, "DescribeVpcEndpoints", in)
}
func (f *Fake) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return fcall[ec2.DescribeSecurityGroupsOutput](f, "DescribeSecurityGroups", in)
}
func (f *Fake) DescribeNetworkAcls(_ context.Context, in *ec2.DescribeNetworkAclsInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	return fcall[ec2.DescribeNetworkAclsOutput](f, "DescribeNetworkAcls", in)
}
func (f *Fake) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return fcall[ec2.DescribeSubnetsOutput](f, "DescribeSubnets", in)
}
func (f *Fake) DescribeVpcAttribute(_ context.Context, in *ec2.DescribeVpcAttributeInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	return fcall[ec2.DescribeVpcAttributeOutput](f, "DescribeVpcAttribute", in)
}
func (f *Fake) DescribeInstanceStatus(_ context.Context, in *ec2.DescribeInstanceStatusInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstanceStatusOutput, error) {
	return fcall[ec2.DescribeInstanceStatusOutput](f, "DescribeInstanceStatus", in)
}
func (f *Fake) DescribeKeyPairs(_ context.Context, in *ec2.DescribeKeyPairsInput, _ ...func(*ec2.Options)) (*ec2.DescribeKeyPairsOutput, error) {
	return fcall[ec2.DescribeKeyPairsOutput](f, "DescribeKeyPairs", in)
}
func (f *Fake) DescribeRegions(_ context.Context, in *ec2.DescribeRegionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error) {
	return fcall[ec2.DescribeRegionsOutput](f, "DescribeRegions", in)
}
func (f *Fake) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	return fcall[iam.SimulatePrincipalPolicyOutput](f, "SimulatePrincipalPolicy", in)
}
func (f *Fake) GetInstanceProfile(_ context.Context, in *iam.GetInstanceProfileInput, _ ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	return fcall[iam.GetInstanceProfileOutput](f, "GetInstanceProfile", in)
}
func (f *Fake) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return fcall[iam.GetRoleOutput](f, "GetRole", in)
}
func (f *Fake) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return fcall[iam.ListAttachedRolePoliciesOutput](f, "ListAttachedRolePolicies", in)
}
func (f *Fake) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return fcall[iam.ListRolePoliciesOutput](f, "ListRolePolicies", in)
}
func (f *Fake) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	return fcall[iam.GetRolePolicyOutput](f, "GetRolePolicy", in)
}
func (f *Fake) GetUser(_ context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return fcall[iam.GetUserOutput](f, "GetUser", in)
}
func (f *Fake) ListAttachedUserPolicies(_ context.Context, in *iam.ListAttachedUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	return fcall[iam.ListAttachedUserPoliciesOutput](f, "ListAttachedUserPolicies", in)
}
func (f *Fake) ListUserPolicies(_ context.Context, in *iam.ListUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return fcall[iam.ListUserPoliciesOutput](f, "ListUserPolicies", in)
}
func (f *Fake) GetUserPolicy(_ context.Context, in *iam.GetUserPolicyInput, _ ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error) {
	return fcall[iam.GetUserPolicyOutput](f, "GetUserPolicy", in)
}
func (f *Fake) ListGroupsForUser(_ context.Context, in *iam.ListGroupsForUserInput, _ ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	return fcall[iam.ListGroupsForUserOutput](f, "ListGroupsForUser", in)
}
func (f *Fake) ListAttachedGroupPolicies(_ context.Context, in *iam.ListAttachedGroupPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error) {
	return fcall[iam.ListAttachedGroupPoliciesOutput](f, "ListAttachedGroupPolicies", in)
}
func (f *Fake) ListGroupPolicies(_ context.Context, in *iam.ListGroupPoliciesInput, _ ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error) {
	return fcall[iam.ListGroupPoliciesOutput](f, "ListGroupPolicies", in)
}
func (f *Fake) GetGroupPolicy(_ context.Context, in *iam.GetGroupPolicyInput, _ ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error) {
	return fcall[iam.GetGroupPolicyOutput](f, "GetGroupPolicy", in)
}
func (f *Fake) GetPolicy(_ context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	return fcall[iam.GetPolicyOutput](f, "GetPolicy", in)
}
func (f *Fake) GetPolicyVersion(_ context.Context, in *iam.GetPolicyVersionInput, _ ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	return fcall[iam.GetPolicyVersionOutput](f, "GetPolicyVersion", in)
}
func (f *Fake) DescribeInstanceInformation(_ context.Context, in *ssm.DescribeInstanceInformationInput, _ ...func(*ssm.Options)) (*ssm.DescribeInstanceInformationOutput, error) {
	return fcall[ssm.DescribeInstanceInformationOutput](f, "DescribeInstanceInformation", in)
}
func (f *Fake) GetServiceSetting(_ context.Context, in *ssm.GetServiceSettingInput, _ ...func(*ssm.Options)) (*ssm.GetServiceSettingOutput, error) {
	return fcall[ssm.GetServiceSettingOutput](f, "GetServiceSetting", in)
}
func (f *Fake) GetDocument(_ context.Context, in *ssm.GetDocumentInput, _ ...func(*ssm.Options)) (*ssm.GetDocumentOutput, error) {
	return fcall[ssm.GetDocumentOutput](f, "GetDocument", in)
}
func (f *Fake) GetConnectionStatus(_ context.Context, in *ssm.GetConnectionStatusInput, _ ...func(*ssm.Options)) (*ssm.GetConnectionStatusOutput, error) {
	return fcall[ssm.GetConnectionStatusOutput](f, "GetConnectionStatus", in)
}
func (f *Fake) GetCallerIdentity(_ context.Context, in *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return fcall[sts.GetCallerIdentityOutput](f, "GetCallerIdentity", in)
}

// Calls is a copy of the calls made so far, by operation.
func (f *Fake) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.calls)
}

// View is a fresh view of region over f, without the cross-region search.
func (f *Fake) View(region string) *awsfacts.AWSEnv {
	return awsfacts.New(region, awsfacts.APIs{EC2: f, IAM: f, SSM: f, STS: f})
}

// SimulateWith answers SimulatePrincipalPolicy with decide for every
// action and resource asked, the way IAM lays out results.
func SimulateWith(decide func(principal, action, resource string, ctx map[string][]string) iamtypes.PolicyEvaluationDecisionType) func(any) (any, error) {
	return func(in any) (any, error) {
		req := in.(*iam.SimulatePrincipalPolicyInput)
		cx := map[string][]string{}
		for _, e := range req.ContextEntries {
			cx[aws.ToString(e.ContextKeyName)] = e.ContextKeyValues
		}
		res := req.ResourceArns
		if len(res) == 0 {
			res = []string{"*"}
		}
		out := &iam.SimulatePrincipalPolicyOutput{}
		for _, a := range req.ActionNames {
			for _, r := range res {
				d := decide(aws.ToString(req.PolicySourceArn), a, r, cx)
				out.EvaluationResults = append(out.EvaluationResults, iamtypes.EvaluationResult{
					EvalActionName: aws.String(a), EvalResourceName: aws.String(r), EvalDecision: d,
					MatchedStatements: []iamtypes.Statement{{SourcePolicyId: aws.String(fmt.Sprintf("policy-for-%s", a))}},
				})
			}
		}
		return out, nil
	}
}

// InstanceFixture is a running, healthy instance in a subnet routed to NAT.
func InstanceFixture(id string) ec2types.Instance {
	return ec2types.Instance{
		InstanceId:         aws.String(id),
		State:              &ec2types.InstanceState{Name: ec2types.InstanceStateNameRunning},
		Tags:               []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("web-" + id[len(id)-4:])}, {Key: aws.String("team"), Value: aws.String("blue")}},
		VpcId:              aws.String("vpc-1"),
		SubnetId:           aws.String("subnet-1"),
		PrivateIpAddress:   aws.String("10.0.1.10"),
		IamInstanceProfile: &ec2types.IamInstanceProfile{Arn: aws.String("arn:aws:iam::123456789012:instance-profile/ssm-profile")},
		MetadataOptions: &ec2types.InstanceMetadataOptionsResponse{HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled,
			HttpTokens: ec2types.HttpTokensStateRequired, HttpPutResponseHopLimit: aws.Int32(2)},
		SecurityGroups: []ec2types.GroupIdentifier{{GroupId: aws.String("sg-1")}},
	}
}

// CorePolicyArn is the AWS managed policy Healthy attaches to the
// instance role (commercial partition).
const CorePolicyArn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"

// Healthy is an account where alice may do everything and every listed
// instance is running, registered and routed through a NAT gateway.
func Healthy(ids ...string) *Fake {
	f := NewFake()
	insts := map[string]ec2types.Instance{}
	for _, id := range ids {
		insts[id] = InstanceFixture(id)
	}
	f.On("GetCallerIdentity", func(any) (any, error) {
		return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String("arn:aws:iam::123456789012:user/alice"), UserId: aws.String("AIDAALICE")}, nil
	})
	f.On("DescribeInstances", func(in any) (any, error) {
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
					if awsfacts.TagValue(i.Tags, "Name") == fl.Values[0] {
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
	f.On("DescribeInstanceStatus", func(in any) (any, error) {
		req := in.(*ec2.DescribeInstanceStatusInput)
		list := req.InstanceIds
		if len(list) == 0 {
			list = ids
		}
		var out []ec2types.InstanceStatus
		for _, id := range list {
			ok := &ec2types.InstanceStatusSummary{Status: ec2types.SummaryStatusOk}
			out = append(out, ec2types.InstanceStatus{InstanceId: aws.String(id),
				InstanceState: &ec2types.InstanceState{Name: ec2types.InstanceStateNameRunning},
				SystemStatus:  ok, InstanceStatus: ok})
		}
		return &ec2.DescribeInstanceStatusOutput{InstanceStatuses: out}, nil
	})
	f.On("DescribeInstanceInformation", func(in any) (any, error) {
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
	f.On("GetInstanceProfile", func(any) (any, error) {
		return &iam.GetInstanceProfileOutput{InstanceProfile: &iamtypes.InstanceProfile{
			Arn:   aws.String("arn:aws:iam::123456789012:instance-profile/ssm-profile"),
			Roles: []iamtypes.Role{{RoleName: aws.String("ssm-role"), Arn: aws.String("arn:aws:iam::123456789012:role/ssm-role")}},
		}}, nil
	})
	f.On("ListAttachedRolePolicies", func(any) (any, error) {
		return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: []iamtypes.AttachedPolicy{{PolicyArn: aws.String(CorePolicyArn)}}}, nil
	})
	f.On("SimulatePrincipalPolicy", SimulateWith(func(string, string, string, map[string][]string) iamtypes.PolicyEvaluationDecisionType {
		return iamtypes.PolicyEvaluationDecisionTypeAllowed
	}))
	f.On("DescribeRouteTables", func(any) (any, error) {
		return &ec2.DescribeRouteTablesOutput{RouteTables: []ec2types.RouteTable{{
			VpcId:        aws.String("vpc-1"),
			Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}},
			Routes:       []ec2types.Route{{DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String("nat-1"), State: ec2types.RouteStateActive}},
		}}}, nil
	})
	f.On("DescribeSecurityGroups", func(any) (any, error) {
		return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []ec2types.SecurityGroup{{
			GroupId: aws.String("sg-1"), VpcId: aws.String("vpc-1"),
			IpPermissionsEgress: []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
		}}}, nil
	})
	f.On("DescribeNetworkAcls", func(any) (any, error) {
		return &ec2.DescribeNetworkAclsOutput{NetworkAcls: []ec2types.NetworkAcl{DefaultACL()}}, nil
	})
	f.On("GetDocument", func(any) (any, error) {
		return nil, &smithy.GenericAPIError{Code: "InvalidDocument"}
	})
	f.On("GetConnectionStatus", func(any) (any, error) {
		return &ssm.GetConnectionStatusOutput{Status: ssmtypes.ConnectionStatusConnected}, nil
	})
	return f
}

// defaultACL is what CreateVpc makes: rule 100 allows everything each way
// before the "*" deny.
// DefaultACL is a VPC's default network ACL: everything allowed both ways.
func DefaultACL() ec2types.NetworkAcl {
	return ec2types.NetworkAcl{NetworkAclId: aws.String("acl-1"), VpcId: aws.String("vpc-1"), IsDefault: aws.Bool(true),
		Entries: append(ACLAllowAll(), ACLStar()...)}
}

// ACLAllowAll are the default ACL's rule 100 entries: all traffic, both ways.
func ACLAllowAll() []ec2types.NetworkAclEntry {
	return []ec2types.NetworkAclEntry{
		{RuleNumber: aws.Int32(100), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionAllow, Egress: aws.Bool(false), CidrBlock: aws.String("0.0.0.0/0")},
		{RuleNumber: aws.Int32(100), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionAllow, Egress: aws.Bool(true), CidrBlock: aws.String("0.0.0.0/0")},
	}
}

// ACLStar are the implicit deny entries (rule "*") of both directions.
func ACLStar() []ec2types.NetworkAclEntry {
	return []ec2types.NetworkAclEntry{
		{RuleNumber: aws.Int32(32767), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionDeny, Egress: aws.Bool(false), CidrBlock: aws.String("0.0.0.0/0")},
		{RuleNumber: aws.Int32(32767), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionDeny, Egress: aws.Bool(true), CidrBlock: aws.String("0.0.0.0/0")},
	}
}
