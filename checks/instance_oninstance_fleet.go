package checks

import (
	"context"
	"slices"
	"sync"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// onInstanceCheckIDs are the checks that read the on-instance script's run
// (exposure-key-pair compares the authorized keys with the launch key).
var onInstanceCheckIDs = []string{"instance-sshd", "instance-os-user", "instance-authorized-keys",
	"instance-eic", "instance-agent-log", "instance-clock", "instance-disk", "exposure-key-pair"}

// PrefetchOnInstance starts the on-instance script on every target of a
// fleet that the on-instance checks would send it to (--on-instance; a
// registered, Online, non-Windows node in env's region that the caller may
// send the command to), batched by awsfacts.OnInstanceBatch: one
// SendCommand per 50 instances with the same script arguments, polled with
// ListCommandInvocations. The checks then read their instance's run from
// the batch; a target left out runs the script on its own as before.
// Nothing is sent when the on-instance checks are all skipped. The channel
// is closed once every run of the batch has an answer.
func PrefetchOnInstance(ctx context.Context, env *Env, targets []*Target, skip []string) <-chan struct{} {
	none := make(chan struct{})
	close(none)
	if env == nil || env.AWS == nil || !env.Options.OnInstance || len(targets) < 2 {
		return none
	}
	if !slices.ContainsFunc(onInstanceCheckIDs, func(id string) bool { return !slices.Contains(skip, id) }) {
		return none
	}
	reqs := make([]*awsfacts.OnInstanceRequest, len(targets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, prefetchOnInstanceConcurrency)
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			reqs[i] = onInstanceFleetRequest(ctx, env, t)
		}()
	}
	wg.Wait()
	var list []awsfacts.OnInstanceRequest
	for _, r := range reqs {
		if r != nil {
			list = append(list, *r)
		}
	}
	if len(list) == 0 {
		return none
	}
	wait := env.Options.OnInstanceWait
	if wait <= 0 {
		wait = defaultOnInstanceWait
	}
	return env.AWS.OnInstanceBatch(ctx, list, wait)
}

// prefetchOnInstanceConcurrency: the targets whose requests are worked
// out at once (the permission evaluations are remembered, as the checks'
// own are).
const prefetchOnInstanceConcurrency = 8

// onInstanceFleetRequest is what the on-instance checks would send to t,
// or nil when they would send nothing.
func onInstanceFleetRequest(ctx context.Context, env *Env, t *Target) *awsfacts.OnInstanceRequest {
	if t == nil || t.Region != "" && t.Region != env.AWS.Region {
		return nil
	}
	info, err := env.AWS.InstanceInformation(ctx, t.InstanceID)
	if err != nil || info == nil || info.PingStatus != ssmtypes.PingStatusOnline {
		return nil
	}
	te := *env
	te.Target = t
	commands, _, _, ok := onInstanceRequest(ctx, &te)
	if !ok {
		return nil
	}
	return &awsfacts.OnInstanceRequest{InstanceID: t.InstanceID, Commands: commands}
}
