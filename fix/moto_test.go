package fix

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/motoserver"
)

// The role and policy fixes against moto, a second implementation of IAM
// and EC2: applied once they hold, and planned again they are empty.
func TestMotoRoleAndPolicyFixes(t *testing.T) {
	srv := motoserver.Start(t) // skips with the reason locally, fails in CI
	ctx := context.Background()
	c := awsapi.FromConfig(srv.Config(motoserver.NewAccountID()), nil)
	a := NewAWS(c)
	a.Poll = 1

	if _, err := c.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("erin")}); err != nil {
		t.Fatal(err)
	}
	p, err := PlanUserPolicy(ctx, a, UserPolicyOptions{Attach: "user/erin", Tag: "team=ops"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 {
		t.Fatalf("plan %+v", p)
	}
	if err := p.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.IAM.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("erin"), PolicyName: aws.String(UserPolicyName)})
	if err != nil {
		t.Fatal(err)
	}
	if doc := policyJSON(aws.ToString(got.PolicyDocument)); !sameJSON(doc, p.Steps[0].(*Call).Params[2].Value) {
		t.Fatalf("stored policy differs: %s", doc)
	}
	if p2, err := PlanUserPolicy(ctx, a, UserPolicyOptions{Attach: "user/erin", Tag: "team=ops"}); err != nil || !p2.Empty() {
		t.Fatalf("second plan %+v, %v", p2, err)
	}

	run, err := c.EC2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeT3Micro})
	if err != nil {
		t.Fatalf("moto RunInstances: %v", err)
	}
	id := aws.ToString(run.Instances[0].InstanceId)
	p, err = PlanInstanceRole(ctx, a, id, RoleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
	attached, err := attachedPolicies(ctx, a, DefaultRoleName)
	if err != nil || !attached[CorePolicyArn] {
		t.Fatalf("role policies %v, %v", attached, err)
	}
	assoc, err := currentAssociation(ctx, a, id)
	if err != nil || assoc == nil || nameFromArn(aws.ToString(assoc.IamInstanceProfile.Arn)) != DefaultProfileName {
		t.Fatalf("association %+v, %v", assoc, err)
	}
	p, err = PlanInstanceRole(ctx, a, id, RoleOptions{})
	if err != nil || !p.Empty() {
		t.Fatalf("second plan %+v, %v", p, err)
	}
}
