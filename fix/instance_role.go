package fix

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Defaults for the role and instance profile ssmdoctor creates (README).
const (
	DefaultRoleName    = "SSMDoctorInstanceRole"
	DefaultProfileName = "SSMDoctorInstanceProfile"
	CorePolicyArn      = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
	legacyPolicyArn    = "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"
	ec2TrustPolicy     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// RoleOptions tune --instance-role.
type RoleOptions struct {
	RoleName    string // default DefaultRoleName
	ProfileName string // default DefaultProfileName
	// Replace swaps an existing profile for ssmdoctor's; without it an
	// existing profile's role is extended instead.
	Replace bool
}

// PlanInstanceRole plans what instanceID needs for Systems Manager
// credentials: with no profile, a role and profile of its own; with a
// profile whose role lacks the core policy, that policy on that role (what
// Quick Setup cannot do); with --replace, ssmdoctor's profile instead.
func PlanInstanceRole(ctx context.Context, a *AWS, instanceID string, o RoleOptions) (*Plan, error) {
	if o.RoleName == "" {
		o.RoleName = DefaultRoleName
	}
	if o.ProfileName == "" {
		o.ProfileName = DefaultProfileName
	}
	p := &Plan{Title: "instance role for " + instanceID}
	inst, err := describeInstance(ctx, a, instanceID)
	if err != nil {
		return nil, err
	}
	assoc, err := currentAssociation(ctx, a, instanceID)
	if err != nil {
		return nil, err
	}
	if assoc != nil && !o.Replace {
		return planExtendProfile(ctx, a, p, nameFromArn(aws.ToString(assoc.IamInstanceProfile.Arn)))
	}
	if assoc != nil && nameFromArn(aws.ToString(assoc.IamInstanceProfile.Arn)) == o.ProfileName {
		return planExtendProfile(ctx, a, p, o.ProfileName)
	}
	if err := planOwnProfile(ctx, a, p, o); err != nil {
		return nil, err
	}
	if assoc == nil {
		p.Steps = append(p.Steps, associateCall(a, instanceID, o.ProfileName))
	} else {
		old := nameFromArn(aws.ToString(assoc.IamInstanceProfile.Arn))
		p.Notes = append(p.Notes, fmt.Sprintf("--replace: %s loses profile %s (and whatever its role allowed); the profile itself is kept", instanceID, old))
		p.Steps = append(p.Steps, &Call{Service: "ec2", Operation: "ReplaceIamInstanceProfileAssociation",
			Params: []Param{{"AssociationId", aws.ToString(assoc.AssociationId)}, {"IamInstanceProfile.Name", o.ProfileName}},
			Do: func(ctx context.Context) error {
				return retryPropagation(ctx, a, func() error {
					_, err := a.EC2.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
						AssociationId: assoc.AssociationId, IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(o.ProfileName)}})
					return err
				})
			}})
	}
	if inst.MetadataOptions != nil && inst.MetadataOptions.HttpEndpoint == ec2types.InstanceMetadataEndpointStateDisabled {
		p.Notes = append(p.Notes, "the instance metadata endpoint is disabled: the agent cannot read the role's credentials until it is enabled (aws ec2 modify-instance-metadata-options --http-endpoint enabled)")
	}
	p.Notes = append(p.Notes, "the agent picks the new credentials up within minutes; restarting it (or the instance) is quicker")
	return p, nil
}

func describeInstance(ctx context.Context, a *AWS, id string) (*ec2types.Instance, error) {
	out, err := a.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if isCode(err, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed") {
		return nil, refuse("check the id and --region", "%s: no such instance in %s", id, a.Region)
	}
	if err != nil {
		return nil, fmt.Errorf("describe instance %s: %w", id, err)
	}
	for _, r := range out.Reservations {
		for i := range r.Instances {
			return &r.Instances[i], nil
		}
	}
	return nil, refuse("check the id and --region", "%s: no such instance in %s", id, a.Region)
}

func currentAssociation(ctx context.Context, a *AWS, id string) (*ec2types.IamInstanceProfileAssociation, error) {
	out, err := a.EC2.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}}})
	if err != nil {
		return nil, fmt.Errorf("describe instance profile associations of %s: %w", id, err)
	}
	for i, as := range out.IamInstanceProfileAssociations {
		if as.State == ec2types.IamInstanceProfileAssociationStateAssociated || as.State == ec2types.IamInstanceProfileAssociationStateAssociating {
			return &out.IamInstanceProfileAssociations[i], nil
		}
	}
	return nil, nil
}

// planExtendProfile attaches the core policy to the role of an existing
// profile, leaving everything else on that role alone.
func planExtendProfile(ctx context.Context, a *AWS, p *Plan, profile string) (*Plan, error) {
	out, err := a.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(profile)})
	if err != nil {
		return nil, fmt.Errorf("get instance profile %s: %w", profile, err)
	}
	if len(out.InstanceProfile.Roles) == 0 {
		return nil, refuse("add a role to it (aws iam add-role-to-instance-profile) or run with --replace",
			"instance profile %s holds no role", profile)
	}
	role := aws.ToString(out.InstanceProfile.Roles[0].RoleName)
	attached, err := attachedPolicies(ctx, a, role)
	if err != nil {
		return nil, err
	}
	if attached[CorePolicyArn] {
		p.Already = fmt.Sprintf("profile %s: role %s has AmazonSSMManagedInstanceCore", profile, role)
		return p, nil
	}
	if attached[legacyPolicyArn] {
		p.Notes = append(p.Notes, fmt.Sprintf("role %s has the deprecated AmazonEC2RoleforSSM, which stays attached: detach it yourself once the instance works with AmazonSSMManagedInstanceCore", role))
	}
	p.Notes = append(p.Notes, fmt.Sprintf("the instance keeps profile %s; its role %s gains the Systems Manager core permissions", profile, role))
	p.Steps = append(p.Steps, attachCall(a, role, CorePolicyArn))
	return p, nil
}

// planOwnProfile ensures ssmdoctor's role (trusted by EC2, with the core
// policy) and its instance profile, then waits until the profile carries
// the role. Each part is planned from what exists, so a re-run after a
// failure continues where the first stopped.
func planOwnProfile(ctx context.Context, a *AWS, p *Plan, o RoleOptions) error {
	_, err := a.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(o.RoleName)})
	switch {
	case notFound(err):
		p.Steps = append(p.Steps, &Call{Service: "iam", Operation: "CreateRole",
			Params: []Param{{"RoleName", o.RoleName}, {"Description", "Systems Manager core permissions for EC2 instances (created by ssmdoctor)"}, {"AssumeRolePolicyDocument", ec2TrustPolicy}},
			Do: func(ctx context.Context) error {
				_, err := a.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(o.RoleName), AssumeRolePolicyDocument: aws.String(ec2TrustPolicy),
					Description: aws.String("Systems Manager core permissions for EC2 instances (created by ssmdoctor)")})
				return err
			}}, attachCall(a, o.RoleName, CorePolicyArn))
	case err != nil:
		return fmt.Errorf("get role %s: %w", o.RoleName, err)
	default:
		attached, err := attachedPolicies(ctx, a, o.RoleName)
		if err != nil {
			return err
		}
		if !attached[CorePolicyArn] {
			p.Steps = append(p.Steps, attachCall(a, o.RoleName, CorePolicyArn))
		}
	}
	prof, err := a.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(o.ProfileName)})
	hasRole := false
	switch {
	case notFound(err):
		p.Steps = append(p.Steps, &Call{Service: "iam", Operation: "CreateInstanceProfile", Params: []Param{{"InstanceProfileName", o.ProfileName}},
			Do: func(ctx context.Context) error {
				_, err := a.IAM.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(o.ProfileName)})
				return err
			}})
	case err != nil:
		return fmt.Errorf("get instance profile %s: %w", o.ProfileName, err)
	default:
		for _, r := range prof.InstanceProfile.Roles {
			if aws.ToString(r.RoleName) == o.RoleName {
				hasRole = true
			} else {
				return refuse("choose other names with --profile-name/--role-name",
					"instance profile %s already holds role %s (a profile holds one role)", o.ProfileName, aws.ToString(r.RoleName))
			}
		}
	}
	if !hasRole {
		p.Steps = append(p.Steps, &Call{Service: "iam", Operation: "AddRoleToInstanceProfile",
			Params: []Param{{"InstanceProfileName", o.ProfileName}, {"RoleName", o.RoleName}},
			Do: func(ctx context.Context) error {
				_, err := a.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(o.ProfileName), RoleName: aws.String(o.RoleName)})
				return err
			}},
			&Wait{What: fmt.Sprintf("instance profile %s carries role %s", o.ProfileName, o.RoleName), Do: func(ctx context.Context) error {
				return a.poll(ctx, func(ctx context.Context) (bool, error) {
					out, err := a.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(o.ProfileName)})
					if notFound(err) {
						return false, nil
					}
					if err != nil {
						return false, fmt.Errorf("get instance profile %s: %w", o.ProfileName, err)
					}
					for _, r := range out.InstanceProfile.Roles {
						if aws.ToString(r.RoleName) == o.RoleName {
							return true, nil
						}
					}
					return false, nil
				})
			}})
	}
	return nil
}

func attachedPolicies(ctx context.Context, a *AWS, role string) (map[string]bool, error) {
	out := map[string]bool{}
	pg := iam.NewListAttachedRolePoliciesPaginator(a.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list policies attached to role %s: %w", role, err)
		}
		for _, ap := range page.AttachedPolicies {
			out[aws.ToString(ap.PolicyArn)] = true
		}
	}
	return out, nil
}

func attachCall(a *AWS, role, policy string) *Call {
	return &Call{Service: "iam", Operation: "AttachRolePolicy", Params: []Param{{"RoleName", role}, {"PolicyArn", policy}},
		Do: func(ctx context.Context) error {
			_, err := a.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policy)})
			return err
		}}
}

func associateCall(a *AWS, instanceID, profile string) *Call {
	return &Call{Service: "ec2", Operation: "AssociateIamInstanceProfile",
		Params: []Param{{"InstanceId", instanceID}, {"IamInstanceProfile.Name", profile}},
		Do: func(ctx context.Context) error {
			return retryPropagation(ctx, a, func() error {
				_, err := a.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(instanceID),
					IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(profile)}})
				return err
			})
		}}
}

// retryPropagation retries a call EC2 refuses because a new instance
// profile has not reached it yet (IAM is eventually consistent: "Invalid
// IAM Instance Profile name" for some seconds after creation).
func retryPropagation(ctx context.Context, a *AWS, call func() error) error {
	var last error
	err := a.poll(ctx, func(context.Context) (bool, error) {
		last = call()
		if last == nil {
			return true, nil
		}
		if isCode(last, "InvalidParameterValue") {
			return false, nil
		}
		return false, last
	})
	if err != nil && last != nil && err != last {
		return fmt.Errorf("%w (last error: %v)", err, last)
	}
	return err
}
