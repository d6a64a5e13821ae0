package fix

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

const (
	sshOpenInst = "i-0bad000000000000b" // demo-ssh-open
	sshOpenSG   = "sg-0bad000000000000b"
)

// TestCloseSSHPortRevokesExactlyTheOpenRules: the demo's ssh-open
// instance's group admits TCP 22 from 0.0.0.0/0 and ::/0 and 443 from the
// VPC. The plan revokes those two peers in one call, says no other
// instance shares the group; applied, only the 443 rule is left, and the
// next plan is "already" with no mutating call.
func TestCloseSSHPortRevokesExactlyTheOpenRules(t *testing.T) {
	a, s := vpcSim(t, awssim.DemoScenario())
	ctx := context.Background()
	p, err := PlanCloseSSHPort(ctx, a, sshOpenInst)
	if err != nil {
		t.Fatal(err)
	}
	var shown bytes.Buffer
	p.Show(&shown)
	want := "ec2 RevokeSecurityGroupIngress\n" +
		"     GroupId: " + sshOpenSG + " (demo-ssh-open)\n" +
		"     IpPermissions: tcp 22 from 0.0.0.0/0; tcp 22 from ::/0\n" +
		"     (no other instance uses this group)\n"
	if !strings.Contains(shown.String(), want) || len(p.Steps) != 1 {
		t.Fatalf("plan:\n%s\nwant it to hold:\n%s", shown.String(), want)
	}
	if !strings.Contains(shown.String(), "undo for "+sshOpenSG+": aws ec2 authorize-security-group-ingress --group-id "+sshOpenSG+
		" --ip-permissions 'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]' 'IpProtocol=tcp,FromPort=22,ToPort=22,Ipv6Ranges=[{CidrIpv6=::/0}]'") {
		t.Fatalf("no undo command in the plan:\n%s", shown.String())
	}
	s.ResetCalls()
	if err := p.Apply(ctx, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if n := s.Calls("ec2.RevokeSecurityGroupIngress"); n != 1 || s.MutatingCalls() != 1 {
		t.Fatalf("%d revokes, %d mutating calls: %v", n, s.MutatingCalls(), s.AllCalls())
	}
	out, err := a.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sshOpenSG}})
	if err != nil {
		t.Fatal(err)
	}
	in := out.SecurityGroups[0].IpPermissions
	if len(in) != 1 || aws.ToInt32(in[0].FromPort) != 443 || aws.ToString(in[0].IpRanges[0].CidrIp) != "10.0.0.0/16" || len(in[0].Ipv6Ranges) != 0 {
		t.Fatalf("left after the fix: %+v", in)
	}
	s.ResetCalls()
	again, err := PlanCloseSSHPort(ctx, a, sshOpenInst)
	if err != nil || !again.Empty() || again.Already != "no security group of "+sshOpenInst+" admits TCP 22 from 0.0.0.0/0 or ::/0" {
		t.Fatalf("second plan: %v %+v", err, again)
	}
	if s.MutatingCalls() != 0 {
		t.Fatalf("the second plan made mutating calls: %v", s.AllCalls())
	}
}

// A group shared with other instances: the plan names them (with their
// Name tags), since they lose the rules too; an all-traffic rule from the
// world and a port range covering 22 are revoked as well, a rule from a
// private block is not.
func TestCloseSSHPortSharedGroupAndRanges(t *testing.T) {
	st := awssim.DemoScenario()
	st.Instances["i-0a11600d000000001"].SecurityGroupIDs = append(st.Instances["i-0a11600d000000001"].SecurityGroupIDs, sshOpenSG)
	st.SecurityGroups[sshOpenSG].Ingress = []awssim.SGRule{
		{Protocol: "tcp", FromPort: 20, ToPort: 30, Cidrs: []string{"0.0.0.0/0", "192.168.0.0/16"}},
		{Protocol: "-1", Cidrs: []string{"::/0"}},
	}
	a, _ := vpcSim(t, st)
	ctx := context.Background()
	p, err := PlanCloseSSHPort(ctx, a, sshOpenInst)
	if err != nil {
		t.Fatal(err)
	}
	var shown bytes.Buffer
	p.Show(&shown)
	if !strings.Contains(shown.String(), "     IpPermissions: tcp 20-30 from 0.0.0.0/0; all traffic from ::/0\n") ||
		!strings.Contains(shown.String(), "(also attached to 1 other instance(s), which lose these rules too: i-0a11600d000000001 (demo-healthy))") {
		t.Fatalf("plan:\n%s", shown.String())
	}
	if err := p.Apply(ctx, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	out, _ := a.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sshOpenSG}})
	in := out.SecurityGroups[0].IpPermissions
	if len(in) != 1 || aws.ToInt32(in[0].FromPort) != 20 || len(in[0].IpRanges) != 1 || aws.ToString(in[0].IpRanges[0].CidrIp) != "192.168.0.0/16" {
		t.Fatalf("left: %+v", in)
	}
}
