package awsfacts

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ListCommandsAPI is Run Command with ListCommandInvocations: what a fleet
// of on-instance runs is polled with (OnInstanceBatch).
type ListCommandsAPI interface {
	CommandAPI
	ListCommandInvocations(context.Context, *ssm.ListCommandInvocationsInput, ...func(*ssm.Options)) (*ssm.ListCommandInvocationsOutput, error)
}

const (
	// SendCommandInstancesMax is SendCommand's limit on InstanceIds.
	SendCommandInstancesMax = 50
	// PluginOutputMax is how much of a plugin's output
	// ListCommandInvocations returns (CommandPlugin Output: 2,500
	// characters, as the agent counts them, in bytes); past it the output
	// is cut and ends "---Output truncated---", and GetCommandInvocation
	// (24,000 characters of standard output) is asked instead.
	PluginOutputMax = 2500
	// pluginErrorMark separates standard output from standard error in a
	// plugin's Output; an invocation that wrote to standard error is read
	// with GetCommandInvocation, which keeps the two apart.
	pluginErrorMark = "----------ERROR-------"
)

// OnInstanceRequest is one instance's on-instance run: the commands sent
// to it (the script and its arguments).
type OnInstanceRequest struct {
	InstanceID string
	Commands   []string
}

// OnInstanceBatch answers OnInstance for every request at once, for a
// fleet: the requests with equal commands (the same script arguments)
// share one SendCommand per SendCommandInstancesMax instances, and each
// command is polled with ListCommandInvocations (Details: each instance's
// status and output, 50 a page) instead of one GetCommandInvocation per
// instance per poll. An instance whose output may be cut there (PluginOutputMax
// characters), that wrote to standard error, or whose run did not succeed
// is read once with GetCommandInvocation, as a single run reads it. The
// answers are those of OnInstance, within the same wait.
//
// Calls for N instances in G groups of equal commands, with P polls until
// the last of them ended (or wait ran out) and T invocations read whole:
//
//	sum over groups of ceil(Ng/50)   ssm:SendCommand
//	+ P x sum of ceil(Ng/50)         ssm:ListCommandInvocations (one page of 50 each)
//	+ T                              ssm:GetCommandInvocation
//
// P is about log2(run time / 0.2 s) + run time / 2 s: the pauses double
// from 0.2 s to 2 s, as RunShellScript's do.
//
// The answers are claimed at once (OnInstance for them waits for the
// batch), and the batch runs in the background: the returned channel is
// closed when every answer is in. A request already answered or asked is
// left alone. Sends and polls run at most parallelChunks at a time; the
// client's retries handle throttling. A client without
// ListCommandInvocations (or a caller who may not call it) is polled with
// GetCommandInvocation per instance instead; a SendCommand that fails for
// an invalid instance leaves each of its instances to a run of its own.
func (e *AWSEnv) OnInstanceBatch(ctx context.Context, reqs []OnInstanceRequest, wait time.Duration) <-chan struct{} {
	done := make(chan struct{})
	api, ok := e.ssm.(CommandAPI)
	if !ok || len(reqs) == 0 {
		close(done)
		return done
	}
	list, _ := e.ssm.(ListCommandsAPI)
	// Groups of equal commands, in the requests' order.
	type group struct {
		commands []string
		ids      []string
	}
	var groups []*group
	byCommands := map[string]*group{}
	for _, r := range reqs {
		key := strings.Join(r.Commands, "\x00")
		g := byCommands[key]
		if g == nil {
			g = &group{commands: r.Commands}
			byCommands[key] = g
			groups = append(groups, g)
		}
		if len(e.commands.claim([]string{onInstanceKey(r.InstanceID, r.Commands)})) == 1 {
			g.ids = append(g.ids, r.InstanceID)
		}
	}
	var batches []*commandBatch
	// lim bounds the batch's calls in flight, all commands together.
	lim := make(chan struct{}, parallelChunks)
	for _, g := range groups {
		for _, c := range chunks(g.ids, SendCommandInstancesMax) {
			batches = append(batches, &commandBatch{e: e, api: api, list: list, commands: g.commands, ids: c, wait: wait, lim: lim})
		}
	}
	go func() {
		defer close(done)
		start := time.Now()
		bounded(len(batches), parallelChunks, func(i int) { batches[i].send(ctx) })
		poll := newCommandPoll(start.Add(wait))
		for {
			var open []*commandBatch
			for _, b := range batches {
				if len(b.pending) > 0 {
					open = append(open, b)
				}
			}
			if len(open) == 0 {
				return
			}
			if err := poll.wait(ctx); err != nil {
				for _, b := range open {
					b.resolveAll(nil, callErr("ssm:ListCommandInvocations", err))
				}
				return
			}
			bounded(len(open), parallelChunks, func(i int) { open[i].poll(ctx) })
			if poll.over() {
				for _, b := range open {
					b.expire(time.Since(start))
				}
				return
			}
		}
	}()
	return done
}

// commandBatch is one SendCommand of a batch and its invocations.
type commandBatch struct {
	e        *AWSEnv
	api      CommandAPI
	list     ListCommandsAPI // nil: poll each instance
	commands []string
	ids      []string
	wait     time.Duration
	lim      chan struct{}

	id      string
	mu      sync.Mutex
	pending map[string]*CommandRun // instance -> last seen state
}

func (b *commandBatch) key(instance string) string { return onInstanceKey(instance, b.commands) }

// limit runs f, a call (or a run of its own), within the batch's bound.
func (b *commandBatch) limit(f func()) {
	b.lim <- struct{}{}
	defer func() { <-b.lim }()
	f()
}

// send sends the command; a failure answers every instance with it, or,
// when an instance was refused, leaves each to its own run.
func (b *commandBatch) send(ctx context.Context) {
	var out *ssm.SendCommandOutput
	var err error
	b.limit(func() { out, err = b.api.SendCommand(ctx, sendCommandInput(b.ids, b.commands, b.wait)) })
	if err != nil {
		if ErrorCode(err) == "InvalidInstanceId" && len(b.ids) > 1 {
			bounded(len(b.ids), parallelChunks, func(i int) {
				var run *CommandRun
				var err error
				b.limit(func() { run, err = RunShellScript(ctx, b.api, b.ids[i], b.commands, b.wait) })
				b.e.commands.resolve(b.key(b.ids[i]), run, err)
			})
			return
		}
		for _, id := range b.ids {
			b.e.commands.resolve(b.key(id), nil, callErr("ssm:SendCommand", err))
		}
		return
	}
	b.id = aws.ToString(out.Command.CommandId)
	b.pending = map[string]*CommandRun{}
	for _, id := range b.ids {
		b.pending[id] = &CommandRun{CommandID: b.id, InstanceID: id, Status: "Pending"}
	}
}

// poll reads the invocations still pending and answers those that ended.
func (b *commandBatch) poll(ctx context.Context) {
	if b.list == nil {
		b.pollEach(ctx)
		return
	}
	var token *string
	for {
		var out *ssm.ListCommandInvocationsOutput
		var err error
		b.limit(func() {
			out, err = b.list.ListCommandInvocations(ctx, &ssm.ListCommandInvocationsInput{
				CommandId: aws.String(b.id), Details: true, MaxResults: aws.Int32(SendCommandInstancesMax), NextToken: token,
			})
		})
		if err != nil {
			if IsCancellation(err) {
				b.resolveAll(nil, callErr("ssm:ListCommandInvocations", err))
				return
			}
			// Not allowed, or not answered: poll each instance from now on.
			b.list = nil
			b.pollEach(ctx)
			return
		}
		for _, inv := range out.CommandInvocations {
			b.seen(ctx, inv)
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			return
		}
	}
}

// seen takes one listed invocation: an ended one is answered, from its
// listed output when that is whole, else from GetCommandInvocation.
func (b *commandBatch) seen(ctx context.Context, inv ssmtypes.CommandInvocation) {
	id := aws.ToString(inv.InstanceId)
	b.mu.Lock()
	run, ok := b.pending[id]
	b.mu.Unlock()
	if !ok {
		return
	}
	run.Status, run.StatusDetails = string(inv.Status), aws.ToString(inv.StatusDetails)
	if !run.terminal() {
		return
	}
	if len(inv.CommandPlugins) == 1 && run.Status == "Success" {
		p := inv.CommandPlugins[0]
		out := aws.ToString(p.Output)
		if outputWhole(out) {
			run.ResponseCode = p.ResponseCode
			run.Stdout = out
			run.Start, run.End = pluginTime(p.ResponseStartDateTime), pluginTime(p.ResponseFinishDateTime)
			b.answer(id, run, nil)
			return
		}
	}
	b.readWhole(ctx, id)
}

// readWhole answers instance with GetCommandInvocation.
func (b *commandBatch) readWhole(ctx context.Context, instance string) {
	var inv *ssm.GetCommandInvocationOutput
	var err error
	b.limit(func() {
		inv, err = b.api.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: aws.String(b.id), InstanceId: aws.String(instance)})
	})
	switch {
	case ErrorCode(err) == "InvocationDoesNotExist":
		return // not listed yet: the next poll asks again
	case err != nil:
		b.answer(instance, nil, callErr("ssm:GetCommandInvocation", err))
		return
	}
	run := invocationRun(b.id, instance, inv)
	if run.terminal() {
		b.answer(instance, run, nil)
		return
	}
	b.mu.Lock()
	b.pending[instance] = run
	b.mu.Unlock()
}

// pollEach polls every pending instance with GetCommandInvocation.
func (b *commandBatch) pollEach(ctx context.Context) {
	ids := b.pendingIDs()
	bounded(len(ids), parallelChunks, func(i int) { b.readWhole(ctx, ids[i]) })
}

func (b *commandBatch) answer(instance string, run *CommandRun, err error) {
	b.mu.Lock()
	delete(b.pending, instance)
	b.mu.Unlock()
	b.e.commands.resolve(b.key(instance), run, err)
}

// pendingIDs are the instances not answered yet.
func (b *commandBatch) pendingIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]string, 0, len(b.pending))
	for id := range b.pending {
		ids = append(ids, id)
	}
	return ids
}

func (b *commandBatch) resolveAll(run *CommandRun, err error) {
	for _, id := range b.pendingIDs() {
		b.answer(id, run, err)
	}
}

// expire answers the instances still running at the deadline as a single
// run would: still pending.
func (b *commandBatch) expire(waited time.Duration) {
	b.mu.Lock()
	left := b.pending
	b.pending = nil
	b.mu.Unlock()
	for id, run := range left {
		b.e.commands.resolve(b.key(id), nil, &CommandPendingError{CommandID: b.id, Status: run.Status, Waited: waited})
	}
}

// pluginTime is a plugin's time as GetCommandInvocation gives it: UTC, to
// the millisecond (the list gives epoch seconds as a fraction).
func pluginTime(t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.Round(time.Millisecond).UTC()
}

// outputWhole: a listed output that cannot have been cut (shorter than
// the limit in bytes, which are never fewer than characters, by more than
// one character, and without the agent's "truncated" line) and that
// carries no standard error.
func outputWhole(out string) bool {
	return len(out) < PluginOutputMax-utf8MaxBytes && !strings.Contains(out, pluginErrorMark) && !strings.Contains(out, "Output truncated")
}

const utf8MaxBytes = 4
