package awssim

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestIAMPutGroupPolicy: a group's new inline policy is readable back and
// takes effect for the group's members at once.
func TestIAMPutGroupPolicy(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	admin := iamAs(s, "admin")
	member := iamAs(s, "sshuser") // in group devs
	var role string
	s.WithState(func(st *State) {
		for name := range st.Roles {
			role = name
		}
	})
	if _, err := member.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String(role)}); apiCode(err) != "AccessDenied" {
		t.Fatalf("before: member GetRole = %v, want AccessDenied", err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`
	if _, err := admin.PutGroupPolicy(iamCtx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("roles"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatalf("PutGroupPolicy: %v", err)
	}
	if _, err := member.GetRole(iamCtx, &iam.GetRoleInput{RoleName: aws.String(role)}); err != nil {
		t.Fatalf("after: member GetRole = %v, want allowed through the group's new policy", err)
	}
	got, err := admin.GetGroupPolicy(iamCtx, &iam.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("roles")})
	if err != nil || aws.ToString(got.GroupName) != "devs" || aws.ToString(got.PolicyDocument) != encodeDoc(doc) {
		t.Fatalf("GetGroupPolicy: %v %+v", err, got)
	}
	_, err = admin.PutGroupPolicy(iamCtx, &iam.PutGroupPolicyInput{GroupName: aws.String("ghosts"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
	if apiCode(err) != "NoSuchEntity" {
		t.Fatalf("unknown group: %v", err)
	}
	_, err = iamAs(s, "nobody").PutGroupPolicy(iamCtx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("caller without iam:PutGroupPolicy: %v", err)
	}
}
