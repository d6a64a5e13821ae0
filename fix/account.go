package fix

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Service settings and names of Default Host Management Configuration.
const (
	SettingDHMCRole       = "/ssm/managed-instance/default-ec2-instance-management-role"
	SettingActivationTier = "/ssm/managed-instance/activation-tier"
	dhmcRoleName          = "AWSSystemsManagerDefaultEC2InstanceManagementRole"
	dhmcRolePath          = "/service-role/"
	dhmcPolicyArn         = "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"
	ssmTrustPolicy        = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// AdvancedTierCost is stated before the tier changes (AWS price list,
// us-east-1; other regions differ little).
const AdvancedTierCost = "the advanced-instances tier costs USD 0.00695 per hybrid node per hour (about USD 5 per node per month), for every on-premises node registered in this account and region"

func serviceSetting(ctx context.Context, a *AWS, id string) (string, error) {
	out, err := a.SSM.GetServiceSetting(ctx, &ssm.GetServiceSettingInput{SettingId: aws.String(id)})
	if isCode(err, "ServiceSettingNotFound") {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get service setting %s: %w", id, err)
	}
	v := aws.ToString(out.ServiceSetting.SettingValue)
	if v == "$None" {
		v = ""
	}
	return v, nil
}

func updateSettingCall(a *AWS, id, value string) *Call {
	return &Call{Service: "ssm", Operation: "UpdateServiceSetting", Params: []Param{{"SettingId", id}, {"SettingValue", value}},
		Do: func(ctx context.Context) error {
			_, err := a.SSM.UpdateServiceSetting(ctx, &ssm.UpdateServiceSettingInput{SettingId: aws.String(id), SettingValue: aws.String(value)})
			return err
		}}
}

// PlanDHMC turns on Default Host Management Configuration: the role
// Systems Manager assumes for instances without a profile, and the setting
// naming it.
func PlanDHMC(ctx context.Context, a *AWS) (*Plan, error) {
	p := &Plan{Title: "Default Host Management Configuration in " + a.Region}
	cur, err := serviceSetting(ctx, a, SettingDHMCRole)
	if err != nil {
		return nil, err
	}
	_, roleErr := a.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(dhmcRoleName)})
	switch {
	case notFound(roleErr):
		p.Steps = append(p.Steps, &Call{Service: "iam", Operation: "CreateRole",
			Params: []Param{{"RoleName", dhmcRoleName}, {"Path", dhmcRolePath}, {"AssumeRolePolicyDocument", ssmTrustPolicy}},
			Do: func(ctx context.Context) error {
				_, err := a.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(dhmcRoleName), Path: aws.String(dhmcRolePath),
					AssumeRolePolicyDocument: aws.String(ssmTrustPolicy)})
				return err
			}}, attachCall(a, dhmcRoleName, dhmcPolicyArn))
	case roleErr != nil:
		return nil, fmt.Errorf("get role %s: %w", dhmcRoleName, roleErr)
	default:
		attached, err := attachedPolicies(ctx, a, dhmcRoleName)
		if err != nil {
			return nil, err
		}
		if !attached[dhmcPolicyArn] {
			p.Steps = append(p.Steps, attachCall(a, dhmcRoleName, dhmcPolicyArn))
		}
	}
	want := "service-role/" + dhmcRoleName
	if cur != want {
		if cur != "" {
			p.Notes = append(p.Notes, fmt.Sprintf("the setting names %q today; it will name %s", cur, want))
		}
		p.Steps = append(p.Steps, updateSettingCall(a, SettingDHMCRole, want))
	}
	if p.Empty() {
		p.Already = "the setting names " + want + ", which exists with AmazonSSMManagedEC2InstanceDefaultPolicy"
		return p, nil
	}
	p.Notes = append(p.Notes,
		"DHMC manages only instances that require IMDSv2 (HttpTokens required) and run SSM Agent 3.2.582.0 or later; it applies to every such instance in this account and region",
		"an instance profile, where one exists, still takes precedence for the agent's credentials")
	return p, nil
}

// PlanHybridTier moves the account to the advanced-instances tier, which
// Session Manager needs for on-premises (mi-) nodes.
func PlanHybridTier(ctx context.Context, a *AWS) (*Plan, error) {
	p := &Plan{Title: "advanced-instances tier in " + a.Region}
	cur, err := serviceSetting(ctx, a, SettingActivationTier)
	if err != nil {
		return nil, err
	}
	if cur == "advanced" {
		p.Already = "the account is on the advanced-instances tier"
		return p, nil
	}
	p.Notes = append(p.Notes, "cost: "+AdvancedTierCost,
		"going back to standard is possible only once at most 1,000 hybrid nodes remain registered (AWS support can help)")
	p.Steps = append(p.Steps, updateSettingCall(a, SettingActivationTier, "advanced"))
	return p, nil
}
