package awssim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"golang.org/x/crypto/ssh"
)

// The AWS CLI v1 (botocore) is a second client implementation nobody here
// wrote: if it parses the simulator's responses into what the state holds,
// the wire shapes are not merely what our SDK happens to tolerate.

// awsCLI runs the AWS CLI against a simulator as one principal.
type awsCLI struct {
	bin string
	env []string
}

// cliResult is one CLI run.
type cliResult struct {
	stdout, stderr []byte
	code           int
}

// newAWSCLI finds the CLI (skipping, or failing when CI=true, without it)
// and builds an environment that reaches s with the given key and nothing
// from the user's own AWS configuration.
func newAWSCLI(t *testing.T, s *Sim, keyID, secret string) *awsCLI {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the AWS CLI is required when CI=true: %v", err)
		}
		t.Skipf("skipping: the AWS CLI (aws) is not on PATH: %v", err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+t.TempDir(),
		"AWS_ENDPOINT_URL="+s.URL(),
		"AWS_ACCESS_KEY_ID="+keyID,
		"AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=",
	)
	return &awsCLI{bin: bin, env: env}
}

// run runs `aws ARGS --output json`. The deadline only stops a hung CLI;
// nothing is asserted about time.
func (a *awsCLI) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin, append(args, "--output", "json")...)
	cmd.Env = a.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{stdout: out.Bytes(), stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run aws %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// json runs the CLI, requires success and decodes its output into v.
func (a *awsCLI) json(t *testing.T, v any, args ...string) {
	t.Helper()
	r := a.run(t, args...)
	if r.code != 0 {
		t.Fatalf("aws %s: exit %d\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	if err := json.Unmarshal(r.stdout, v); err != nil {
		t.Fatalf("aws %s: decode output: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
}

// cliInstance is the part of the CLI's describe-instances output the test
// checks.
type cliInstance struct {
	InstanceID string `json:"InstanceId"`
	State      struct {
		Code int
		Name string
	}
	PrivateIPAddress   string `json:"PrivateIpAddress"`
	SubnetID           string `json:"SubnetId"`
	VpcID              string `json:"VpcId"`
	Tags               []Tag
	IamInstanceProfile *struct {
		Arn string
		ID  string `json:"Id"`
	}
	MetadataOptions struct {
		HTTPTokens   string `json:"HttpTokens"`
		HTTPEndpoint string `json:"HttpEndpoint"`
		HopLimit     int    `json:"HttpPutResponseHopLimit"`
	}
	SecurityGroups []struct {
		GroupID string `json:"GroupId"`
	}
}

// TestConformanceCLI drives the simulator with the AWS CLI v1 and checks
// each parsed response field by field against the simulator's state.
func TestConformanceCLI(t *testing.T) {
	s := startSim(t, DemoScenario(), Options{})
	user, key := cliAdminKey(t, s)
	cli := newAWSCLI(t, s, key.ID, key.Secret)
	var acct string
	s.WithState(func(st *State) { acct = st.AccountID })

	t.Run("DescribeInstancesTagFilterPaged", func(t *testing.T) { cliDescribeInstances(t, s, cli, acct) })
	t.Run("DescribeInstancesUnknownID", func(t *testing.T) { cliUnknownInstance(t, s, cli, key) })
	t.Run("GetInstanceProfile", func(t *testing.T) { cliGetInstanceProfile(t, s, cli, acct) })
	t.Run("GetCallerIdentity", func(t *testing.T) {
		var got struct{ UserId, Account, Arn string }
		cli.json(t, &got, "sts", "get-caller-identity")
		var want User
		s.WithState(func(st *State) { want = *st.Users[user] })
		if got.Account != acct || got.UserId != want.ID || got.Arn != "arn:aws:iam::"+acct+":user"+cliPath(want.Path)+user {
			t.Fatalf("get-caller-identity = %+v, want user %s (%s) in %s", got, user, want.ID, acct)
		}
	})
	t.Run("SimulatePrincipalPolicy", func(t *testing.T) { cliSimulate(t, s, cli, key, acct) })
	t.Run("DescribeInstanceInformation", func(t *testing.T) { cliInstanceInformation(t, s, cli, key) })
	t.Run("SendSSHPublicKey", func(t *testing.T) { cliSendSSHPublicKey(t, s, cli) })
}

func cliPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// cliAdminKey finds the key of a user that may do everything the test
// asks: the demo's administrator, or else one with AdministratorAccess
// attached directly.
func cliAdminKey(t *testing.T, s *Sim) (string, AccessKey) {
	t.Helper()
	var name string
	var key AccessKey
	s.WithState(func(st *State) {
		if k := st.AccessKeys[DemoAccessKey]; k != nil {
			name, key = k.UserName, *k
			return
		}
		var ids []string
		for id := range st.AccessKeys {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			k := st.AccessKeys[id]
			u := st.Users[k.UserName]
			if k.UserName == "" || k.Status == "Inactive" || u == nil {
				continue
			}
			for _, p := range u.AttachedPolicies {
				if p == PolicyAdministratorAccess && name == "" {
					name, key = u.Name, *k
				}
			}
		}
	})
	if name == "" {
		t.Fatal("the scenario has no user with an access key and AdministratorAccess")
	}
	return name, key
}

// cliTag picks the tag key carried by the most us-east-1 EC2 instances
// and a wildcard value (the values' common prefix, then *) that matches
// them all, so the filter spans pages and exercises EC2's wildcards; the
// demo's tags differ per instance ("demo-healthy", "demo-stopped", ...).
func cliTag(s *Sim) (Tag, []string) {
	byKey := map[string][]Tag{}
	s.WithState(func(st *State) {
		for id, in := range st.Instances {
			if in.Region != "us-east-1" || !strings.HasPrefix(id, "i-") {
				continue
			}
			for _, tg := range in.Tags {
				byKey[tg.Key] = append(byKey[tg.Key], Tag{Key: id, Value: tg.Value})
			}
		}
	})
	var key string
	for k, v := range byKey {
		if len(v) > len(byKey[key]) || (len(v) == len(byKey[key]) && k < key) {
			key = k
		}
	}
	prefix := ""
	for i, it := range byKey[key] {
		if i == 0 {
			prefix = it.Value
		}
		for !strings.HasPrefix(it.Value, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	var ids []string
	for _, it := range byKey[key] {
		ids = append(ids, it.Key)
	}
	sort.Strings(ids)
	return Tag{Key: key, Value: prefix + "*"}, ids
}

func cliDescribeInstances(t *testing.T, s *Sim, cli *awsCLI, acct string) {
	tag, want := cliTag(s)
	if len(want) < 2 {
		t.Fatalf("the scenario has no tag on two instances (best %v: %v)", tag, want)
	}
	before := s.Calls("ec2.DescribeInstances")
	var got []cliInstance
	token := ""
	runs := 0
	for {
		args := []string{"ec2", "describe-instances", "--filters", "Name=tag:" + tag.Key + ",Values=" + tag.Value,
			"--max-items", "2", "--page-size", "5"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		var page struct {
			Reservations []struct {
				OwnerID   string `json:"OwnerId"`
				Instances []cliInstance
			}
			NextToken string
		}
		cli.json(t, &page, args...)
		runs++
		for _, r := range page.Reservations {
			if r.OwnerID != acct {
				t.Errorf("reservation OwnerId = %q, want %q", r.OwnerID, acct)
			}
			got = append(got, r.Instances...)
		}
		if page.NextToken == "" {
			break
		}
		if runs > len(want) {
			t.Fatalf("--max-items pagination does not end: %d runs for %d instances", runs, len(want))
		}
		token = page.NextToken
	}
	var ids []string
	for _, in := range got {
		ids = append(ids, in.InstanceID)
	}
	sort.Strings(ids)
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("tag:%s=%s via --max-items pages: got %v, want %v", tag.Key, tag.Value, ids, want)
	}
	if wantRuns := (len(want) + 1) / 2; runs != wantRuns {
		t.Errorf("--max-items 2 over %d instances took %d CLI runs, want %d", len(want), runs, wantRuns)
	}
	// With --page-size 5 each run needs ceil(n/5) server pages at least
	// once; more than one call proves the server's NextToken was followed.
	if len(want) > 5 && s.Calls("ec2.DescribeInstances")-before <= runs {
		t.Errorf("server pages were not followed: %d DescribeInstances calls for %d CLI runs", s.Calls("ec2.DescribeInstances")-before, runs)
	}
	s.WithState(func(st *State) {
		for _, in := range got {
			cliCheckInstance(t, st, acct, in)
		}
	})
}

// cliCheckInstance compares one parsed instance with the state.
func cliCheckInstance(t *testing.T, st *State, acct string, got cliInstance) {
	t.Helper()
	want := st.Instances[got.InstanceID]
	if got.State.Name != want.State || got.State.Code != map[string]int{"pending": 0, "running": 16, "stopping": 64, "stopped": 80, "shutting-down": 32, "terminated": 48}[want.State] {
		t.Errorf("%s: State = %+v, want %s", want.ID, got.State, want.State)
	}
	if got.PrivateIPAddress != want.PrivateIP || got.SubnetID != want.SubnetID || got.VpcID != want.VpcID {
		t.Errorf("%s: network = %s %s %s, want %s %s %s", want.ID, got.PrivateIPAddress, got.SubnetID, got.VpcID, want.PrivateIP, want.SubnetID, want.VpcID)
	}
	if !sameTags(got.Tags, want.Tags) {
		t.Errorf("%s: Tags = %v, want %v", want.ID, got.Tags, want.Tags)
	}
	var gotSG []string
	for _, g := range got.SecurityGroups {
		gotSG = append(gotSG, g.GroupID)
	}
	if !sameSet(gotSG, want.SecurityGroupIDs) {
		t.Errorf("%s: SecurityGroups = %v, want %v", want.ID, gotSG, want.SecurityGroupIDs)
	}
	if want.Metadata.HTTPTokens != "" && got.MetadataOptions.HTTPTokens != want.Metadata.HTTPTokens {
		t.Errorf("%s: HttpTokens = %q, want %q", want.ID, got.MetadataOptions.HTTPTokens, want.Metadata.HTTPTokens)
	}
	if want.Metadata.HopLimit != 0 && got.MetadataOptions.HopLimit != want.Metadata.HopLimit {
		t.Errorf("%s: HttpPutResponseHopLimit = %d, want %d", want.ID, got.MetadataOptions.HopLimit, want.Metadata.HopLimit)
	}
	var assoc *ProfileAssoc
	for _, a := range st.Associations {
		if a.InstanceID == want.ID && (a.State == "associated" || a.State == "associating") {
			assoc = a
		}
	}
	switch {
	case assoc == nil && got.IamInstanceProfile != nil:
		t.Errorf("%s: IamInstanceProfile = %+v, want none", want.ID, *got.IamInstanceProfile)
	case assoc != nil && got.IamInstanceProfile == nil:
		t.Errorf("%s: no IamInstanceProfile, want %s", want.ID, assoc.ProfileArn)
	case assoc != nil && (got.IamInstanceProfile.Arn != assoc.ProfileArn || got.IamInstanceProfile.ID != assoc.ProfileID):
		t.Errorf("%s: IamInstanceProfile = %+v, want %s %s", want.ID, *got.IamInstanceProfile, assoc.ProfileArn, assoc.ProfileID)
	case assoc != nil && !strings.HasPrefix(assoc.ProfileArn, "arn:aws:iam::"+acct+":instance-profile/"):
		t.Errorf("%s: profile arn %s is not in account %s", want.ID, assoc.ProfileArn, acct)
	}
}

func sameTags(a, b []Tag) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[Tag]int{}
	for _, t := range a {
		m[t]++
	}
	for _, t := range b {
		m[t]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// cliUnknownInstance checks the CLI's rendering of the simulator's error:
// botocore reads the code and message from the EC2 error envelope.
func cliUnknownInstance(t *testing.T, s *Sim, cli *awsCLI, key AccessKey) {
	const id = "i-0123456789abcdef0"
	r := cli.run(t, "ec2", "describe-instances", "--instance-ids", id)
	if r.code == 0 {
		t.Fatalf("describe-instances %s succeeded: %s", id, r.stdout)
	}
	want := "An error occurred (InvalidInstanceID.NotFound) when calling the DescribeInstances operation: The instance ID '" + id + "' does not exist"
	if got := strings.TrimSpace(string(r.stderr)); got != want {
		t.Fatalf("stderr:\n got %q\nwant %q", got, want)
	}
	// The Go SDK must read the same code and message from the same bytes.
	_, err := ec2.NewFromConfig(awsConfig(s, key.ID, key.Secret, "")).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if apiCode(err) != "InvalidInstanceID.NotFound" || !strings.HasSuffix(want, ": "+cliAPIMessage(err)) {
		t.Fatalf("Go SDK sees %v, the CLI %q", err, want)
	}
}

func cliGetInstanceProfile(t *testing.T, s *Sim, cli *awsCLI, acct string) {
	var prof InstanceProfile
	var role Role
	s.WithState(func(st *State) {
		var names []string
		for n, p := range st.InstanceProfile {
			if len(p.Roles) == 1 && st.Roles[p.Roles[0]] != nil && st.Roles[p.Roles[0]].AssumeRolePolicy != "" {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		if len(names) > 0 {
			prof = *st.InstanceProfile[names[0]]
			role = *st.Roles[prof.Roles[0]]
		}
	})
	if prof.Name == "" {
		t.Fatal("the scenario has no instance profile with a role that has a trust policy")
	}
	var got struct {
		InstanceProfile struct {
			InstanceProfileName, InstanceProfileId, Arn, Path string
			Roles                                             []struct {
				RoleName, RoleId, Arn, Path string
				// The CLI decodes the URL-encoded document into JSON.
				AssumeRolePolicyDocument any
			}
		}
	}
	cli.json(t, &got, "iam", "get-instance-profile", "--instance-profile-name", prof.Name)
	ip := got.InstanceProfile
	if ip.InstanceProfileName != prof.Name || ip.InstanceProfileId != prof.ID || ip.Path != cliPath(prof.Path) ||
		ip.Arn != "arn:aws:iam::"+acct+":instance-profile"+cliPath(prof.Path)+prof.Name {
		t.Errorf("instance profile = %+v, want %s %s", ip, prof.Name, prof.ID)
	}
	if len(ip.Roles) != 1 {
		t.Fatalf("Roles = %+v, want %s", ip.Roles, role.Name)
	}
	r := ip.Roles[0]
	if r.RoleName != role.Name || r.RoleId != role.ID || r.Arn != "arn:aws:iam::"+acct+":role"+cliPath(role.Path)+role.Name {
		t.Errorf("role = %+v, want %s %s", r, role.Name, role.ID)
	}
	var wantDoc any
	if err := json.Unmarshal([]byte(role.AssumeRolePolicy), &wantDoc); err != nil {
		t.Fatalf("state trust policy of %s: %v", role.Name, err)
	}
	if !reflect.DeepEqual(r.AssumeRolePolicyDocument, wantDoc) {
		t.Errorf("AssumeRolePolicyDocument as the CLI decoded it = %#v\nwant %#v", r.AssumeRolePolicyDocument, wantDoc)
	}
}

// cliSimulate checks that the CLI and the Go SDK read the same decision
// from the same request, for every user, with the SSH document's context.
func cliSimulate(t *testing.T, s *Sim, cli *awsCLI, key AccessKey, acct string) {
	var users []string
	var instance string
	s.WithState(func(st *State) {
		for n := range st.Users {
			users = append(users, n)
		}
		for id, in := range st.Instances {
			if strings.HasPrefix(id, "i-") && in.Region == "us-east-1" && (instance == "" || id < instance) {
				instance = id
			}
		}
	})
	sort.Strings(users)
	doc := "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession"
	inst := "arn:aws:ec2:us-east-1:" + acct + ":instance/" + instance
	client := iam.NewFromConfig(awsConfig(s, key.ID, key.Secret, ""))
	decisions := map[string]int{}
	for _, u := range users {
		src := userArnFor(s, u)
		var got struct {
			EvaluationResults []struct {
				EvalActionName, EvalDecision string
				ResourceSpecificResults      []struct {
					EvalResourceName, EvalResourceDecision string
					MatchedStatements                      []struct{ SourcePolicyId, SourcePolicyType string }
				}
			}
		}
		cli.json(t, &got, "iam", "simulate-principal-policy", "--policy-source-arn", src,
			"--action-names", "ssm:StartSession", "--resource-arns", inst, doc,
			"--context-entries", "ContextKeyName=ssm:SessionDocumentAccessCheck,ContextKeyValues=true,ContextKeyType=boolean")
		want, err := client.SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(src), ActionNames: []string{"ssm:StartSession"}, ResourceArns: []string{inst, doc},
			ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("ssm:SessionDocumentAccessCheck"),
				ContextKeyValues: []string{"true"}, ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean}},
		})
		if err != nil {
			t.Fatalf("simulate %s through the SDK: %v", u, err)
		}
		if len(got.EvaluationResults) != 1 || len(want.EvaluationResults) != 1 {
			t.Fatalf("%s: %d results from the CLI, %d from the SDK, want 1", u, len(got.EvaluationResults), len(want.EvaluationResults))
		}
		g, w := got.EvaluationResults[0], want.EvaluationResults[0]
		if g.EvalActionName != "ssm:StartSession" || g.EvalDecision != string(w.EvalDecision) || len(g.ResourceSpecificResults) != len(w.ResourceSpecificResults) {
			t.Fatalf("%s: CLI %+v, SDK %s with %d resources", u, g, w.EvalDecision, len(w.ResourceSpecificResults))
		}
		decisions[g.EvalDecision]++
		// AWS aggregates per action: the most restrictive decision over
		// the resources (explicitDeny, then implicitDeny, then allowed).
		rank := map[string]int{"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}
		worst := "allowed"
		for _, gr := range g.ResourceSpecificResults {
			if rank[gr.EvalResourceDecision] > rank[worst] {
				worst = gr.EvalResourceDecision
			}
			t.Logf("%s: ssm:StartSession on %s: %s", u, gr.EvalResourceName, gr.EvalResourceDecision)
		}
		if g.EvalDecision != worst {
			knownSimGap(t, "simulate-aggregate", "%s: aggregate EvalDecision %s, want the most restrictive per-resource decision %s", u, g.EvalDecision, worst)
		}
		for i, gr := range g.ResourceSpecificResults {
			wr := w.ResourceSpecificResults[i]
			if gr.EvalResourceName != aws.ToString(wr.EvalResourceName) || gr.EvalResourceDecision != string(wr.EvalResourceDecision) || len(gr.MatchedStatements) != len(wr.MatchedStatements) {
				t.Errorf("%s resource %d: CLI %+v, SDK %s %s %d statements", u, i, gr, aws.ToString(wr.EvalResourceName), wr.EvalResourceDecision, len(wr.MatchedStatements))
				continue
			}
			for j, m := range gr.MatchedStatements {
				if m.SourcePolicyId != aws.ToString(wr.MatchedStatements[j].SourcePolicyId) || m.SourcePolicyType != string(wr.MatchedStatements[j].SourcePolicyType) {
					t.Errorf("%s resource %d statement %d: CLI %+v, SDK %+v", u, i, j, m, wr.MatchedStatements[j])
				}
			}
		}
		if u == key.UserName && g.EvalDecision != "allowed" {
			t.Errorf("%s (the administrator): decision %s, want allowed", u, g.EvalDecision)
		}
	}
	t.Logf("decisions over %d users: %v", len(users), decisions)
}

func userArnFor(s *Sim, name string) string {
	var arn string
	s.WithState(func(st *State) {
		arn = "arn:aws:iam::" + st.AccountID + ":user" + cliPath(st.Users[name].Path) + name
	})
	return arn
}

func cliAPIMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func cliInstanceInformation(t *testing.T, s *Sim, cli *awsCLI, key AccessKey) {
	type info struct {
		InstanceId, PingStatus, AgentVersion, PlatformType, PlatformName, ResourceType string
		IsLatestVersion                                                                bool
		// CLI v1 prints timestamps as they came on the wire
		// (cli_timestamp_format defaults to none): epoch seconds for JSON.
		LastPingDateTime float64
	}
	var got struct {
		InstanceInformationList []info
		NextToken               string
	}
	start := time.Now()
	// The CLI follows NextToken itself; the small page size makes it.
	cli.json(t, &got, "ssm", "describe-instance-information", "--page-size", "5")
	if got.NextToken != "" {
		t.Errorf("NextToken %q left after auto-pagination", got.NextToken)
	}
	var want []info
	wantTimes := map[string]time.Time{}
	p := ssm.NewDescribeInstanceInformationPaginator(ssm.NewFromConfig(awsConfig(s, key.ID, key.Secret, "")), &ssm.DescribeInstanceInformationInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("describe instance information through the SDK: %v", err)
		}
		for _, i := range page.InstanceInformationList {
			want = append(want, info{InstanceId: aws.ToString(i.InstanceId), PingStatus: string(i.PingStatus), AgentVersion: aws.ToString(i.AgentVersion),
				PlatformType: string(i.PlatformType), PlatformName: aws.ToString(i.PlatformName), ResourceType: string(i.ResourceType),
				IsLatestVersion: aws.ToBool(i.IsLatestVersion)})
			if i.LastPingDateTime != nil {
				wantTimes[aws.ToString(i.InstanceId)] = *i.LastPingDateTime
			}
		}
	}
	if len(got.InstanceInformationList) != len(want) || len(want) == 0 {
		t.Fatalf("CLI lists %d nodes, the SDK %d", len(got.InstanceInformationList), len(want))
	}
	s.WithState(func(st *State) {
		for i, g := range got.InstanceInformationList {
			cliCheckPing(t, st, g.InstanceId, g.LastPingDateTime, wantTimes[g.InstanceId], start)
			g.LastPingDateTime = 0
			if g != want[i] {
				t.Errorf("node %d: CLI %+v\n SDK %+v", i, g, want[i])
			}
			in := st.Instances[g.InstanceId]
			if in == nil || !in.Agent.Installed || g.AgentVersion != in.Agent.Version || g.PlatformName != in.PlatformName {
				t.Errorf("%s: listed with agent %q on %q, state has %+v", g.InstanceId, g.AgentVersion, g.PlatformName, in)
				continue
			}
			wantType := map[bool]string{true: "ManagedInstance", false: "EC2Instance"}[strings.HasPrefix(in.ID, "mi-")]
			if g.ResourceType != wantType {
				t.Errorf("%s: ResourceType %s, want %s", g.InstanceId, g.ResourceType, wantType)
			}
			if in.Agent.PingStatus != "" && g.PingStatus != in.Agent.PingStatus {
				t.Errorf("%s: PingStatus %s, state forces %s", g.InstanceId, g.PingStatus, in.Agent.PingStatus)
			}
		}
	})
}

func cliSendSSHPublicKey(t *testing.T, s *Sim, cli *awsCLI) {
	var id string
	s.WithState(func(st *State) {
		for iid, in := range st.Instances {
			if strings.HasPrefix(iid, "i-") && in.Region == "us-east-1" && in.State == "running" && (id == "" || iid < id) {
				id = iid
			}
		}
	})
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
	var got struct {
		RequestId string
		Success   bool
	}
	cli.json(t, &got, "ec2-instance-connect", "send-ssh-public-key", "--instance-id", id, "--instance-os-user", "ec2-user", "--ssh-public-key", line)
	if !got.Success || got.RequestId == "" {
		t.Fatalf("send-ssh-public-key = %+v, want Success with a RequestId", got)
	}
	keys := s.AuthorizedKeys(id, "ec2-user")
	if len(keys) != 1 || keys[0] != line {
		t.Fatalf("keys for %s/ec2-user after the CLI pushed one: %q, want [%q]", id, keys, line)
	}
}

// cliCheckPing compares a node's LastPingDateTime with the state's fixed
// one, or, for a node that pings live (the simulator answers "now"), with
// the span of the test.
func cliCheckPing(t *testing.T, st *State, id string, cliSecs float64, sdk time.Time, start time.Time) {
	t.Helper()
	cliTime := time.Unix(0, int64(cliSecs*1e9))
	near := func(a, b time.Time) bool { d := a.Sub(b); return d < time.Millisecond && d > -time.Millisecond }
	in := st.Instances[id]
	if fixed := in.Agent.LastPing; !fixed.IsZero() || in.State != "running" {
		// A fixed ping, or one the simulator derives for a node that is
		// not running: the CLI must read what the SDK reads.
		if fixed.IsZero() {
			fixed = sdk
		}
		if !near(cliTime, fixed) || !near(sdk, fixed) {
			t.Errorf("%s: LastPingDateTime CLI %v, SDK %v, state %v", id, cliTime, sdk, fixed)
		}
		return
	}
	if cliTime.Before(start.Add(-time.Second)) || cliTime.After(time.Now().Add(time.Second)) {
		t.Errorf("%s: live LastPingDateTime %v is outside the test's span from %v", id, cliTime, start)
	}
}
