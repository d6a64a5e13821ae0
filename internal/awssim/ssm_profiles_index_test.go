package awssim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// TestSSMRegistrationFollowsAssociationChanges: DescribeInstanceInformation
// keeps its association index between calls, and every change of an
// association (associate, replace, a test's WithState) is seen by the
// next call.
func TestSSMRegistrationFollowsAssociationChanges(t *testing.T) {
	st := ssmFixture()
	st.Users["admin"] = &User{Name: "admin", ID: "AIDAADMIN00000001", InlinePolicies: map[string]string{
		"all": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}}
	st.AccessKeys["AKIAADMIN"] = &AccessKey{ID: "AKIAADMIN", Secret: "secret-admin", UserName: "admin", Status: "Active"}
	clk := &ssmClock{t: ssmT0}
	s := startSim(t, st, Options{Now: clk.Now})
	c := ssm.NewFromConfig(awsConfig(s, "AKIAADMIN", "secret-admin", ""))
	e := ec2.NewFromConfig(awsConfig(s, "AKIAADMIN", "secret-admin", ""))
	ctx := context.Background()
	listed := func(id string) bool {
		t.Helper()
		out, err := c.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{
			Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: []string{id}}}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.InstanceInformationList) == 1
	}
	if listed(idNoProfile) || listed(idRoleNoSSM) {
		t.Fatal("fixture: the instance without a profile or with a role lacking SSM is registered")
	}

	// Replace the role-without-SSM profile by the core one.
	var assoc string
	s.WithState(func(st *State) {
		for _, a := range st.Associations {
			if a.InstanceID == idRoleNoSSM {
				assoc = a.ID
			}
		}
	})
	if _, err := e.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId: aws.String(assoc), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("prof-core")}}); err != nil {
		t.Fatal(err)
	}
	if !listed(idRoleNoSSM) {
		t.Error("after ReplaceIamInstanceProfileAssociation to the core profile: not registered")
	}

	if _, err := e.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(idNoProfile),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("prof-core")}}); err != nil {
		t.Fatal(err)
	}
	if !listed(idNoProfile) {
		t.Error("after AssociateIamInstanceProfile: not registered")
	}

	// A change made directly to the state counts as well.
	s.WithState(func(st *State) {
		for id, a := range st.Associations {
			if a.InstanceID == idNoProfile {
				delete(st.Associations, id)
			}
		}
		st.Instances[idNoProfile].InstanceProfileName = ""
	})
	if listed(idNoProfile) {
		t.Error("association removed through WithState: still registered")
	}
}
