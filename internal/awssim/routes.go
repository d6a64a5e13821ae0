package awssim

// The simulator's routes: every operation it answers, in one table. New
// installs the table; dispatch (protocol.go) looks a call up by
// "service.Operation" and answers any operation not listed here with the
// service's unknown-operation error. The handlers stay in their service's
// files; only the list of them lives here, so adding an operation means a
// handler there and a line here.

// route is one operation: the service as it signs requests, the operation's
// name and the handler that answers it.
type route struct {
	service, op string
	h           opHandler
}

// routes returns the table, bound to s, grouped by service.
func (s *Sim) routes() []route {
	// StartSession and ResumeSession are wrapped to remember every data
	// channel token they hand out (ssm_tokens.go), for the leak tests.
	tokens := issuedLogFor(s)
	return []route{
		// STS (sts_ops.go): who am I, and role sessions.
		{"sts", "GetCallerIdentity", s.stsGetCallerIdentity},
		{"sts", "AssumeRole", s.stsAssumeRole},

		// IAM users (iam_users.go; the policy handlers shared by users,
		// groups and roles are in iam_entity.go).
		{"iam", "GetUser", s.iamGetUser},
		{"iam", "ListAttachedUserPolicies", s.iamListAttachedPolicies(userKind)},
		{"iam", "ListUserPolicies", s.iamListInlinePolicies(userKind)},
		{"iam", "GetUserPolicy", s.iamGetInlinePolicy(userKind)},
		{"iam", "PutUserPolicy", s.iamPutInlinePolicy(userKind)},
		{"iam", "ListGroupsForUser", s.iamListGroupsForUser},

		// IAM groups (iam_entity.go).
		{"iam", "ListAttachedGroupPolicies", s.iamListAttachedPolicies(groupKind)},
		{"iam", "ListGroupPolicies", s.iamListInlinePolicies(groupKind)},
		{"iam", "GetGroupPolicy", s.iamGetInlinePolicy(groupKind)},
		{"iam", "PutGroupPolicy", s.iamPutInlinePolicy(groupKind)},

		// IAM roles (iam_roles.go, iam_entity.go).
		{"iam", "GetRole", s.iamGetRole},
		{"iam", "CreateRole", s.iamCreateRole},
		{"iam", "AttachRolePolicy", s.iamAttachRolePolicy},
		{"iam", "ListAttachedRolePolicies", s.iamListAttachedPolicies(roleKind)},
		{"iam", "ListRolePolicies", s.iamListInlinePolicies(roleKind)},
		{"iam", "GetRolePolicy", s.iamGetInlinePolicy(roleKind)},
		{"iam", "PutRolePolicy", s.iamPutInlinePolicy(roleKind)},

		// IAM instance profiles (iam_profiles.go), managed policies
		// (iam_policies.go) and the policy simulator (iam_simulate.go).
		{"iam", "GetInstanceProfile", s.iamGetInstanceProfile},
		{"iam", "CreateInstanceProfile", s.iamCreateInstanceProfile},
		{"iam", "AddRoleToInstanceProfile", s.iamAddRoleToInstanceProfile},
		{"iam", "GetPolicy", s.iamGetPolicy},
		{"iam", "GetPolicyVersion", s.iamGetPolicyVersion},
		{"iam", "SimulatePrincipalPolicy", s.iamSimulatePrincipalPolicy},
		{"iam", "GetAccountAuthorizationDetails", s.iamGetAccountAuthorizationDetails}, // iam_authdetails.go

		// EC2 instances (ec2_instances.go, ec2_start.go) and their instance
		// profile associations (ec2_profiles.go).
		{"ec2", "DescribeInstances", s.ec2DescribeInstances},
		{"ec2", "StartInstances", s.ec2StartInstances},
		{"ec2", "DescribeInstanceStatus", s.ec2DescribeInstanceStatus}, // ec2_status.go
		{"ec2", "DescribeKeyPairs", s.ec2DescribeKeyPairs},             // ec2_keypairs.go
		{"ec2", "DescribeIamInstanceProfileAssociations", s.ec2DescribeProfileAssocs},
		{"ec2", "AssociateIamInstanceProfile", s.ec2AssociateProfile},
		{"ec2", "ReplaceIamInstanceProfileAssociation", s.ec2ReplaceProfileAssoc},

		// EC2 network: subnets, routes, VPC attributes and regions
		// (ec2_network.go), network ACLs (ec2_nacl_api.go), security groups
		// (ec2_sg.go, ec2_sg_egress.go, ec2_sg_revoke.go) and VPC endpoints (ec2_vpce.go).
		{"ec2", "DescribeSubnets", s.ec2DescribeSubnets},
		{"ec2", "DescribeRouteTables", s.ec2DescribeRouteTables},
		{"ec2", "DescribeVpcAttribute", s.ec2DescribeVpcAttribute},
		{"ec2", "ModifyVpcAttribute", s.ec2ModifyVpcAttribute},
		{"ec2", "DescribeRegions", s.ec2DescribeRegions},
		{"ec2", "DescribeNetworkAcls", s.ec2DescribeNetworkAcls},
		{"ec2", "DescribeSecurityGroups", s.ec2DescribeSecurityGroups},
		{"ec2", "CreateSecurityGroup", s.ec2CreateSecurityGroup},
		{"ec2", "AuthorizeSecurityGroupIngress", s.ec2AuthorizeIngress},
		{"ec2", "AuthorizeSecurityGroupEgress", s.ec2AuthorizeEgress},
		{"ec2", "RevokeSecurityGroupIngress", s.ec2RevokeIngress},
		{"ec2", "DescribeVpcEndpoints", s.ec2DescribeVpcEndpoints},
		{"ec2", "CreateVpcEndpoint", s.ec2CreateVpcEndpoint},

		// EC2 Instance Connect (eic_send.go).
		{"ec2-instance-connect", "SendSSHPublicKey", s.eicSendSSHPublicKey},

		// SSM managed nodes (ssm_instances.go), documents (ssm_documents.go),
		// sessions (ssm_sessions.go) and service settings (ssm_settings.go).
		{"ssm", "DescribeInstanceInformation", s.ssmDescribeInstanceInformation},
		{"ssm", "GetConnectionStatus", s.ssmGetConnectionStatus},
		{"ssm", "GetDocument", s.ssmGetDocument},
		{"ssm", "StartSession", s.rememberTokens(tokens, s.ssmStartSession)},
		{"ssm", "ResumeSession", s.rememberTokens(tokens, s.ssmResumeSession)},
		{"ssm", "TerminateSession", s.ssmTerminateSession},
		{"ssm", "DescribeSessions", s.ssmDescribeSessions},
		{"ssm", "GetServiceSetting", s.ssmGetServiceSetting},
		{"ssm", "UpdateServiceSetting", s.ssmUpdateServiceSetting},

		// Run Command (ssm_commands.go), whose simulated agent runs
		// ssmdoctor's own scripts against each instance's OS (oscmd_*.go).
		{"ssm", "SendCommand", s.ssmSendCommand},
		{"ssm", "GetCommandInvocation", s.ssmGetCommandInvocation},
		{"ssm", "ListCommandInvocations", s.ssmListCommandInvocations},

		// KMS (kms_ops.go): the session's data keys.
		{"kms", "GenerateDataKey", s.kmsGenerateDataKey},
		{"kms", "Decrypt", s.kmsDecrypt},
	}
}

// registerRoutes installs the table; New calls it once.
func (s *Sim) registerRoutes() {
	for _, r := range s.routes() {
		s.handle(r.service, r.op, r.h)
	}
}

// handle registers an operation's handler, replacing any before it (tests
// replace handlers with stand-ins).
func (s *Sim) handle(service, op string, h opHandler) {
	s.ops[service+"."+op] = h
}
