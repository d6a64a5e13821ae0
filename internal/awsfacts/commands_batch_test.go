package awsfacts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// fakeRunCommand is Run Command in memory: every invocation ends with
// stdout "out <instance>" at once; listErr and sendErr refuse those calls.
type fakeRunCommand struct {
	SSMAPI
	mu               sync.Mutex
	sendErr, listErr error
	sends, lists     int
	gets             int
	inFlight, peak   int
	sent             map[string][]string // command id -> instances
}

func (f *fakeRunCommand) enter() func() {
	f.mu.Lock()
	f.inFlight++
	f.peak = max(f.peak, f.inFlight)
	f.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	return func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }
}

func (f *fakeRunCommand) SendCommand(_ context.Context, in *ssm.SendCommandInput, _ ...func(*ssm.Options)) (*ssm.SendCommandOutput, error) {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends++
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	if len(in.InstanceIds) > SendCommandInstancesMax {
		return nil, &smithy.GenericAPIError{Code: "ValidationException"}
	}
	id := fmt.Sprintf("cmd-%d", f.sends)
	if f.sent == nil {
		f.sent = map[string][]string{}
	}
	f.sent[id] = in.InstanceIds
	return &ssm.SendCommandOutput{Command: &ssmtypes.Command{CommandId: aws.String(id)}}, nil
}

func (f *fakeRunCommand) GetCommandInvocation(_ context.Context, in *ssm.GetCommandInvocationInput, _ ...func(*ssm.Options)) (*ssm.GetCommandInvocationOutput, error) {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	return &ssm.GetCommandInvocationOutput{Status: ssmtypes.CommandInvocationStatusSuccess, StatusDetails: aws.String("Success"),
		StandardOutputContent: aws.String("out " + aws.ToString(in.InstanceId))}, nil
}

func (f *fakeRunCommand) ListCommandInvocations(_ context.Context, in *ssm.ListCommandInvocationsInput, _ ...func(*ssm.Options)) (*ssm.ListCommandInvocationsOutput, error) {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out ssm.ListCommandInvocationsOutput
	for _, id := range f.sent[aws.ToString(in.CommandId)] {
		out.CommandInvocations = append(out.CommandInvocations, ssmtypes.CommandInvocation{
			InstanceId: aws.String(id), Status: ssmtypes.CommandInvocationStatusSuccess, StatusDetails: aws.String("Success"),
			CommandPlugins: []ssmtypes.CommandPlugin{{Output: aws.String("out " + id)}},
		})
	}
	return &out, nil
}

func batchRequests(n int) []OnInstanceRequest {
	var reqs []OnInstanceRequest
	for i := range n {
		reqs = append(reqs, OnInstanceRequest{InstanceID: fmt.Sprintf("i-%017x", i), Commands: []string{"set -- ec2-user 22", "script"}})
	}
	return reqs
}

func TestOnInstanceBatchWithoutList(t *testing.T) {
	f := &fakeRunCommand{listErr: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no ssm:ListCommandInvocations"}}
	e := New("us-east-1", APIs{SSM: f})
	reqs := batchRequests(120)
	<-e.OnInstanceBatch(context.Background(), reqs, 5*time.Second)
	if f.sends != 3 || f.lists != 3 || f.gets != 120 {
		t.Fatalf("%d sends, %d lists, %d gets; want 3, 3 refused, then 120 GetCommandInvocation", f.sends, f.lists, f.gets)
	}
	if f.peak > parallelChunks {
		t.Errorf("%d calls in flight at once, want at most %d", f.peak, parallelChunks)
	}
	for _, r := range reqs {
		run, err := e.OnInstance(context.Background(), r.InstanceID, r.Commands, time.Second)
		if err != nil || run.Stdout != "out "+r.InstanceID {
			t.Fatalf("%s: %v %+v", r.InstanceID, err, run)
		}
	}
	if f.sends != 3 {
		t.Errorf("OnInstance after the batch sent again: %d sends", f.sends)
	}
}

func TestOnInstanceBatchSendDenied(t *testing.T) {
	f := &fakeRunCommand{sendErr: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}}
	e := New("us-east-1", APIs{SSM: f})
	reqs := batchRequests(60)
	<-e.OnInstanceBatch(context.Background(), reqs, 5*time.Second)
	if f.sends != 2 {
		t.Fatalf("%d sends, want 2", f.sends)
	}
	_, err := e.OnInstance(context.Background(), reqs[59].InstanceID, reqs[59].Commands, time.Second)
	var ce *CallError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "ssm:SendCommand") || ErrorCode(err) != "AccessDeniedException" {
		t.Fatalf("denied send: %v", err)
	}
	if f.sends != 2 {
		t.Errorf("OnInstance after a denied batch sent again: %d sends", f.sends)
	}
}

// TestOnInstanceBatchLeavesAnswered: a request already answered (or being
// answered) is not sent again.
func TestOnInstanceBatchLeavesAnswered(t *testing.T) {
	f := &fakeRunCommand{}
	e := New("us-east-1", APIs{SSM: f})
	reqs := batchRequests(3)
	if _, err := e.OnInstance(context.Background(), reqs[0].InstanceID, reqs[0].Commands, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	<-e.OnInstanceBatch(context.Background(), reqs, 5*time.Second)
	if f.sends != 2 || len(f.sent["cmd-2"]) != 2 {
		t.Fatalf("%d sends, the batch to %v; want the two unanswered", f.sends, f.sent["cmd-2"])
	}
}
