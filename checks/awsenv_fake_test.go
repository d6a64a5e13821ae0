package checks

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// fakeAWS serves every narrow interface from per-operation funcs; an
// operation without a func fails with NotStubbed so a test notices calls
// it did not expect.
type fakeAWS struct {
	mu    sync.Mutex
	ops   map[string]func(in any) (any, error)
	calls map[string]int
}

func newFake() *fakeAWS {
	return &fakeAWS{ops: map[string]func(any) (any, error){}, calls: map[string]int{}}
}

func (f *fakeAWS) on(op string, h func(in any) (any, error)) { f.ops[op] = h }

func (f *fakeAWS) deny(op string) {
	f.ops[op] = func(any) (any, error) {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform " + op}
	}
}

func (f *fakeAWS) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.calls {
		n += v
	}
	return n
}

func (f *fakeAWS) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func fcall[O any](f *fakeAWS, op string, in any) (*O, error) {
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

func (f *fakeAWS) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return fcall[ec2.DescribeInstancesOutput](f, "DescribeInstances", in)
}
func (f *fakeAWS) DescribeIamInstanceProfileAssociations(_ context.Context, in *ec2.DescribeIamInstanceProfileAssociationsInput, _ ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error) {
	return fcall[ec2.DescribeIamInstanceProfileAssociationsOutput](f, "DescribeIamInstanceProfileAssociations", in)
}
func (f *fakeAWS) DescribeRouteTables(_ context.Context, in *ec2.DescribeRouteTablesInput, _ ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	return fcall[ec2.DescribeRouteTablesOutput](f, "DescribeRouteTables", in)
}
func (f *fakeAWS) DescribeVpcEndpoints(_ context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	return fcall[ec2.DescribeVpcEndpointsOutput](f, "DescribeVpcEndpoints", in)
}
func (f *fakeAWS) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return fcall[ec2.DescribeSecurityGroupsOutput](f, "DescribeSecurityGroups", in)
}
func (f *fakeAWS) DescribeNetworkAcls(_ context.Context, in *ec2.DescribeNetworkAclsInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error) {
	return fcall[ec2.DescribeNetworkAclsOutput](f, "DescribeNetworkAcls", in)
}
func (f *fakeAWS) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return fcall[ec2.DescribeSubnetsOutput](f, "DescribeSubnets", in)
}
func (f *fakeAWS) DescribeVpcAttribute(_ context.Context, in *ec2.DescribeVpcAttributeInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	return fcall[ec2.DescribeVpcAttributeOutput](f, "DescribeVpcAttribute", in)
}
func (f *fakeAWS) DescribeRegions(_ context.Context, in *ec2.DescribeRegionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error) {
	return fcall[ec2.DescribeRegionsOutput](f, "DescribeRegions", in)
}
func (f *fakeAWS) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	return fcall[iam.SimulatePrincipalPolicyOutput](f, "SimulatePrincipalPolicy", in)
}
func (f *fakeAWS) GetInstanceProfile(_ context.Context, in *iam.GetInstanceProfileInput, _ ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	return fcall[iam.GetInstanceProfileOutput](f, "GetInstanceProfile", in)
}
func (f *fakeAWS) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return fcall[iam.GetRoleOutput](f, "GetRole", in)
}
func (f *fakeAWS) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return fcall[iam.ListAttachedRolePoliciesOutput](f, "ListAttachedRolePolicies", in)
}
func (f *fakeAWS) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return fcall[iam.ListRolePoliciesOutput](f, "ListRolePolicies", in)
}
func (f *fakeAWS) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	return fcall[iam.GetRolePolicyOutput](f, "GetRolePolicy", in)
}
func (f *fakeAWS) GetUser(_ context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return fcall[iam.GetUserOutput](f, "GetUser", in)
}
func (f *fakeAWS) ListAttachedUserPolicies(_ context.Context, in *iam.ListAttachedUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	return fcall[iam.ListAttachedUserPoliciesOutput](f, "ListAttachedUserPolicies", in)
}
func (f *fakeAWS) ListUserPolicies(_ context.Context, in *iam.ListUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return fcall[iam.ListUserPoliciesOutput](f, "ListUserPolicies", in)
}
func (f *fakeAWS) GetUserPolicy(_ context.Context, in *iam.GetUserPolicyInput, _ ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error) {
	return fcall[iam.GetUserPolicyOutput](f, "GetUserPolicy", in)
}
func (f *fakeAWS) ListGroupsForUser(_ context.Context, in *iam.ListGroupsForUserInput, _ ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	return fcall[iam.ListGroupsForUserOutput](f, "ListGroupsForUser", in)
}
func (f *fakeAWS) ListAttachedGroupPolicies(_ context.Context, in *iam.ListAttachedGroupPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error) {
	return fcall[iam.ListAttachedGroupPoliciesOutput](f, "ListAttachedGroupPolicies", in)
}
func (f *fakeAWS) ListGroupPolicies(_ context.Context, in *iam.ListGroupPoliciesInput, _ ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error) {
	return fcall[iam.ListGroupPoliciesOutput](f, "ListGroupPolicies", in)
}
func (f *fakeAWS) GetGroupPolicy(_ context.Context, in *iam.GetGroupPolicyInput, _ ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error) {
	return fcall[iam.GetGroupPolicyOutput](f, "GetGroupPolicy", in)
}
func (f *fakeAWS) GetPolicy(_ context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	return fcall[iam.GetPolicyOutput](f, "GetPolicy", in)
}
func (f *fakeAWS) GetPolicyVersion(_ context.Context, in *iam.GetPolicyVersionInput, _ ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	return fcall[iam.GetPolicyVersionOutput](f, "GetPolicyVersion", in)
}
func (f *fakeAWS) DescribeInstanceInformation(_ context.Context, in *ssm.DescribeInstanceInformationInput, _ ...func(*ssm.Options)) (*ssm.DescribeInstanceInformationOutput, error) {
	return fcall[ssm.DescribeInstanceInformationOutput](f, "DescribeInstanceInformation", in)
}
func (f *fakeAWS) GetServiceSetting(_ context.Context, in *ssm.GetServiceSettingInput, _ ...func(*ssm.Options)) (*ssm.GetServiceSettingOutput, error) {
	return fcall[ssm.GetServiceSettingOutput](f, "GetServiceSetting", in)
}
func (f *fakeAWS) GetDocument(_ context.Context, in *ssm.GetDocumentInput, _ ...func(*ssm.Options)) (*ssm.GetDocumentOutput, error) {
	return fcall[ssm.GetDocumentOutput](f, "GetDocument", in)
}
func (f *fakeAWS) GetConnectionStatus(_ context.Context, in *ssm.GetConnectionStatusInput, _ ...func(*ssm.Options)) (*ssm.GetConnectionStatusOutput, error) {
	return fcall[ssm.GetConnectionStatusOutput](f, "GetConnectionStatus", in)
}
func (f *fakeAWS) GetCallerIdentity(_ context.Context, in *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return fcall[sts.GetCallerIdentityOutput](f, "GetCallerIdentity", in)
}

func (f *fakeAWS) env(region string) *AWSEnv {
	return &AWSEnv{Region: region, ec2: f, iam: f, ssm: f, sts: f}
}

// simulateWith answers SimulatePrincipalPolicy with decide for every
// action and resource asked, the way IAM lays out results.
func simulateWith(decide func(principal, action, resource string, ctx map[string][]string) iamtypes.PolicyEvaluationDecisionType) func(any) (any, error) {
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

// instanceFixture is a running, healthy instance in a subnet routed to NAT.
func instanceFixture(id string) ec2types.Instance {
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
