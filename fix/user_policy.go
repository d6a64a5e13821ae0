package fix

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
)

// UserPolicyName is the inline policy --attach puts on the principal.
const UserPolicyName = "ssmdoctor-ssh-via-session-manager"

// UserPolicyOptions select the principal and the instances.
type UserPolicyOptions struct {
	Attach    string   // "user/NAME", "role/NAME" or "group/NAME"; "" prints only
	Instances []string // instance ARNs; none: every instance (or Tag)
	Tag       string   // "KEY=VALUE": instances carrying this tag
	OSUser    string   // when one-time keys are pushed: the OS user allowed
}

var attachRE = regexp.MustCompile(`^(user|role|group)/([\w+=,.@-]{1,128})$`)

// ValidAttach reports whether s is user/NAME, role/NAME or group/NAME with
// a name IAM accepts.
func ValidAttach(s string) bool { return attachRE.MatchString(s) }

// stmt is one policy statement, in the field order AWS documents.
type stmt struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    any            `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

type policyDoc struct {
	Version   string `json:"Version"`
	Statement []stmt `json:"Statement"`
}

// UserPolicy builds the least-privilege policy for SSH through Session
// Manager. kind is "user", "role" or "group" (what ${aws:...} variable
// identifies the caller's own sessions); kmsKey is the session preferences'
// key ARN, "" when sessions are not KMS-encrypted.
func UserPolicy(partition, region, account, kind string, o UserPolicyOptions, kmsKey string) (string, error) {
	instRes := any([]string{
		fmt.Sprintf("arn:%s:ec2:%s:%s:instance/*", partition, region, account),
		fmt.Sprintf("arn:%s:ssm:%s:%s:managed-instance/*", partition, region, account),
	})
	if len(o.Instances) > 0 {
		instRes = o.Instances
	}
	docCheck := map[string]any{"BoolIfExists": map[string]string{"ssm:SessionDocumentAccessCheck": "true"}}
	instStmt := stmt{Sid: "StartSessionOnInstances", Effect: "Allow", Action: "ssm:StartSession", Resource: instRes, Condition: docCheck}
	if o.Tag != "" {
		k, v, ok := strings.Cut(o.Tag, "=")
		if !ok || k == "" {
			return "", fmt.Errorf("user policy: --tag must be KEY=VALUE, got %q", o.Tag)
		}
		instStmt.Condition = map[string]any{
			"BoolIfExists": map[string]string{"ssm:SessionDocumentAccessCheck": "true"},
			"StringEquals": map[string]string{"aws:ResourceTag/" + k: v},
		}
	}
	own := stmt{Sid: "OwnSessions", Effect: "Allow", Action: []string{"ssm:TerminateSession", "ssm:ResumeSession"},
		Resource: fmt.Sprintf("arn:%s:ssm:*:%s:session/${aws:username}-*", partition, account)}
	if kind == "role" {
		// Role sessions are named after the role session, not a user name:
		// Session Manager tags each session with the caller's user id.
		own.Resource = fmt.Sprintf("arn:%s:ssm:*:%s:session/*", partition, account)
		own.Condition = map[string]any{"StringLike": map[string]string{"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}}
	}
	doc := policyDoc{Version: "2012-10-17", Statement: []stmt{
		instStmt,
		{Sid: "StartSSHSessionDocument", Effect: "Allow", Action: "ssm:StartSession",
			Resource: fmt.Sprintf("arn:%s:ssm:%s::document/AWS-StartSSHSession", partition, region), Condition: docCheck},
		own,
		{Sid: "Read", Effect: "Allow", Resource: "*", Action: []string{
			"ec2:DescribeInstances", "ec2:DescribeNetworkAcls", "ec2:DescribeRegions", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups",
			"ec2:DescribeSubnets", "ec2:DescribeVpcAttribute", "ec2:DescribeVpcEndpoints",
			"iam:GetInstanceProfile", "iam:ListAttachedRolePolicies", "iam:SimulatePrincipalPolicy",
			"ssm:DescribeInstanceInformation", "ssm:DescribeInstanceProperties", "ssm:DescribeSessions",
			"ssm:GetConnectionStatus", "ssm:GetDocument", "ssm:GetServiceSetting"}},
	}}
	if o.OSUser != "" {
		doc.Statement = append(doc.Statement, stmt{Sid: "PushOneTimeKey", Effect: "Allow", Action: "ec2-instance-connect:SendSSHPublicKey",
			Resource:  fmt.Sprintf("arn:%s:ec2:%s:%s:instance/*", partition, region, account),
			Condition: map[string]any{"StringEquals": map[string]string{"ec2:osuser": o.OSUser}}})
	}
	if kmsKey != "" {
		doc.Statement = append(doc.Statement, stmt{Sid: "SessionEncryption", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: kmsKey})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", fmt.Errorf("user policy: %w", err)
	}
	return string(b), nil
}

// verifyUserPolicy evaluates the policy offline before anyone sees it: it
// must allow what SSH through Session Manager needs, and nothing it lacks
// may surprise the user afterwards.
func verifyUserPolicy(doc, partition, region, account, kind string, o UserPolicyOptions) error {
	p, err := iampolicy.Parse(doc)
	if err != nil {
		return fmt.Errorf("user policy does not parse: %w", err)
	}
	id := []iampolicy.NamedPolicy{{ID: UserPolicyName, Type: "user", Policy: p}}
	inst := fmt.Sprintf("arn:%s:ec2:%s:%s:instance/i-0123456789abcdef0", partition, region, account)
	if len(o.Instances) > 0 {
		inst = o.Instances[0]
	}
	ctx := iampolicy.Context{}
	ctx.Set("ssm:SessionDocumentAccessCheck", "true")
	ctx.Set("aws:username", "someone")
	ctx.Set("aws:userid", "AIDAEXAMPLE")
	if k, v, ok := strings.Cut(o.Tag, "="); ok {
		ctx.Set("aws:ResourceTag/"+k, v)
	}
	sessionArn := fmt.Sprintf("arn:%s:ssm:%s:%s:session/someone-0123456789abcdef0", partition, region, account)
	if kind == "role" {
		sessionArn = fmt.Sprintf("arn:%s:ssm:%s:%s:session/AIDAEXAMPLE-0123456789abcdef0", partition, region, account)
		ctx.Set("ssm:resourceTag/aws:ssmmessages:session-id", "AIDAEXAMPLE")
	}
	reqs := []iampolicy.Request{
		{Action: "ssm:StartSession", Resource: inst, Context: ctx},
		{Action: "ssm:StartSession", Resource: fmt.Sprintf("arn:%s:ssm:%s::document/AWS-StartSSHSession", partition, region), Context: ctx},
		{Action: "ssm:TerminateSession", Resource: sessionArn, Context: ctx},
		{Action: "ssm:ResumeSession", Resource: sessionArn, Context: ctx},
		{Action: "ec2:DescribeInstances", Resource: "*", Context: ctx},
	}
	for _, r := range reqs {
		if res := iampolicy.Evaluate(id, nil, r); res.Decision != iampolicy.Allowed {
			return fmt.Errorf("user policy: internal error: %s on %s is %s", r.Action, r.Resource, res.Decision)
		}
	}
	other := iampolicy.Request{Action: "ssm:StartSession", Resource: fmt.Sprintf("arn:%s:ssm:%s::document/AWS-RunShellScript", partition, region), Context: ctx}
	if iampolicy.Evaluate(id, nil, other).Decision == iampolicy.Allowed {
		return fmt.Errorf("user policy: internal error: it would allow other documents")
	}
	return nil
}

// PlanUserPolicy prints the policy and, with Attach, puts it inline on the
// principal. An identical policy already in place makes no call.
func PlanUserPolicy(ctx context.Context, a *AWS, o UserPolicyOptions) (*Plan, error) {
	if len(o.Instances) > 0 && o.Tag != "" {
		return nil, refuse("", "--instances and --tag are mutually exclusive")
	}
	kind, name := "user", ""
	if o.Attach != "" {
		m := attachRE.FindStringSubmatch(o.Attach)
		if m == nil {
			return nil, refuse("the form is --attach user/NAME, role/NAME or group/NAME", "malformed --attach %q", o.Attach)
		}
		kind, name = m[1], m[2]
	}
	id, err := a.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("get caller identity: %w", err)
	}
	caller := awsfacts.ParseCaller(aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	account, partition := caller.Account, caller.Partition
	if o.Attach == "" && caller.Kind == "assumed-role" {
		kind = "role"
	}
	kmsKey, err := sessionKMSKey(ctx, a, partition, account)
	if err != nil {
		return nil, err
	}
	doc, err := UserPolicy(partition, a.Region, account, kind, o, kmsKey)
	if err != nil {
		return nil, err
	}
	if err := verifyUserPolicy(doc, partition, a.Region, account, kind, o); err != nil {
		return nil, err
	}
	p := &Plan{Title: "IAM policy for SSH through Session Manager"}
	if o.Attach == "" {
		p.Notes = append(p.Notes, "least-privilege policy (checked offline with ssmdoctor's IAM evaluator):\n"+doc,
			"nothing is attached without --attach user/NAME, role/NAME or group/NAME")
		p.Already, p.PrintOnly = "no --attach given: the policy is only printed", true
		return p, nil
	}
	cur, err := inlinePolicy(ctx, a, kind, name)
	if err != nil {
		return nil, err
	}
	if cur != "" && sameJSON(cur, doc) {
		p.Already = fmt.Sprintf("%s/%s has the inline policy %s with this content", kind, name, UserPolicyName)
		return p, nil
	}
	if cur != "" {
		p.Notes = append(p.Notes, fmt.Sprintf("%s/%s already has an inline policy %s: it is replaced", kind, name, UserPolicyName))
	}
	p.Notes = append(p.Notes, "an explicit Deny elsewhere (another policy, a permissions boundary, an SCP) still wins over this Allow")
	op := map[string]string{"user": "PutUserPolicy", "role": "PutRolePolicy", "group": "PutGroupPolicy"}[kind]
	nameParam := map[string]string{"user": "UserName", "role": "RoleName", "group": "GroupName"}[kind]
	p.Steps = append(p.Steps, &Call{Service: "iam", Operation: op,
		Params: []Param{{nameParam, name}, {"PolicyName", UserPolicyName}, {"PolicyDocument", doc}},
		Do: func(ctx context.Context) error {
			var err error
			switch kind {
			case "user":
				_, err = a.IAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(UserPolicyName), PolicyDocument: aws.String(doc)})
			case "role":
				_, err = a.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(UserPolicyName), PolicyDocument: aws.String(doc)})
			default:
				_, err = a.IAM.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(name), PolicyName: aws.String(UserPolicyName), PolicyDocument: aws.String(doc)})
			}
			return err
		}})
	return p, nil
}

// inlinePolicy returns the principal's ssmdoctor policy, "" when absent.
func inlinePolicy(ctx context.Context, a *AWS, kind, name string) (string, error) {
	var doc *string
	var err error
	switch kind {
	case "user":
		var out *iam.GetUserPolicyOutput
		if out, err = a.IAM.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(UserPolicyName)}); err == nil {
			doc = out.PolicyDocument
		}
	case "role":
		var out *iam.GetRolePolicyOutput
		if out, err = a.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(UserPolicyName)}); err == nil {
			doc = out.PolicyDocument
		}
	default:
		var out *iam.GetGroupPolicyOutput
		if out, err = a.IAM.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(name), PolicyName: aws.String(UserPolicyName)}); err == nil {
			doc = out.PolicyDocument
		}
	}
	if notFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get inline policy %s of %s/%s: %w", UserPolicyName, kind, name, err)
	}
	return policyJSON(aws.ToString(doc)), nil
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// sessionKMSKey reads the Session Manager preferences' KMS key, which the
// caller must be allowed to use.
func sessionKMSKey(ctx context.Context, a *AWS, partition, account string) (string, error) {
	out, err := a.SSM.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String("SSM-SessionManagerRunShell")})
	if isCode(err, "InvalidDocument") {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get document SSM-SessionManagerRunShell: %w", err)
	}
	var prefs struct {
		Inputs struct {
			KMSKeyID string `json:"kmsKeyId"`
		} `json:"inputs"`
	}
	if json.Unmarshal([]byte(aws.ToString(out.Content)), &prefs) != nil || prefs.Inputs.KMSKeyID == "" {
		return "", nil
	}
	return awsfacts.KMSKeyArn(partition, a.Region, account, prefs.Inputs.KMSKeyID), nil
}
