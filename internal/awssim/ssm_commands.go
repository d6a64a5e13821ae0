package awssim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Run Command: SendCommand, GetCommandInvocation and
// ListCommandInvocations for AWS-RunShellScript, with the agent's states
// and timing. A command to an Online node is delivered at once: Pending
// for commandPending, InProgress while the script runs (its OSState's
// CommandSeconds), then Success or Failed, or TimedOut past its
// executionTimeout. A command to a registered node that is not Online is
// Delayed until the node comes Online or TimeoutSeconds passes
// (DeliveryTimedOut). What the script prints comes from oscmd_*.go.

const (
	shellDocument   = "AWS-RunShellScript"
	commandPending  = 100 * time.Millisecond
	commandRunTime  = 300 * time.Millisecond
	maxStdout       = 24000 // StandardOutputContent keeps this many characters
	maxStderr       = 8000
	maxPluginOutput = 2500 // ListCommandInvocations' CommandPlugins Output, in bytes
	// maxCommandInstances is SendCommand's limit on InstanceIds.
	maxCommandInstances = 50
	// pluginErrorMark comes between standard output and standard error in
	// a plugin's Output.
	pluginErrorMark = "----------ERROR-------"
	pluginOutputCut = "\n---Output truncated---"
	pluginErrorCut  = "\n---Error truncated----"
)

// pluginOutput is a plugin's Output in ListCommandInvocations, as the
// agent reports it: standard output, then (when there is any) a marker
// line and standard error, within maxPluginOutput bytes. Past that the
// longer part, or both, are cut, each cut part ending with its own
// "truncated" line.
func pluginOutput(stdout, stderr string) string {
	title := ""
	if stderr != "" {
		title = "\n" + pluginErrorMark + "\n"
	}
	room := maxPluginOutput - len(title)
	switch {
	case len(stdout)+len(stderr) < room:
		return stdout + title + stderr
	case len(stdout) > room/2 && len(stderr) > room/2:
		half := (room - len(pluginOutputCut) - len(pluginErrorCut)) / 2
		return stdout[:half] + pluginOutputCut + title + stderr[:half] + pluginErrorCut
	case len(stdout) < room/2:
		return stdout + title + stderr[:room-len(pluginErrorCut)-len(stdout)] + pluginErrorCut
	}
	return stdout[:room-len(pluginOutputCut)-len(stderr)] + pluginOutputCut + title + stderr
}

// cmdRuntime holds the commands sent, by command id then instance.
type cmdRuntime struct {
	commands map[string]*simCommand
	order    []string // command ids, oldest first
}

type simCommand struct {
	ID, Region, Comment string
	Parameters          map[string][]string
	Requested           time.Time
	DeliveryTimeout     time.Duration
	ExecTimeout         time.Duration
	invocations         map[string]*simInvocation
	instances           []string
}

type simInvocation struct {
	InstanceID string
	Delivered  time.Time // zero while not delivered
	Duration   time.Duration
	Outcome    commandOutcome
	Windows    bool
}

func (s *Sim) ssmSendCommand(c *Call) (any, error) {
	var in struct {
		DocumentName   string
		InstanceIds    []string
		Targets        []map[string]any
		Parameters     map[string][]string
		Comment        string
		TimeoutSeconds *int
	}
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if in.DocumentName == "" {
		return nil, Errf("ValidationException", "1 validation error detected: Value null at 'documentName' failed to satisfy constraint: Member must not be null")
	}
	if len(in.Targets) > 0 {
		return nil, Errf("ValidationException", "the simulator sends commands to InstanceIds only, not Targets")
	}
	if len(in.InstanceIds) == 0 {
		return nil, Errf("ValidationException", "1 validation error detected: Value '[]' at 'instanceIds' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(in.InstanceIds) > maxCommandInstances {
		return nil, Errf("ValidationException", "1 validation error detected: Value '[%s]' at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to %d", strings.Join(in.InstanceIds, ", "), maxCommandInstances)
	}
	if in.TimeoutSeconds != nil && (*in.TimeoutSeconds < 30 || *in.TimeoutSeconds > 2592000) {
		return nil, Errf("ValidationException", "1 validation error detected: Value '%d' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 30 and 2592000", *in.TimeoutSeconds)
	}
	docARN := "arn:aws:ssm:" + c.Region + "::document/" + in.DocumentName
	for _, id := range in.InstanceIds {
		s.mu.Lock()
		var tags []Tag
		if inst, ok := s.state.Instances[id]; ok {
			tags = append(tags, inst.Tags...)
		}
		arn := s.state.nodeARN(c.Region, id)
		s.mu.Unlock()
		if err := s.authorize(c, "ssm:SendCommand", arn, tagContext(nil, tags, "ssm:resourceTag/")); err != nil {
			return nil, err
		}
	}
	if err := s.authorize(c, "ssm:SendCommand", docARN, nil); err != nil {
		return nil, err
	}
	if in.DocumentName != shellDocument {
		return nil, Errf("InvalidDocument", "Document with name %s does not exist.", in.DocumentName)
	}
	if len(in.Parameters["commands"]) == 0 {
		return nil, Errf("InvalidParameters", "Parameter \"commands\" is required.")
	}
	exec := 3600 * time.Second
	if v := in.Parameters["executionTimeout"]; len(v) > 0 {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > 172800 {
			return nil, Errf("InvalidParameters", "Parameter \"executionTimeout\" \"%s\" fails to match the allowed pattern.", v[0])
		}
		exec = time.Duration(n) * time.Second
	}
	delivery := 3600 * time.Second
	if in.TimeoutSeconds != nil {
		delivery = time.Duration(*in.TimeoutSeconds) * time.Second
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var bad []string
	for _, id := range in.InstanceIds {
		inst, ok := s.state.Instances[id]
		if !ok || inst.Region != c.Region {
			bad = append(bad, id)
			continue
		}
		if reg, _, _ := s.state.registration(inst, now); !reg {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return nil, Errf("InvalidInstanceId", "Instances [[%s]] not in a valid state for account %s", strings.Join(bad, ", "), s.state.AccountID)
	}
	cmd := &simCommand{
		ID: newCommandID(), Region: c.Region, Comment: in.Comment, Parameters: in.Parameters,
		Requested: now, DeliveryTimeout: delivery, ExecTimeout: exec,
		invocations: map[string]*simInvocation{}, instances: in.InstanceIds,
	}
	for _, id := range in.InstanceIds {
		cmd.invocations[id] = &simInvocation{InstanceID: id, Windows: s.state.Instances[id].Platform == "windows"}
	}
	rt := &s.ext.cmd
	if rt.commands == nil {
		rt.commands = map[string]*simCommand{}
	}
	rt.commands[cmd.ID] = cmd
	rt.order = append(rt.order, cmd.ID)
	s.advanceCommandLocked(cmd, now)
	return map[string]any{"Command": s.commandOut(cmd, now)}, nil
}

func newCommandID() string {
	h := randomHex(32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// advanceCommandLocked delivers the command to every node that is Online
// now: the script runs (and a fix changes the OS) on delivery.
func (s *Sim) advanceCommandLocked(cmd *simCommand, now time.Time) {
	for _, id := range cmd.instances {
		inv := cmd.invocations[id]
		if !inv.Delivered.IsZero() || now.Sub(cmd.Requested) > cmd.DeliveryTimeout {
			continue
		}
		inst, ok := s.state.Instances[id]
		if !ok || !s.state.online(inst, now) {
			continue
		}
		inv.Delivered = now
		if inv.Windows {
			inv.Outcome = commandOutcome{code: 1, stderr: "aws:runShellScript does not run on Windows\n"}
			continue
		}
		inv.Outcome = runCommands(inst, cmd.Parameters["commands"], now.Add(commandPending), s.opts.RealShell)
		inv.Duration = commandRunTime
		if o := inst.OS; o != nil && o.CommandSeconds > 0 {
			inv.Duration = time.Duration(o.CommandSeconds * float64(time.Second))
		}
	}
}

// invocationState is what the invocation looks like at now.
type invocationState struct {
	Status, Details string
	Code            int
	Start, End      time.Time
	Stdout, Stderr  string
}

func (cmd *simCommand) stateOf(inv *simInvocation, now time.Time) invocationState {
	if inv.Delivered.IsZero() {
		if now.Sub(cmd.Requested) > cmd.DeliveryTimeout {
			return invocationState{Status: "TimedOut", Details: "DeliveryTimedOut", Code: -1}
		}
		return invocationState{Status: "Delayed", Details: "Delayed", Code: -1}
	}
	start := inv.Delivered.Add(commandPending)
	el := now.Sub(inv.Delivered)
	switch {
	case el < commandPending:
		return invocationState{Status: "Pending", Details: "Pending", Code: -1}
	case inv.Duration > cmd.ExecTimeout && el >= commandPending+cmd.ExecTimeout:
		return invocationState{Status: "TimedOut", Details: "ExecutionTimedOut", Code: -1, Start: start, End: start.Add(cmd.ExecTimeout)}
	case el < commandPending+inv.Duration:
		return invocationState{Status: "InProgress", Details: "InProgress", Code: -1, Start: start}
	}
	st := invocationState{Status: "Success", Details: "Success", Code: inv.Outcome.code, Start: start, End: start.Add(inv.Duration),
		Stdout: inv.Outcome.stdout, Stderr: inv.Outcome.stderr}
	if inv.Windows {
		st.Details = "InvalidPlatform"
		st.Status = "Failed"
	} else if inv.Outcome.code != 0 {
		st.Status, st.Details = "Failed", "Failed"
	}
	return st
}

func (s *Sim) commandOut(cmd *simCommand, now time.Time) map[string]any {
	status := "Pending"
	done := 0
	for _, id := range cmd.instances {
		st := cmd.stateOf(cmd.invocations[id], now)
		switch st.Status {
		case "Success", "Failed", "TimedOut":
			done++
		}
		if len(cmd.instances) == 1 {
			status = st.Status
		}
	}
	return map[string]any{
		"CommandId": cmd.ID, "DocumentName": shellDocument, "DocumentVersion": "$DEFAULT",
		"Comment": cmd.Comment, "Parameters": cmd.Parameters, "InstanceIds": cmd.instances, "Targets": []any{},
		"RequestedDateTime": epochSeconds(cmd.Requested), "ExpiresAfter": epochSeconds(cmd.Requested.Add(cmd.DeliveryTimeout)),
		"Status": status, "StatusDetails": status,
		"MaxConcurrency": "50", "MaxErrors": "0", "TargetCount": len(cmd.instances), "CompletedCount": done,
		"ErrorCount": 0, "DeliveryTimedOutCount": 0, "TimeoutSeconds": int(cmd.DeliveryTimeout.Seconds()),
		"CloudWatchOutputConfig": map[string]any{"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": false},
	}
}

func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func commandTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func invocationNotFound() *APIError {
	return Errf("InvocationDoesNotExist", "")
}

func (s *Sim) ssmGetCommandInvocation(c *Call) (any, error) {
	var in struct{ CommandId, InstanceId, PluginName string }
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if in.CommandId == "" || in.InstanceId == "" {
		return nil, Errf("ValidationException", "1 validation error detected: Value null at 'commandId' or 'instanceId' failed to satisfy constraint: Member must not be null")
	}
	if err := s.authorize(c, "ssm:GetCommandInvocation", "*", nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd, ok := s.ext.cmd.commands[in.CommandId]
	if !ok || cmd.Region != c.Region {
		return nil, invocationNotFound()
	}
	inv, ok := cmd.invocations[in.InstanceId]
	if !ok {
		return nil, invocationNotFound()
	}
	if in.PluginName != "" && in.PluginName != "aws:runShellScript" && in.PluginName != "runShellScript" {
		return nil, Errf("InvalidPluginName", "")
	}
	now := s.now()
	s.advanceCommandLocked(cmd, now)
	st := cmd.stateOf(inv, now)
	elapsed := ""
	if !st.End.IsZero() {
		elapsed = fmt.Sprintf("PT%gS", st.End.Sub(st.Start).Seconds())
	}
	return map[string]any{
		"CommandId": cmd.ID, "InstanceId": inv.InstanceID, "Comment": cmd.Comment,
		"DocumentName": shellDocument, "DocumentVersion": "$DEFAULT", "PluginName": "aws:runShellScript",
		"ResponseCode": st.Code, "Status": st.Status, "StatusDetails": st.Details,
		"ExecutionStartDateTime": commandTime(st.Start), "ExecutionEndDateTime": commandTime(st.End), "ExecutionElapsedTime": elapsed,
		"StandardOutputContent": clipRunes(st.Stdout, maxStdout), "StandardOutputUrl": "",
		"StandardErrorContent": clipRunes(st.Stderr, maxStderr), "StandardErrorUrl": "",
		"CloudWatchOutputConfig": map[string]any{"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": false},
	}, nil
}

func (s *Sim) ssmListCommandInvocations(c *Call) (any, error) {
	var in struct {
		CommandId, InstanceId, NextToken string
		MaxResults                       *int
		Details                          bool
	}
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if err := validMaxResults(in.MaxResults, 1, 50); err != nil {
		return nil, err
	}
	if err := s.authorize(c, "ssm:ListCommandInvocations", "*", nil); err != nil {
		return nil, err
	}
	limit := 50
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var all []map[string]any
	// Newest first, as AWS lists them.
	for i := len(s.ext.cmd.order) - 1; i >= 0; i-- {
		cmd := s.ext.cmd.commands[s.ext.cmd.order[i]]
		if cmd.Region != c.Region || in.CommandId != "" && cmd.ID != in.CommandId {
			continue
		}
		s.advanceCommandLocked(cmd, now)
		ids := append([]string(nil), cmd.instances...)
		sort.Strings(ids)
		for _, id := range ids {
			if in.InstanceId != "" && id != in.InstanceId {
				continue
			}
			st := cmd.stateOf(cmd.invocations[id], now)
			item := map[string]any{
				"CommandId": cmd.ID, "InstanceId": id, "InstanceName": "", "Comment": cmd.Comment,
				"DocumentName": shellDocument, "DocumentVersion": "$DEFAULT",
				"RequestedDateTime": epochSeconds(cmd.Requested), "Status": st.Status, "StatusDetails": st.Details,
				"StandardOutputUrl": "", "StandardErrorUrl": "", "TraceOutput": "",
				"CloudWatchOutputConfig": map[string]any{"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": false},
			}
			if in.Details {
				plugin := map[string]any{
					"Name": "aws:runShellScript", "Status": st.Status, "StatusDetails": st.Details,
					"ResponseCode": st.Code, "Output": pluginOutput(st.Stdout, st.Stderr),
					"StandardOutputUrl": "", "StandardErrorUrl": "",
				}
				if !st.Start.IsZero() {
					plugin["ResponseStartDateTime"] = epochSeconds(st.Start)
				}
				if !st.End.IsZero() {
					plugin["ResponseFinishDateTime"] = epochSeconds(st.End)
				}
				item["CommandPlugins"] = []any{plugin}
			}
			all = append(all, item)
		}
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 || n > len(all) {
			return nil, Errf("InvalidNextToken", "The specified token is not valid.")
		}
		start = n
	}
	end := min(start+limit, len(all))
	out := map[string]any{"CommandInvocations": all[start:end]}
	if end < len(all) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}
