package awssim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestSTSCallerIdentityAndAssumeRole(t *testing.T) {
	s, clk := startEC2Sim(t)
	ctx := context.Background()
	who, err := stsAs(s, "alice").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	var aliceID, roleID string
	s.WithState(func(st *State) { aliceID, roleID = st.Users["alice"].ID, st.Roles["SSHOperator"].ID })
	if aws.ToString(who.Arn) != "arn:aws:iam::123456789012:user/alice" || aws.ToString(who.UserId) != aliceID || aws.ToString(who.Account) != "123456789012" {
		t.Fatalf("alice: %v %v %v", aws.ToString(who.Arn), aws.ToString(who.UserId), aws.ToString(who.Account))
	}
	// Never denied, even for a user with no policy.
	if _, err := stsAs(s, "nobody").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("nobody: %v", err)
	}

	ar, err := stsAs(s, "alice").AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/SSHOperator"), RoleSessionName: aws.String("alice-laptop")})
	if err != nil {
		t.Fatal(err)
	}
	cr := ar.Credentials
	if !strings.HasPrefix(aws.ToString(cr.AccessKeyId), "ASIA") || len(aws.ToString(cr.AccessKeyId)) != 20 || aws.ToString(cr.SessionToken) == "" ||
		!cr.Expiration.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("credentials: key %s expiration %v", aws.ToString(cr.AccessKeyId), cr.Expiration)
	}
	if aws.ToString(ar.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/SSHOperator/alice-laptop" ||
		aws.ToString(ar.AssumedRoleUser.AssumedRoleId) != roleID+":alice-laptop" {
		t.Fatalf("assumed role user %+v", ar.AssumedRoleUser)
	}
	cfg := awsConfig(s, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	me, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(me.Arn) != "arn:aws:sts::123456789012:assumed-role/SSHOperator/alice-laptop" || aws.ToString(me.UserId) != roleID+":alice-laptop" {
		t.Fatalf("session identity %v %v", aws.ToString(me.Arn), aws.ToString(me.UserId))
	}
	// The session acts with the role's policy (ec2:Describe* through SSHViaSessionManager).
	if _, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{}); err != nil {
		t.Fatalf("role session DescribeRegions: %v", err)
	}

	// Expired session credentials: each service's own error.
	clk.Advance(time.Hour)
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", 403, "The security token included in the request is expired")
	_, err = ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	wantAPIError(t, err, "RequestExpired", 400, "")
}

func TestSTSAssumeRoleRefusals(t *testing.T) {
	s, _ := startEC2Sim(t)
	ctx := context.Background()
	role := aws.String("arn:aws:iam::123456789012:role/SSHOperator")
	// bob is not in the trust policy.
	_, err := stsAs(s, "bob").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("bob")})
	wantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/SSHOperator")
	// A missing role looks the same as an untrusting one.
	_, err = stsAs(s, "alice").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Nope"), RoleSessionName: aws.String("x1")})
	wantAPIError(t, err, "AccessDenied", 403, "on resource: arn:aws:iam::123456789012:role/Nope")
	// Trust naming the account still needs the caller's own sts:AssumeRole permission.
	s.WithState(func(st *State) {
		st.Roles["SSHOperator"].AssumeRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	})
	_, err = stsAs(s, "nobody").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("nobody")})
	wantAPIError(t, err, "AccessDenied", 403, "sts:AssumeRole")
	if _, err := stsAs(s, "admin").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("admin"), DurationSeconds: aws.Int32(7200)}); err != nil {
		t.Fatalf("admin within MaxSessionDuration: %v", err)
	}
	_, err = stsAs(s, "admin").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("admin"), DurationSeconds: aws.Int32(7201)})
	wantAPIError(t, err, "ValidationError", 400, "exceeds the MaxSessionDuration")
	_, err = stsAs(s, "admin").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("admin"), DurationSeconds: aws.Int32(100)})
	wantAPIError(t, err, "ValidationError", 400, "greater than or equal to 900")
	_, err = stsAs(s, "admin").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("has space")})
	wantAPIError(t, err, "ValidationError", 400, "roleSessionName")
}

// TestEC2AccessDenied calls every EC2 operation as a user with no policy.
func TestEC2AccessDenied(t *testing.T) {
	s, _ := startEC2Sim(t)
	c := ec2As(s, "nobody")
	ctx := context.Background()
	spec := &types.IamInstanceProfileSpecification{Name: aws.String("SSMInstanceProfile")}
	calls := map[string]func() error{
		"DescribeInstances": func() error { _, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}); return err },
		"DescribeIamInstanceProfileAssociations": func() error {
			_, err := c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{})
			return err
		},
		"AssociateIamInstanceProfile": func() error {
			_, err := c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(demoNoProfile), IamInstanceProfile: spec})
			return err
		},
		"ReplaceIamInstanceProfileAssociation": func() error {
			var id string
			s.WithState(func(st *State) {
				for _, a := range st.Associations {
					if a.InstanceID == demoHealthy {
						id = a.ID
					}
				}
			})
			_, err := c.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{AssociationId: aws.String(id), IamInstanceProfile: spec})
			return err
		},
		"DescribeVpcEndpoints": func() error { _, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}); return err },
		"CreateVpcEndpoint": func() error {
			_, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-0bad0000000000007"), ServiceName: aws.String("com.amazonaws.us-east-1.s3")})
			return err
		},
		"DescribeRouteTables":    func() error { _, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{}); return err },
		"DescribeSubnets":        func() error { _, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}); return err },
		"DescribeSecurityGroups": func() error { _, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); return err },
		"DescribeVpcAttribute": func() error {
			_, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-0a11600d000000001"), Attribute: "enableDnsSupport"})
			return err
		},
		"DescribeRegions":     func() error { _, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{}); return err },
		"DescribeNetworkAcls": func() error { _, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{}); return err },
		"StartInstances": func() error {
			_, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{demoStopped}})
			return err
		},
		"CreateSecurityGroup": func() error {
			_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), VpcId: aws.String("vpc-0a11600d000000001")})
			return err
		},
		"AuthorizeSecurityGroupIngress": func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-0a11600d000000002"),
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("10.0.0.0/8")})
			return err
		},
		"AuthorizeSecurityGroupEgress": func() error {
			_, err := c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String("sg-0a11600d000000002"),
				IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
					IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}})
			return err
		},
		"ModifyVpcAttribute": func() error {
			_, err := c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String("vpc-0a11600d000000001"),
				EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
			return err
		},
	}
	for op, call := range calls {
		t.Run(op, func(t *testing.T) {
			wantAPIError(t, call(), "UnauthorizedOperation", 403,
				"User: arn:aws:iam::123456789012:user/nobody is not authorized to perform: ec2:"+op)
		})
	}
	if n := s.MutatingCalls(); n == 0 {
		t.Fatal("mutating calls were not counted")
	}
	// Nothing changed.
	s.WithState(func(st *State) {
		if st.Instances[demoStopped].State != "stopped" || assocOf(st, demoNoProfile) != nil {
			t.Fatal("a denied call changed the account")
		}
	})
}
