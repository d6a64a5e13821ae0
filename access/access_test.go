package access_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/access"
	"github.com/ssmdoctor/ssmdoctor/internal/iampolicy"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// fakeIAM serves authorization details from pages and answers
// simulations with decide (nil: the answer the test wants, per action and
// resource).
type fakeIAM struct {
	pages  []*iam.GetAccountAuthorizationDetailsOutput
	decide func(in *iam.SimulatePrincipalPolicyInput, action, resource string) (iamtypes.PolicyEvaluationDecisionType, error)

	mu        sync.Mutex
	markers   []string
	simInputs []*iam.SimulatePrincipalPolicyInput
}

func (f *fakeIAM) GetAccountAuthorizationDetails(_ context.Context, in *iam.GetAccountAuthorizationDetailsInput, _ ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	f.markers = append(f.markers, aws.ToString(in.Marker))
	i := 0
	if m := aws.ToString(in.Marker); m != "" {
		fmt.Sscanf(m, "page-%d", &i)
	}
	return f.pages[i], nil
}

func (f *fakeIAM) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	f.mu.Lock()
	f.simInputs = append(f.simInputs, in)
	f.mu.Unlock()
	out := &iam.SimulatePrincipalPolicyOutput{}
	for _, a := range in.ActionNames {
		for _, r := range in.ResourceArns {
			d, err := f.decide(in, a, r)
			if err != nil {
				return nil, err
			}
			out.EvaluationResults = append(out.EvaluationResults, iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalResourceName: aws.String(r), EvalDecision: d})
		}
	}
	return out, nil
}

const (
	acct    = "123456789012"
	sshPol  = `{"Version":"2012-10-17","Statement":[{"Sid":"SSH","Effect":"Allow","Action":"ssm:StartSession","Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:ssm:*:*:document/AWS-StartSSHSession"]}]}`
	tagPol  = `{"Version":"2012-10-17","Statement":[{"Sid":"Web","Effect":"Allow","Action":"ssm:StartSession","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Team":"web"}}},{"Sid":"Doc","Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ssm:*:*:document/*"}]}`
	allPol  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	denyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ssm:StartSession","Resource":"arn:aws:ssm:*:*:document/*"}]}`
)

func enc(doc string) *string { return aws.String(url.QueryEscape(doc)) }

func arn(kind, name string) *string {
	return aws.String("arn:aws:iam::" + acct + ":" + kind + "/" + name)
}

// pagedAccount: a user whose group and managed policy arrive on the
// second page, a user with a boundary that is not listed, a user whose
// group does not exist, and a role.
func pagedAccount() []*iam.GetAccountAuthorizationDetailsOutput {
	sshArn := "arn:aws:iam::" + acct + ":policy/ssh"
	return []*iam.GetAccountAuthorizationDetailsOutput{
		{IsTruncated: true, Marker: aws.String("page-1"), UserDetailList: []iamtypes.UserDetail{
			{UserName: aws.String("ann"), Arn: arn("user", "ann"), UserId: aws.String("AIDAANN"), GroupList: []string{"ops"}},
			{UserName: aws.String("ben"), Arn: arn("user", "ben"), UserId: aws.String("AIDABEN"),
				UserPolicyList:      []iamtypes.PolicyDetail{{PolicyName: aws.String("all"), PolicyDocument: enc(allPol)}},
				PermissionsBoundary: &iamtypes.AttachedPermissionsBoundary{PermissionsBoundaryArn: aws.String("arn:aws:iam::" + acct + ":policy/gone")}},
			{UserName: aws.String("cid"), Arn: arn("user", "cid"), UserId: aws.String("AIDACID"), GroupList: []string{"ghosts"},
				UserPolicyList: []iamtypes.PolicyDetail{{PolicyName: aws.String("tags"), PolicyDocument: enc(tagPol)}}},
		}},
		{IsTruncated: false,
			GroupDetailList: []iamtypes.GroupDetail{{GroupName: aws.String("ops"),
				AttachedManagedPolicies: []iamtypes.AttachedPolicy{{PolicyName: aws.String("ssh"), PolicyArn: aws.String(sshArn)}},
				GroupPolicyList:         []iamtypes.PolicyDetail{{PolicyName: aws.String("no-doc"), PolicyDocument: aws.String(denyDoc)}}}},
			RoleDetailList: []iamtypes.RoleDetail{{RoleName: aws.String("ops-role"), Arn: arn("role", "ops-role"), RoleId: aws.String("AROAOPS"),
				AssumeRolePolicyDocument: enc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/ann","arn:aws:iam::123456789012:root"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
				AttachedManagedPolicies:  []iamtypes.AttachedPolicy{{PolicyName: aws.String("ssh"), PolicyArn: aws.String(sshArn)}}}},
			Policies: []iamtypes.ManagedPolicyDetail{{Arn: aws.String(sshArn), PolicyVersionList: []iamtypes.PolicyVersion{
				{VersionId: aws.String("v1"), IsDefaultVersion: false, Document: enc(allPol)},
				{VersionId: aws.String("v2"), IsDefaultVersion: true, Document: enc(sshPol)}}}},
		},
	}
}

var setup = access.Setup{Partition: "aws", Account: acct, Region: "us-east-1"}

func TestReadAccountAcrossPages(t *testing.T) {
	f := &fakeIAM{pages: pagedAccount()}
	a, err := access.ReadAccount(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if a.Pages != 2 || strings.Join(f.markers, ",") != ",page-1" {
		t.Fatalf("pages %d, markers %q", a.Pages, f.markers)
	}
	var labels []string
	for _, p := range a.Principals {
		labels = append(labels, p.Label())
	}
	if strings.Join(labels, " ") != "user/ann user/ben user/cid role/ops-role" {
		t.Fatalf("principals %v", labels)
	}
	ann, ben, cid, role := a.Principals[0], a.Principals[1], a.Principals[2], a.Principals[3]
	if len(ann.Identity) != 2 || len(ann.Problems) != 0 {
		t.Errorf("ann: group policies from the second page: %d policies, problems %v", len(ann.Identity), ann.Problems)
	}
	if len(ben.Problems) != 1 || !strings.Contains(ben.Problems[0], "permissions boundary arn:aws:iam::123456789012:policy/gone is not in the authorization details") {
		t.Errorf("ben: %v", ben.Problems)
	}
	if len(cid.Problems) != 1 || !strings.Contains(cid.Problems[0], "group ghosts is not in the authorization details") {
		t.Errorf("cid: %v", cid.Problems)
	}
	if want := "AWS arn:aws:iam::123456789012:user/ann|AWS arn:aws:iam::123456789012:root|Service ec2.amazonaws.com"; strings.Join(role.Trust.Trusted, "|") != want {
		t.Errorf("role trust %q", role.Trust.Trusted)
	}

	in := &access.Instance{ID: "i-0123456789abcdef0", Tags: []access.Tag{{Key: "Name", Value: "web-1"}, {Key: "Team", Value: "web"}}}
	rep, err := access.ForInstance(context.Background(), f, a, setup, in, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rep.Rows {
		got[r.Principal.Label()] = fmt.Sprintf("%s/%s", r.Cells[0].Decision, r.Cells[1].Decision)
	}
	want := map[string]string{
		"user/ann":      "allowed/explicitDeny", // the group's policy version v2 allows, its inline policy denies documents
		"user/ben":      "implicitDeny/implicitDeny",
		"user/cid":      "allowed/allowed", // Team=web
		"role/ops-role": "allowed/allowed",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if st := rep.Rows[0].Cells[0].Statements; len(st) != 1 || st[0].Sid != "SSH" || st[0].Via != "managed policy attached to group ops" || st[0].Index != 1 {
		t.Errorf("ann's allow: %+v", st)
	}
	if rep.Simulation.Asked || !strings.Contains(rep.Simulation.Note, "--no-simulate") || len(f.simInputs) != 0 {
		t.Errorf("without Simulate: %+v, %d calls", rep.Simulation, len(f.simInputs))
	}
}

func TestReadAccountMarkerLoop(t *testing.T) {
	p := pagedAccount()
	p[1].IsTruncated, p[1].Marker = true, aws.String("page-1")
	_, err := access.ReadAccount(context.Background(), &fakeIAM{pages: p})
	if err == nil || !strings.Contains(err.Error(), "iam:GetAccountAuthorizationDetails: the same Marker came back twice") {
		t.Fatalf("err %v", err)
	}
}

// A principal mode over 250 instances: the Name tag differs on each, but
// no policy of cid's reads it, so the simulation groups them by Team only
// and cuts each group at 100 resources; each call's resources share the
// call's context.
func TestSimulationBatchesByRelevantContext(t *testing.T) {
	a, err := access.ReadAccount(context.Background(), &fakeIAM{pages: pagedAccount()})
	if err != nil {
		t.Fatal(err)
	}
	cid := a.Find("user/cid")
	var fleet []*access.Instance
	team := map[string]string{}
	for i := range 250 {
		tm := "web"
		if i%5 == 0 {
			tm = "db"
		}
		id := fmt.Sprintf("i-%017x", i)
		team["arn:aws:ec2:us-east-1:"+acct+":instance/"+id] = tm
		fleet = append(fleet, &access.Instance{ID: id, Tags: []access.Tag{{Key: "Name", Value: fmt.Sprintf("host-%d", i)}, {Key: "Team", Value: tm}}})
	}
	f := &fakeIAM{decide: func(in *iam.SimulatePrincipalPolicyInput, action, resource string) (iamtypes.PolicyEvaluationDecisionType, error) {
		ctx := iampolicy.Context{}
		for _, e := range in.ContextEntries {
			ctx.Set(aws.ToString(e.ContextKeyName), e.ContextKeyValues...)
		}
		return iamtypes.PolicyEvaluationDecisionType(iampolicy.Evaluate(cid.Identity, cid.Boundaries, iampolicy.Request{Action: action, Resource: resource, Context: ctx}).Decision), nil
	}}
	rep, err := access.ForPrincipal(context.Background(), f, a, cid, setup, fleet, access.Options{Simulate: true})
	if err != nil {
		t.Fatal(err)
	}
	// 200 web (2 calls), 50 db (1 call), the document (1 call).
	if len(f.simInputs) != 4 || rep.Simulation.Calls != 4 || rep.Simulation.Disagreements != 0 || rep.CanConnect() != 200 {
		t.Fatalf("%d calls (report %+v), %d can connect", len(f.simInputs), rep.Simulation, rep.CanConnect())
	}
	for _, in := range f.simInputs {
		if len(in.ResourceArns) > access.SimulateResourceBatch {
			t.Errorf("a call with %d resources", len(in.ResourceArns))
		}
		var tm string
		for _, e := range in.ContextEntries {
			if k := aws.ToString(e.ContextKeyName); k == "aws:ResourceTag/Team" {
				tm = e.ContextKeyValues[0]
			} else {
				t.Errorf("context %s sent, which no policy of cid reads", k)
			}
		}
		for _, r := range in.ResourceArns {
			if strings.Contains(r, ":instance/") && team[r] != tm {
				t.Errorf("%s (Team=%s) simulated with Team=%q", r, team[r], tm)
			}
		}
	}
}

func TestSimulationDisagreementsAndDenial(t *testing.T) {
	a, err := access.ReadAccount(context.Background(), &fakeIAM{pages: pagedAccount()})
	if err != nil {
		t.Fatal(err)
	}
	in := &access.Instance{ID: "i-0123456789abcdef0", Name: "web-1", Tags: []access.Tag{{Key: "Team", Value: "web"}}}

	// A simulator that denies everything disagrees with every allow.
	f := &fakeIAM{decide: func(*iam.SimulatePrincipalPolicyInput, string, string) (iamtypes.PolicyEvaluationDecisionType, error) {
		return iamtypes.PolicyEvaluationDecisionTypeImplicitDeny, nil
	}}
	rep, err := access.ForInstance(context.Background(), f, a, setup, in, access.Options{Simulate: true})
	if err != nil {
		t.Fatal(err)
	}
	// Allowed: ann's instance, cid's two, ops-role's two; and ann's
	// explicit deny of the document, simulated as implicit.
	if rep.Simulation.Disagreements != 6 || rep.Simulation.Principals != 4 || rep.Simulation.Calls != 5 {
		t.Fatalf("simulation %+v", rep.Simulation)
	}
	var b bytes.Buffer
	if err := report.AccessHuman(&b, report.AccessReport{Report: rep}, report.Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"role/ops-role  yes          allowed *              allowed *\n",
		"      * iam:SimulatePrincipalPolicy decided implicitDeny: the evaluators disagree\n",
		"iam:SimulatePrincipalPolicy disagrees on 6 decisions (marked *): 4 principals, 5 calls.\n",
		"  ! permissions boundary arn:aws:iam::123456789012:policy/gone is not in the authorization details: nothing is taken as allowed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("human output lacks %q:\n%s", want, out)
		}
	}

	// A caller who may not simulate learns it with one call.
	f = &fakeIAM{decide: func(*iam.SimulatePrincipalPolicyInput, string, string) (iamtypes.PolicyEvaluationDecisionType, error) {
		return "", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not you"}
	}}
	rep, err = access.ForInstance(context.Background(), f, a, setup, in, access.Options{Simulate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.simInputs) != 1 || rep.Simulation.Principals != 0 || rep.Simulation.Note != "not confirmed by iam:SimulatePrincipalPolicy: the caller may not simulate (AccessDenied: not you); the decisions are the built-in evaluator's alone" {
		t.Fatalf("%d calls, %+v", len(f.simInputs), rep.Simulation)
	}
	if rep.CanConnect() != 2 {
		t.Errorf("the built-in decisions stand: %d can connect", rep.CanConnect())
	}
}

// The context sent is what the policies read: a ${variable} in a
// Resource, a condition key, nothing else.
func TestSimulationSendsWhatPoliciesRead(t *testing.T) {
	own := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"}}},{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ssm:*:*:document/*"}]}`
	f := &fakeIAM{pages: []*iam.GetAccountAuthorizationDetailsOutput{{UserDetailList: []iamtypes.UserDetail{
		{UserName: aws.String("dora"), Arn: arn("user", "dora"), UserId: aws.String("AIDADORA"),
			UserPolicyList: []iamtypes.PolicyDetail{{PolicyName: aws.String("own"), PolicyDocument: enc(own)}}},
		{UserName: aws.String("ann"), Arn: arn("user", "ann"), UserId: aws.String("AIDAANN"),
			UserPolicyList: []iamtypes.PolicyDetail{{PolicyName: aws.String("ssh"), PolicyDocument: enc(sshPol)}}},
	}}}}
	f.decide = func(*iam.SimulatePrincipalPolicyInput, string, string) (iamtypes.PolicyEvaluationDecisionType, error) {
		return iamtypes.PolicyEvaluationDecisionTypeAllowed, nil
	}
	a, err := access.ReadAccount(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	in := &access.Instance{ID: "i-0123456789abcdef0", Tags: []access.Tag{{Key: "Owner", Value: "dora"}, {Key: "Name", Value: "x"}}}
	rep, err := access.ForInstance(context.Background(), f, a, setup, in, access.Options{Simulate: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Rows[0].CanConnect || !rep.Rows[1].CanConnect {
		t.Fatalf("dora %v, ann %v", rep.Rows[0].CanConnect, rep.Rows[1].CanConnect)
	}
	sent := map[string][]string{}
	for _, in := range f.simInputs {
		var keys []string
		for _, e := range in.ContextEntries {
			keys = append(keys, aws.ToString(e.ContextKeyName))
		}
		p := strings.TrimPrefix(aws.ToString(in.PolicySourceArn), "arn:aws:iam::123456789012:")
		sent[p] = append(sent[p], strings.Join(keys, ","))
	}
	if got := strings.Join(sent["user/dora"], " | "); got != "aws:username,aws:ResourceTag/Owner | aws:username" {
		t.Errorf("dora's contexts: %q", got)
	}
	if got := strings.Join(sent["user/ann"], " | "); got != "" {
		t.Errorf("ann's contexts (one call, none read): %q", got)
	}
}

func TestSetupARNs(t *testing.T) {
	s := setup
	for doc, want := range map[string]string{
		"":                    "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession",
		"AWS-StartSSHSession": "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession",
		"Team-SSH":            "arn:aws:ssm:us-east-1:123456789012:document/Team-SSH",
		"arn:aws:ssm:eu-west-1:123456789012:document/Team-SSH": "arn:aws:ssm:eu-west-1:123456789012:document/Team-SSH",
	} {
		s.Document = doc
		if got := s.DocumentArn(); got != want {
			t.Errorf("document %q: %s, want %s", doc, got, want)
		}
	}
	for id, want := range map[string]string{
		"1234abcd-12ab-34cd-56ef-1234567890ab":     "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"alias/sessions":                           "arn:aws:kms:us-east-1:123456789012:alias/sessions",
		"arn:aws:kms:us-east-1:123456789012:key/k": "arn:aws:kms:us-east-1:123456789012:key/k",
	} {
		s.KMSKeyID = id
		if got := s.KeyArn(); got != want {
			t.Errorf("key %q: %s, want %s", id, got, want)
		}
	}
	if got := s.InstanceArn(&access.Instance{ID: "mi-0123456789abcdef0", Hybrid: true}); got != "arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0" {
		t.Errorf("hybrid node: %s", got)
	}
}
