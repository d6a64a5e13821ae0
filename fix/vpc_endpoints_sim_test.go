package fix

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

const (
	vpcDemoVPC  = "vpc-0a11600d000000001"
	vpcInstSG   = "sg-0a11600d000000001"
	vpcEndpSG   = "sg-0a11600d000000002"
	vpcPrivInst = "i-0a11600d00000000a" // private subnet, ssm and ssmmessages endpoints
)

func vpcSim(t *testing.T, st *awssim.State) (*AWS, *awssim.Sim) {
	t.Helper()
	s := simtest.Start(t, st, awssim.Options{})
	a := NewAWS(simtest.Clients(t, s, st, awssim.DemoAccessKey, awsapi.Options{}))
	return a, s
}

func vpcOnline(t *testing.T, a *AWS, id string) bool {
	t.Helper()
	out, err := a.SSM.DescribeInstanceInformation(context.Background(), &ssm.DescribeInstanceInformationInput{
		Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: []string{id}}}})
	if err != nil {
		t.Fatalf("DescribeInstanceInformation: %v", err)
	}
	return len(out.InstanceInformationList) == 1 && out.InstanceInformationList[0].PingStatus == ssmtypes.PingStatusOnline
}

func planOps(p *Plan) []string {
	var ops []string
	for _, s := range p.Steps {
		if c, ok := s.(*Call); ok {
			ops = append(ops, c.Operation)
		}
	}
	return ops
}

// TestVPCEndpointsRepairsEveryBlock: with VPC DNS hostnames off, the
// endpoints' group admitting nothing and the instance's group letting
// nothing out, the plan shows each repair as its API call; applied, the
// simulated agent registers, and the next plan is empty.
func TestVPCEndpointsRepairsEveryBlock(t *testing.T) {
	st := awssim.DemoScenario()
	st.VPCs[vpcDemoVPC].EnableDNSHostnames = false
	st.SecurityGroups[vpcEndpSG].Ingress = nil
	st.SecurityGroups[vpcInstSG].Egress = nil
	a, s := vpcSim(t, st)
	ctx := context.Background()
	if vpcOnline(t, a, vpcPrivInst) {
		t.Fatal("the blocked instance is Online before the fix")
	}
	p, err := PlanVPCEndpoints(ctx, a, vpcPrivInst)
	if err != nil {
		t.Fatal(err)
	}
	var shown bytes.Buffer
	p.Show(&shown)
	t.Logf("plan:\n%s", shown.String())
	want := []string{"ModifyVpcAttribute", "AuthorizeSecurityGroupIngress", "CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "CreateVpcEndpoint", "AuthorizeSecurityGroupEgress"}
	if got := planOps(p); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("steps %v, want %v", got, want)
	}
	for _, line := range []string{
		"ec2 ModifyVpcAttribute\n     VpcId: " + vpcDemoVPC + "\n     EnableDnsHostnames: true\n",
		"ec2 AuthorizeSecurityGroupIngress\n     GroupId: " + vpcEndpSG + "\n     IpPermissions: tcp 443 from " + vpcInstSG + "\n",
		"ec2 AuthorizeSecurityGroupEgress\n     GroupId: " + vpcInstSG + "\n     IpPermissions: tcp 443 to " + vpcEndpSG + ", (the group created above)\n",
	} {
		if !strings.Contains(shown.String(), line) {
			t.Errorf("the plan does not show %q", line)
		}
	}
	if s.MutatingCalls() != 0 {
		t.Fatalf("planning made %d mutating calls", s.MutatingCalls())
	}
	if err := p.Apply(ctx, nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !vpcOnline(t, a, vpcPrivInst) {
		t.Fatal("the instance is not Online after the fix")
	}
	s.WithState(func(st *awssim.State) {
		if !st.VPCs[vpcDemoVPC].EnableDNSHostnames {
			t.Error("DNS hostnames still off")
		}
		eg := st.SecurityGroups[vpcInstSG].Egress
		if len(eg) != 1 || eg[0].Protocol != "tcp" || eg[0].FromPort != 443 || len(eg[0].Cidrs) != 0 || len(eg[0].Groups) != 2 || eg[0].Groups[0] != vpcEndpSG {
			t.Errorf("instance egress %+v: want TCP 443 to the endpoints' groups only", eg)
		}
	})

	made := s.MutatingCalls()
	again, err := PlanVPCEndpoints(ctx, a, vpcPrivInst)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() || again.PrintOnly || !strings.Contains(again.Already, "TCP 443 is open") {
		t.Errorf("second plan: steps %v, already %q", planOps(again), again.Already)
	}
	if err := again.Apply(ctx, nil); err != nil || s.MutatingCalls() != made {
		t.Errorf("second apply: %v, %d mutating calls", err, s.MutatingCalls()-made)
	}
}

// TestVPCEndpointsPrivateDNSOffIsTheUsersStep: ssmdoctor does not modify
// endpoints; private DNS off is printed as the command that turns it on,
// and no step touches the endpoint.
func TestVPCEndpointsPrivateDNSOffIsTheUsersStep(t *testing.T) {
	st := awssim.DemoScenario()
	for _, ep := range st.VpcEndpoints {
		ep.PrivateDNSEnabled = false
	}
	st.Instances[vpcPrivInst].Agent.Version = awssim.LatestAgentVersion
	a, _ := vpcSim(t, st)
	p, err := PlanVPCEndpoints(context.Background(), a, vpcPrivInst)
	if err != nil {
		t.Fatal(err)
	}
	var cmds int
	for _, n := range p.Notes {
		if strings.Contains(n, "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0a11600d00000000") && strings.Contains(n, "--private-dns-enabled --region us-east-1") {
			cmds++
		}
	}
	// The agent is not registered (no path), so its version is unknown and
	// ec2messages is planned as well; the two existing endpoints get the
	// command.
	if cmds != 2 {
		t.Errorf("notes %q: want the modify-vpc-endpoint command for both endpoints", p.Notes)
	}
	for _, op := range planOps(p) {
		if strings.Contains(op, "VpcEndpoint") && op != "CreateVpcEndpoint" {
			t.Errorf("a step modifies an endpoint: %s", op)
		}
	}
}
