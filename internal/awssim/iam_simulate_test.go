package awssim

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const sshUserArn = "arn:aws:iam::123456789012:user/people/sshuser"

func boolEntry(key, v string) types.ContextEntry {
	return types.ContextEntry{ContextKeyName: aws.String(key), ContextKeyValues: []string{v}, ContextKeyType: types.ContextKeyTypeEnumBoolean}
}

func simulate(t *testing.T, c *iam.Client, in *iam.SimulatePrincipalPolicyInput) []types.EvaluationResult {
	t.Helper()
	out, err := c.SimulatePrincipalPolicy(iamCtx, in)
	if err != nil {
		t.Fatalf("SimulatePrincipalPolicy: %v", err)
	}
	if out.IsTruncated {
		t.Fatal("unexpected truncation")
	}
	return out.EvaluationResults
}

// TestSimulateReferenceSSHPolicy runs the reference SSH policy
// (docs/check-catalogue.md#the-reference-ssh-policy; here the sshuser's
// inline policy "ssh") through SimulatePrincipalPolicy as the doctor's
// caller check will.
func TestSimulateReferenceSSHPolicy(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")
	doc := "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartSSHSession"
	granted := "arn:aws:ec2:region:987654321098:instance/i-02573cafcfEXAMPLE"
	other := "arn:aws:ec2:us-east-1:123456789012:instance/i-0other"

	res := simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(sshUserArn),
		ActionNames:     []string{"ssm:StartSession"},
		ResourceArns:    []string{granted, doc, other},
		ContextEntries:  []types.ContextEntry{boolEntry("ssm:SessionDocumentAccessCheck", "true")},
	})
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	r := res[0]
	// The top-level decision is the most restrictive over the resources:
	// one implicitDeny (other) makes it implicitDeny.
	if aws.ToString(r.EvalActionName) != "ssm:StartSession" || r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || aws.ToString(r.EvalResourceName) != "*" {
		t.Fatalf("aggregate: %s %s %s", aws.ToString(r.EvalActionName), r.EvalDecision, aws.ToString(r.EvalResourceName))
	}
	if len(r.ResourceSpecificResults) != 3 {
		t.Fatalf("ResourceSpecificResults: %+v", r.ResourceSpecificResults)
	}
	want := map[string]types.PolicyEvaluationDecisionType{granted: "allowed", doc: "allowed", other: "implicitDeny"}
	for _, rr := range r.ResourceSpecificResults {
		name := aws.ToString(rr.EvalResourceName)
		if rr.EvalResourceDecision != want[name] {
			t.Errorf("%s: %s, want %s", name, rr.EvalResourceDecision, want[name])
		}
		if rr.EvalResourceDecision == "allowed" {
			if len(rr.MatchedStatements) != 1 {
				t.Fatalf("%s: matched %+v", name, rr.MatchedStatements)
			}
			m := rr.MatchedStatements[0]
			// The first statement of the fixture starts on line 4, column 5.
			if aws.ToString(m.SourcePolicyId) != "ssh" || m.SourcePolicyType != types.PolicySourceTypeUser ||
				m.StartPosition == nil || m.StartPosition.Line != 4 || m.StartPosition.Column != 5 || m.EndPosition == nil || m.EndPosition.Line != 8 {
				t.Errorf("%s: matched statement %s %s %+v %+v", name, aws.ToString(m.SourcePolicyId), m.SourcePolicyType, m.StartPosition, m.EndPosition)
			}
		} else if len(rr.MatchedStatements) != 0 {
			t.Errorf("%s: an implicit deny matches nothing: %+v", name, rr.MatchedStatements)
		}
	}

	// Without the access-check key the BoolIfExists condition still
	// passes, and nothing is reported missing for it.
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(sshUserArn), ActionNames: []string{"ssm:StartSession"}, ResourceArns: []string{doc},
	})
	if res[0].EvalDecision != "allowed" || aws.ToString(res[0].EvalResourceName) != doc || len(res[0].ResourceSpecificResults) != 1 {
		t.Fatalf("doc without context: %+v", res[0])
	}
	// With it false, the document is refused.
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(sshUserArn), ActionNames: []string{"ssm:StartSession"}, ResourceArns: []string{doc},
		ContextEntries: []types.ContextEntry{boolEntry("ssm:SessionDocumentAccessCheck", "false")},
	})
	if res[0].EvalDecision != "implicitDeny" {
		t.Fatalf("access check false: %s", res[0].EvalDecision)
	}

	// TerminateSession is scoped by ${aws:username}: the simulator fills in
	// no context by itself, so the variable is reported missing.
	sess := "arn:aws:ssm:us-east-1:123456789012:session/sshuser-0123456789abcdef0"
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(sshUserArn), ActionNames: []string{"ssm:TerminateSession"}, ResourceArns: []string{sess},
	})
	if res[0].EvalDecision != "implicitDeny" || !containsFold(res[0].MissingContextValues, "aws:username") {
		t.Fatalf("TerminateSession without aws:username: %s missing=%v", res[0].EvalDecision, res[0].MissingContextValues)
	}
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(sshUserArn), ActionNames: []string{"ssm:TerminateSession"}, ResourceArns: []string{sess},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:username"), ContextKeyValues: []string{"sshuser"}, ContextKeyType: types.ContextKeyTypeEnumString}},
	})
	if res[0].EvalDecision != "allowed" || len(res[0].MissingContextValues) != 0 {
		t.Fatalf("TerminateSession with aws:username: %s missing=%v", res[0].EvalDecision, res[0].MissingContextValues)
	}

	// Default resource "*": one result per action, no per-resource list;
	// group policies count too.
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(sshUserArn), ActionNames: []string{"ec2:DescribeInstances", "ssm:GetConnectionStatus", "s3:GetObject", "ssm:SendCommand"},
	})
	got := map[string]string{}
	for _, r := range res {
		if aws.ToString(r.EvalResourceName) != "*" || r.ResourceSpecificResults != nil {
			t.Errorf("%s: resource %q, %d specific results", aws.ToString(r.EvalActionName), aws.ToString(r.EvalResourceName), len(r.ResourceSpecificResults))
		}
		got[aws.ToString(r.EvalActionName)] = string(r.EvalDecision)
	}
	if got["ec2:DescribeInstances"] != "allowed" || got["ssm:GetConnectionStatus"] != "allowed" || got["s3:GetObject"] != "allowed" || got["ssm:SendCommand"] != "implicitDeny" {
		t.Fatalf("decisions: %v", got)
	}
	for _, r := range res {
		if aws.ToString(r.EvalActionName) == "s3:GetObject" && (len(r.MatchedStatements) != 1 || r.MatchedStatements[0].SourcePolicyType != types.PolicySourceTypeAwsManaged ||
			aws.ToString(r.MatchedStatements[0].SourcePolicyId) != "AmazonS3ReadOnlyAccess") {
			t.Fatalf("s3 via group's managed policy: %+v", r.MatchedStatements)
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func TestSimulateDenyBoundaryAndInputs(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")

	res := simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/denied"), ActionNames: []string{"iam:GetRole", "iam:GetUser"},
	})
	if res[0].EvalDecision != "explicitDeny" || len(res[0].MatchedStatements) != 1 || aws.ToString(res[0].MatchedStatements[0].SourcePolicyId) != "no-getrole" {
		t.Fatalf("explicit deny: %+v", res[0])
	}
	if res[1].EvalDecision != "allowed" || aws.ToString(res[1].MatchedStatements[0].SourcePolicyId) != "AdministratorAccess" {
		t.Fatalf("admin allow: %+v", res[1])
	}

	// The entity's own boundary.
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/bounded"), ActionNames: []string{"iam:CreateRole", "iam:GetRole"},
	})
	if res[0].EvalDecision != "implicitDeny" || res[0].PermissionsBoundaryDecisionDetail == nil || res[0].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Fatalf("boundary refuses CreateRole: %+v", res[0])
	}
	if res[1].EvalDecision != "allowed" || !res[1].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Fatalf("boundary allows GetRole: %+v", res[1])
	}
	// A boundary passed in the request replaces the entity's.
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/admin"), ActionNames: []string{"ssm:StartSession", "iam:CreateRole"},
		PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*"}]}`},
	})
	if res[0].EvalDecision != "allowed" || res[1].EvalDecision != "implicitDeny" || res[1].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Fatalf("input boundary: %s %s", res[0].EvalDecision, res[1].EvalDecision)
	}
	// PolicyInputList adds identity policies; a Deny there wins.
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/ssm-role"), ActionNames: []string{"ssmmessages:CreateDataChannel"},
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ssmmessages:*","Resource":"*"}]}`},
	})
	if res[0].EvalDecision != "explicitDeny" || aws.ToString(res[0].MatchedStatements[0].SourcePolicyId) != "PolicyInputList.1" {
		t.Fatalf("input deny: %+v", res[0])
	}
	// The role alone: granted by the AWS managed core policy.
	res = simulate(t, c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/ssm-role"), ActionNames: []string{"ssmmessages:CreateDataChannel"},
	})
	if res[0].EvalDecision != "allowed" || aws.ToString(res[0].MatchedStatements[0].SourcePolicyId) != "AmazonSSMManagedInstanceCore" ||
		res[0].MatchedStatements[0].SourcePolicyType != types.PolicySourceTypeAwsManaged {
		t.Fatalf("role: %+v", res[0])
	}
}

func TestSimulateErrorsAndPagination(t *testing.T) {
	s := startSim(t, iamFixture(t), Options{})
	c := iamAs(s, "admin")
	_, err := c.SimulatePrincipalPolicy(iamCtx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/ghost"), ActionNames: []string{"s3:GetObject"}})
	iamWantErr(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	_, err = c.SimulatePrincipalPolicy(iamCtx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/ghost"), ActionNames: []string{"s3:GetObject"}})
	iamWantErr(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")
	_, err = c.SimulatePrincipalPolicy(iamCtx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("not-an-arn"), ActionNames: []string{"s3:GetObject"}})
	iamWantErr(t, err, "InvalidInput", 400, "Invalid ARN: not-an-arn")
	_, err = c.SimulatePrincipalPolicy(iamCtx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:sts::123456789012:assumed-role/reader/sess"), ActionNames: []string{"s3:GetObject"}})
	iamWantErr(t, err, "InvalidInput", 400, "")
	_, err = c.SimulatePrincipalPolicy(iamCtx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/admin"), ActionNames: []string{"s3:GetObject"},
		PolicyInputList: []string{"{nope"}})
	iamWantErr(t, err, "MalformedPolicyDocument", 400, "")

	actions := []string{"ec2:DescribeInstances", "ssm:StartSession", "ssm:TerminateSession", "kms:GenerateDataKey", "iam:GetRole"}
	pg := iam.NewSimulatePrincipalPolicyPaginator(c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(sshUserArn), ActionNames: actions, MaxItems: aws.Int32(2)})
	var seen []string
	pages := 0
	for pg.HasMorePages() {
		out, err := pg.NextPage(iamCtx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.EvaluationResults {
			seen = append(seen, aws.ToString(r.EvalActionName)+"="+string(r.EvalDecision))
		}
	}
	want := "ec2:DescribeInstances=allowed,ssm:StartSession=implicitDeny,ssm:TerminateSession=implicitDeny,kms:GenerateDataKey=implicitDeny,iam:GetRole=implicitDeny"
	if pages != 3 || strings.Join(seen, ",") != want {
		t.Fatalf("%d pages: %v", pages, seen)
	}
}
