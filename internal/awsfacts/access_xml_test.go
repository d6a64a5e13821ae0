package awsfacts

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// simulationAnswer is what simulateGroup takes from one page: the
// decisions collectSimResult builds and the paging fields.
func simulationAnswer(o *iam.SimulatePrincipalPolicyOutput) string {
	got := map[string]*SimDecision{}
	cv := []CtxValue{{Key: "ssm:resourceTag/env", Type: "string", Values: []string{"prod"}}}
	for _, r := range o.EvaluationResults {
		collectSimResult(got, "arn:aws:iam::123456789012:role/r", cv, r)
	}
	var lines []string
	for k, d := range got {
		lines = append(lines, fmt.Sprintf("%s => %s %v %v", k, d.Decision, d.Statements, d.Missing))
	}
	sort.Strings(lines)
	return fmt.Sprintf("truncated %v marker %q\n%s", o.IsTruncated, aws.ToString(o.Marker), strings.Join(lines, "\n"))
}

func iamBodyClient(t *testing.T, status int, body string) *iam.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
}

const craftedSimulation = `<?xml version="1.0" encoding="UTF-8"?>
<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <SimulatePrincipalPolicyResult>
    <IsTruncated>true</IsTruncated>
    <Marker>m&amp;1</Marker>
    <EvaluationResults>
      <member>
        <EvalActionName>ssm:StartSession</EvalActionName>
        <EvalResourceName>*</EvalResourceName>
        <EvalDecision>implicitDeny</EvalDecision>
        <MatchedStatements>
          <member>
            <SourcePolicyId>tagged</SourcePolicyId>
            <SourcePolicyType>IAM Policy</SourcePolicyType>
            <StartPosition><Line>3</Line><Column>7</Column></StartPosition>
            <EndPosition><Line>9</Line><Column>2</Column></EndPosition>
          </member>
        </MatchedStatements>
        <MissingContextValues><member>ssm:resourceTag/team</member></MissingContextValues>
        <EvalDecisionDetails><entry><key>IAM Policy</key><value>implicitDeny</value></entry></EvalDecisionDetails>
        <PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>true</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>
        <ResourceSpecificResults>
          <member>
            <EvalResourceName>arn:aws:ec2:us-east-1:123456789012:instance/i-1</EvalResourceName>
            <EvalResourceDecision>allowed</EvalResourceDecision>
            <MatchedStatements><member><SourcePolicyId>tagged</SourcePolicyId><StartPosition><Line>3</Line><Column>7</Column></StartPosition></member></MatchedStatements>
            <MissingContextValues/>
          </member>
          <member>
            <EvalResourceName>arn:aws:ec2:us-east-1:123456789012:instance/i-2</EvalResourceName>
            <EvalResourceDecision>explicitDeny</EvalResourceDecision>
            <MatchedStatements><member><SourcePolicyId>deny&lt;all&gt;</SourcePolicyId></member></MatchedStatements>
            <MissingContextValues><member>aws:SourceIp</member></MissingContextValues>
          </member>
        </ResourceSpecificResults>
      </member>
      <member>
        <EvalActionName>ssm:GetDocument</EvalActionName>
        <EvalResourceName></EvalResourceName>
        <EvalDecision>allowed</EvalDecision>
        <MatchedStatements/>
        <MissingContextValues/>
      </member>
    </EvaluationResults>
  </SimulatePrincipalPolicyResult>
  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
</SimulatePrincipalPolicyResponse>`

// TestSimulationDecodeMatchesSDK: the decisions simulateGroup collects
// from decodeSimulation's output are those it collects from the SDK's,
// for a crafted answer that uses every field read, and for the
// simulator's answers over a generated fleet's instances.
func TestSimulationDecodeMatchesSDK(t *testing.T) {
	ctx := context.Background()
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/r"), ActionNames: []string{"ssm:StartSession"}}
	if _, ok := decodeSimulation([]byte(craftedSimulation)); !ok {
		t.Fatal("decodeSimulation did not take the crafted answer")
	}
	c := iamBodyClient(t, 200, craftedSimulation)
	sdk, err := c.SimulatePrincipalPolicy(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	light, err := c.SimulatePrincipalPolicy(ctx, in, withSimulationDecoder())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := simulationAnswer(light), simulationAnswer(sdk); a != b {
		t.Errorf("crafted answer collected as\n%s\nfrom the SDK's decoding:\n%s", a, b)
	}
	if !strings.Contains(simulationAnswer(light), "deny<all>") || !strings.Contains(simulationAnswer(light), `marker "m&1"`) {
		t.Errorf("escapes not decoded: %s", simulationAnswer(light))
	}

	// The simulator: a fleet role's policies over instance ARNs, with a
	// tag in the context.
	st := awssim.GenerateFleet(200, awssim.DefaultFleetMix, 1)
	s := simtest.Start(t, st, awssim.Options{})
	cl := simtest.Clients(t, s, st, awssim.DemoAccessKey, awsapi.Options{})
	var role, arns []string
	for name := range st.Roles {
		role = append(role, name)
	}
	sort.Strings(role)
	for id := range st.Instances {
		arns = append(arns, "arn:aws:ec2:us-east-1:"+st.AccountID+":instance/"+id)
	}
	sort.Strings(arns)
	caller, err := cl.STS.GetCallerIdentity(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{aws.ToString(caller.Arn), "arn:aws:iam::" + st.AccountID + ":role/" + role[0]} {
		sin := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(src),
			ActionNames:    []string{"ssm:StartSession", "ssm:UpdateInstanceInformation", "ssmmessages:OpenControlChannel"},
			ResourceArns:   arns[:min(len(arns), SimulateResourceBatch)],
			ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("ssm:resourceTag/env"), ContextKeyType: "string", ContextKeyValues: []string{"prod"}}},
		}
		sdk, err := cl.IAM.SimulatePrincipalPolicy(ctx, sin)
		if err != nil {
			t.Fatal(err)
		}
		light, err := cl.IAM.SimulatePrincipalPolicy(ctx, sin, withSimulationDecoder())
		if err != nil {
			t.Fatal(err)
		}
		if a, b := simulationAnswer(light), simulationAnswer(sdk); a != b || len(sdk.EvaluationResults) != 3 || !strings.Contains(a, " (line ") {
			t.Errorf("%s: simulator answer collected as\n%.2000s\nfrom the SDK's decoding:\n%.2000s", src, a, b)
		}
	}
}

// TestSimulationDecodeLeavesTheRestToTheSDK: bodies the decoder does not
// take whole, and error responses, are the SDK's.
func TestSimulationDecodeLeavesTheRestToTheSDK(t *testing.T) {
	ctx := context.Background()
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/r"), ActionNames: []string{"ssm:StartSession"}}
	wrap := func(inner string) string {
		return `<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult>` + inner + `</SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>`
	}
	for name, body := range map[string]string{
		"lower-case element":  wrap(`<isTruncated>true</isTruncated>`),
		"odd boolean":         wrap(`<IsTruncated>1</IsTruncated>`),
		"no result element":   `<SimulatePrincipalPolicyResponse></SimulatePrincipalPolicyResponse>`,
		"empty body":          ``,
		"comment":             wrap(`<!-- x --><IsTruncated>false</IsTruncated>`),
		"not a member":        wrap(`<EvaluationResults><item><EvalDecision>allowed</EvalDecision></item></EvaluationResults>`),
		"position not an int": wrap(`<EvaluationResults><member><MatchedStatements><member><StartPosition><Line>x</Line></StartPosition></member></MatchedStatements></member></EvaluationResults>`),
	} {
		t.Run(name, func(t *testing.T) {
			if _, ok := decodeSimulation([]byte(body)); ok {
				t.Fatalf("decodeSimulation took %q", body)
			}
			c := iamBodyClient(t, 200, body)
			sdk, sdkErr := c.SimulatePrincipalPolicy(ctx, in)
			light, lightErr := c.SimulatePrincipalPolicy(ctx, in, withSimulationDecoder())
			if (sdkErr == nil) != (lightErr == nil) || sdkErr != nil && sdkErr.Error() != lightErr.Error() {
				t.Fatalf("errors: SDK %v, with the decoder %v", sdkErr, lightErr)
			}
			if sdkErr == nil && simulationAnswer(sdk) != simulationAnswer(light) {
				t.Errorf("answers differ:\n%s\n%s", simulationAnswer(sdk), simulationAnswer(light))
			}
		})
	}
	const errBody = `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>`
	c := iamBodyClient(t, 403, errBody)
	_, sdkErr := c.SimulatePrincipalPolicy(ctx, in)
	_, lightErr := c.SimulatePrincipalPolicy(ctx, in, withSimulationDecoder())
	if ErrorCode(sdkErr) != "AccessDenied" || ErrorCode(lightErr) != "AccessDenied" {
		t.Errorf("error codes: SDK %q, with the decoder %q", ErrorCode(sdkErr), ErrorCode(lightErr))
	}
}
