package awssim

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssmdoctor/ssmdoctor/internal/oninstance/script"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// checkCommands are what ssmdoctor sends, built here by hand: the
// simulator must not import the doctor's side.
func checkCommands(user, port string) []string {
	return []string{"set -- '" + user + "' '" + port + "' '/etc/ssh/sshd_config'", string(script.OnInstance())}
}

func commandsClient(t *testing.T, st *State, keyID, secret string) (*ssm.Client, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Now()}
	s := startSim(t, st, Options{Now: clk.now})
	return ssm.NewFromConfig(awsConfig(s, keyID, secret, "")), clk
}

func invocation(t *testing.T, c *ssm.Client, id, inst string) *ssm.GetCommandInvocationOutput {
	t.Helper()
	out, err := c.GetCommandInvocation(context.Background(), &ssm.GetCommandInvocationInput{CommandId: aws.String(id), InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatalf("GetCommandInvocation: %v", err)
	}
	return out
}

func send(t *testing.T, c *ssm.Client, inst string, commands []string) string {
	t.Helper()
	out, err := c.SendCommand(context.Background(), &ssm.SendCommandInput{
		DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{inst},
		Parameters: map[string][]string{"commands": commands, "executionTimeout": {"30"}}, TimeoutSeconds: aws.Int32(60),
	})
	if err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	return aws.ToString(out.Command.CommandId)
}

func TestSendCommandStates(t *testing.T) {
	c, clk := commandsClient(t, DemoScenario(), DemoAccessKey, DemoSecretKey)
	const inst = "i-0a11600d000000001"
	id := send(t, c, inst, checkCommands("ec2-user", "22"))
	steps := []struct {
		after              time.Duration
		status, code, body string
	}{
		{0, "Pending", "-1", ""},
		{150 * time.Millisecond, "InProgress", "-1", ""},
		{400 * time.Millisecond, "Success", "0", "ssmdoctor.oninstance=1\n"},
	}
	for _, s := range steps {
		clk.add(s.after)
		out := invocation(t, c, id, inst)
		if string(out.Status) != s.status || !strings.HasPrefix(aws.ToString(out.StandardOutputContent), s.body) {
			t.Fatalf("after %s: status %s, output %.40q; want %s, %q", s.after, out.Status, aws.ToString(out.StandardOutputContent), s.status, s.body)
		}
		if s.status == "Success" {
			if out.ResponseCode != 0 || aws.ToString(out.ExecutionStartDateTime) == "" || aws.ToString(out.ExecutionEndDateTime) == "" {
				t.Fatalf("finished invocation: code %d, start %q, end %q", out.ResponseCode, aws.ToString(out.ExecutionStartDateTime), aws.ToString(out.ExecutionEndDateTime))
			}
			if !strings.HasSuffix(aws.ToString(out.StandardOutputContent), "end=ok\n") {
				t.Fatalf("output not complete: %q", aws.ToString(out.StandardOutputContent))
			}
		}
	}
	list, err := c.ListCommandInvocations(context.Background(), &ssm.ListCommandInvocationsInput{CommandId: aws.String(id), Details: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.CommandInvocations) != 1 || string(list.CommandInvocations[0].Status) != "Success" ||
		len(list.CommandInvocations[0].CommandPlugins) != 1 || !strings.HasPrefix(aws.ToString(list.CommandInvocations[0].CommandPlugins[0].Output), "ssmdoctor.oninstance=1") {
		t.Fatalf("ListCommandInvocations: %+v", list.CommandInvocations)
	}
}

func TestSendCommandRefusesOtherScripts(t *testing.T) {
	c, clk := commandsClient(t, DemoScenario(), DemoAccessKey, DemoSecretKey)
	const inst = "i-0a11600d000000001"
	changed := checkCommands("ec2-user", "22")
	changed[1] += "\nrm -rf /\n"
	id := send(t, c, inst, changed)
	clk.add(time.Second)
	out := invocation(t, c, id, inst)
	if string(out.Status) != "Failed" || out.ResponseCode != 1 || aws.ToString(out.StandardOutputContent) != "" ||
		!strings.Contains(aws.ToString(out.StandardErrorContent), "runs only ssmdoctor's own scripts") ||
		!strings.Contains(aws.ToString(out.StandardErrorContent), "--on-instance-script") {
		t.Fatalf("changed script: %s code %d stdout %q stderr %q", out.Status, out.ResponseCode, aws.ToString(out.StandardOutputContent), aws.ToString(out.StandardErrorContent))
	}
}

func TestSendCommandDelayedOffline(t *testing.T) {
	c, clk := commandsClient(t, DemoScenario(), DemoAccessKey, DemoSecretKey)
	const inst = "i-0bad0000000000006" // connection lost
	id := send(t, c, inst, checkCommands("ec2-user", "22"))
	clk.add(5 * time.Second)
	if out := invocation(t, c, id, inst); string(out.Status) != "Delayed" {
		t.Fatalf("offline node: %s, want Delayed", out.Status)
	}
	clk.add(2 * time.Minute)
	if out := invocation(t, c, id, inst); string(out.Status) != "TimedOut" || aws.ToString(out.StatusDetails) != "DeliveryTimedOut" {
		t.Fatalf("after the delivery timeout: %s %s, want TimedOut DeliveryTimedOut", out.Status, aws.ToString(out.StatusDetails))
	}
}

func TestSendCommandExecutionTimeout(t *testing.T) {
	st := DemoScenario()
	inst := st.Instances["i-0a11600d000000001"]
	inst.OS = DefaultOS(inst)
	inst.OS.CommandSeconds = 120
	c, clk := commandsClient(t, st, DemoAccessKey, DemoSecretKey)
	id := send(t, c, inst.ID, checkCommands("ec2-user", "22"))
	clk.add(10 * time.Second)
	if out := invocation(t, c, id, inst.ID); string(out.Status) != "InProgress" {
		t.Fatalf("running: %s", out.Status)
	}
	clk.add(time.Minute)
	if out := invocation(t, c, id, inst.ID); string(out.Status) != "TimedOut" || aws.ToString(out.StatusDetails) != "ExecutionTimedOut" {
		t.Fatalf("past executionTimeout: %s %s", out.Status, aws.ToString(out.StatusDetails))
	}
}

func TestSendCommandErrors(t *testing.T) {
	c, _ := commandsClient(t, DemoScenario(), "AKIADEMOBOB000000001", "demo/bob/secret/not/a/real/key/00000001")
	_, err := c.SendCommand(context.Background(), &ssm.SendCommandInput{
		DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{"i-0a11600d000000001"},
		Parameters: map[string][]string{"commands": {"true"}},
	})
	if apiCode(err) != "AccessDeniedException" {
		t.Fatalf("bob's SendCommand: %v, want AccessDeniedException", err)
	}
	admin, _ := commandsClient(t, DemoScenario(), DemoAccessKey, DemoSecretKey)
	for _, tc := range []struct {
		in   *ssm.SendCommandInput
		code string
	}{
		{&ssm.SendCommandInput{DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{"i-0bad0000000000007"}, Parameters: map[string][]string{"commands": {"true"}}}, "InvalidInstanceId"},
		{&ssm.SendCommandInput{DocumentName: aws.String("No-Such-Doc"), InstanceIds: []string{"i-0a11600d000000001"}, Parameters: map[string][]string{"commands": {"true"}}}, "InvalidDocument"},
		{&ssm.SendCommandInput{DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{"i-0a11600d000000001"}}, "InvalidParameters"},
	} {
		if _, err := admin.SendCommand(context.Background(), tc.in); apiCode(err) != tc.code {
			t.Errorf("SendCommand %v: %v, want %s", tc.in.InstanceIds, err, tc.code)
		}
	}
	if _, err := admin.GetCommandInvocation(context.Background(), &ssm.GetCommandInvocationInput{CommandId: aws.String("00000000-0000-0000-0000-000000000000"), InstanceId: aws.String("i-0a11600d000000001")}); apiCode(err) != "InvocationDoesNotExist" {
		t.Errorf("unknown invocation: %v", err)
	}
}

func TestAuthorizeKeyScriptIsIdempotent(t *testing.T) {
	st := DemoScenario()
	inst := st.Instances["i-0a11600d000000001"]
	inst.OS = DefaultOS(inst)
	delete(inst.OS.Files, "/home/ec2-user/.ssh")
	delete(inst.OS.Files, "/home/ec2-user/.ssh/authorized_keys")
	c, clk := commandsClient(t, st, DemoAccessKey, DemoSecretKey)
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOw0gBrqGxwq2bHtCGBAc2NVWY2gTfUjpyZ9mxIr1kHZ me@laptop"
	cmds := []string{"set -- 'ec2-user' '" + key + "'", string(script.AuthorizeKey())}
	for i, want := range []string{"result=added", "result=present"} {
		id := send(t, c, inst.ID, cmds)
		clk.add(time.Second)
		out := invocation(t, c, id, inst.ID)
		if string(out.Status) != "Success" || !strings.Contains(aws.ToString(out.StandardOutputContent), want+"\n") {
			t.Fatalf("run %d: %s %q, want %s", i+1, out.Status, aws.ToString(out.StandardOutputContent), want)
		}
	}
	f := inst.OS.Files["/home/ec2-user/.ssh/authorized_keys"]
	d := inst.OS.Files["/home/ec2-user/.ssh"]
	if f == nil || d == nil || f.Mode != "600" || d.Mode != "700" || len(f.Keys) != 1 || f.Owner != "ec2-user" {
		t.Fatalf("after two runs: dir %+v file %+v", d, f)
	}
}
