package awssim

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// batchFleet is n healthy, Online instances with the default OS, their
// ids sorted.
func batchFleet(n int) (*State, []string) {
	st := GenerateFleet(n, FleetMix{}, 3)
	var ids []string
	for id, in := range st.Instances {
		in.OS = DefaultOS(in)
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return st, ids
}

func sendTo(c *ssm.Client, ids []string, commands []string) (*ssm.SendCommandOutput, error) {
	return c.SendCommand(context.Background(), &ssm.SendCommandInput{
		DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: ids,
		Parameters: map[string][]string{"commands": commands, "executionTimeout": {"30"}}, TimeoutSeconds: aws.Int32(60),
	})
}

func TestSendCommandInstanceLimit(t *testing.T) {
	st, ids := batchFleet(51)
	c, _ := commandsClient(t, st, DemoAccessKey, DemoSecretKey)
	_, err := sendTo(c, ids, checkCommands("ec2-user", "22"))
	if apiCode(err) != "ValidationException" || !strings.Contains(err.Error(), "Member must have length less than or equal to 50") {
		t.Fatalf("51 instances: %v, want ValidationException", err)
	}
	out, err := sendTo(c, ids[:50], checkCommands("ec2-user", "22"))
	if err != nil {
		t.Fatalf("50 instances: %v", err)
	}
	if n := out.Command.TargetCount; n != 50 {
		t.Fatalf("TargetCount %d, want 50", n)
	}
	// One instance the account does not have refuses the whole command.
	_, err = sendTo(c, append([]string{"i-0000000000000dead"}, ids[:3]...), checkCommands("ec2-user", "22"))
	if apiCode(err) != "InvalidInstanceId" || !strings.Contains(err.Error(), "i-0000000000000dead") || strings.Contains(err.Error(), ids[0]) {
		t.Fatalf("an unknown instance among three: %v, want InvalidInstanceId naming it alone", err)
	}
}

// TestListCommandInvocationsDetails: every instance of a 50-instance
// command, in pages, with each plugin's output as GetCommandInvocation
// has it when it fits, cut at 2,500 characters when it does not.
func TestListCommandInvocationsDetails(t *testing.T) {
	st, ids := batchFleet(50)
	big := ids[7]
	akf := st.Instances[big].OS.Files["/home/ec2-user/.ssh/authorized_keys"]
	for range 40 {
		akf.Keys = append(akf.Keys, demoUserKey+" a-long-comment-for-a-long-fingerprint-line")
	}
	c, clk := commandsClient(t, st, DemoAccessKey, DemoSecretKey)
	out, err := sendTo(c, ids, checkCommands("ec2-user", "22"))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Command.CommandId)
	clk.add(time.Second)
	var seen []string
	var token *string
	pages := 0
	for {
		page, err := c.ListCommandInvocations(context.Background(), &ssm.ListCommandInvocationsInput{CommandId: aws.String(id), Details: true, MaxResults: aws.Int32(20), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, inv := range page.CommandInvocations {
			inst := aws.ToString(inv.InstanceId)
			seen = append(seen, inst)
			if string(inv.Status) != "Success" || len(inv.CommandPlugins) != 1 {
				t.Fatalf("%s: %s with %d plugins", inst, inv.Status, len(inv.CommandPlugins))
			}
			listed := aws.ToString(inv.CommandPlugins[0].Output)
			whole := aws.ToString(invocation(t, c, id, inst).StandardOutputContent)
			if inst == big {
				kept, cut := strings.CutSuffix(listed, "\n---Output truncated---")
				if len(whole) <= maxPluginOutput || len(listed) != maxPluginOutput || !cut || !strings.HasPrefix(whole, kept) {
					t.Errorf("the long output: listed %d bytes of %d (cut: %v), want its start and the cut line in %d", len(listed), len(whole), cut, maxPluginOutput)
				}
				continue
			}
			if listed != whole {
				t.Errorf("%s: listed output differs from GetCommandInvocation's", inst)
			}
		}
		if token = page.NextToken; token == nil {
			break
		}
	}
	if pages != 3 || !slices.Equal(seen, ids) {
		t.Fatalf("%d pages listing %d invocations, want 3 pages listing the 50 instances once each", pages, len(seen))
	}
	if _, err := c.ListCommandInvocations(context.Background(), &ssm.ListCommandInvocationsInput{CommandId: aws.String(id), MaxResults: aws.Int32(51)}); apiCode(err) != "ValidationException" {
		t.Errorf("MaxResults 51: %v, want ValidationException", err)
	}
}

// TestListCommandInvocationsStderr: standard error follows standard
// output in a plugin's Output, after a marker line.
func TestListCommandInvocationsStderr(t *testing.T) {
	st, ids := batchFleet(2)
	c, clk := commandsClient(t, st, DemoAccessKey, DemoSecretKey)
	changed := checkCommands("ec2-user", "22")
	changed[1] += "\nrm -rf /\n"
	out, err := sendTo(c, ids, changed)
	if err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	page, err := c.ListCommandInvocations(context.Background(), &ssm.ListCommandInvocationsInput{CommandId: out.Command.CommandId, Details: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range page.CommandInvocations {
		o := aws.ToString(inv.CommandPlugins[0].Output)
		if string(inv.Status) != "Failed" || !strings.HasPrefix(o, "\n"+pluginErrorMark+"\n") || !strings.Contains(o, "runs only ssmdoctor's own scripts") {
			t.Errorf("%s: %s %q", aws.ToString(inv.InstanceId), inv.Status, o)
		}
	}
}

// TestPluginOutputCut: the listed output keeps within 2,500 bytes, cutting
// the longer part or both, each cut marked.
func TestPluginOutputCut(t *testing.T) {
	long := strings.Repeat("x", 3000)
	for _, tc := range []struct {
		stdout, stderr string
		want           func(string) bool
	}{
		{"out", "", func(o string) bool { return o == "out" }},
		{"", "err", func(o string) bool { return o == "\n----------ERROR-------\nerr" }},
		{"out", "err", func(o string) bool { return o == "out\n----------ERROR-------\nerr" }},
		{long, "", func(o string) bool { return strings.HasSuffix(o, "x\n---Output truncated---") }},
		{long, "err", func(o string) bool {
			return strings.HasSuffix(o, "x\n---Output truncated---\n----------ERROR-------\nerr")
		}},
		{"out", long, func(o string) bool {
			return strings.HasPrefix(o, "out\n----------ERROR-------\nx") && strings.HasSuffix(o, "x\n---Error truncated----")
		}},
		{long, long, func(o string) bool {
			return strings.Contains(o, "x\n---Output truncated---\n----------ERROR-------\nx") && strings.HasSuffix(o, "x\n---Error truncated----")
		}},
	} {
		o := pluginOutput(tc.stdout, tc.stderr)
		if len(o) > maxPluginOutput || !tc.want(o) {
			t.Errorf("stdout %d bytes, stderr %d: %d bytes %.60q…%q", len(tc.stdout), len(tc.stderr), len(o), o, o[max(0, len(o)-60):])
		}
	}
}
