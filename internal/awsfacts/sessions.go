package awsfacts

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// SessionsAPI is what listing and ending Session Manager sessions needs.
type SessionsAPI interface {
	DescribeSessions(context.Context, *ssm.DescribeSessionsInput, ...func(*ssm.Options)) (*ssm.DescribeSessionsOutput, error)
	TerminateSession(context.Context, *ssm.TerminateSessionInput, ...func(*ssm.Options)) (*ssm.TerminateSessionOutput, error)
}

// describeSessionsPage is the API's largest page.
const describeSessionsPage = 200

// SessionQuery selects sessions: one state (Active or History) and the
// filters DescribeSessions applies itself.
type SessionQuery struct {
	State     ssmtypes.SessionState
	Target    string    // an instance id; "" for every target
	Owner     string    // an IAM ARN; "" for every owner
	SessionID string    // one session; "" for all
	Since     time.Time // started at or after; zero for no bound
}

// Session is one Session Manager session as DescribeSessions lists it, with
// the kind of session its document makes.
type Session struct {
	ID       string
	State    ssmtypes.SessionState // Active or History
	Owner    string
	Target   string
	Document string
	Kind     SessionKind
	Start    time.Time
	End      time.Time // zero while active
	Status   string    // Connected, Connecting, Disconnected, Terminating, Terminated, Failed
	Reason   string
}

// SessionKind is what a session carries, from its document.
type SessionKind string

const (
	KindSSH                SessionKind = "ssh"
	KindPortForwarding     SessionKind = "port-forwarding"
	KindShell              SessionKind = "shell"
	KindInteractiveCommand SessionKind = "interactive-command"
	KindCommand            SessionKind = "command"
	KindOther              SessionKind = "other"
)

// KindOf names the kind of session a document starts. The AWS session
// documents are known by name; a custom document (its kind is in its
// sessionType, which would cost a GetDocument per document) is "other".
func KindOf(document string) SessionKind {
	switch document {
	case "AWS-StartSSHSession":
		return KindSSH
	case "AWS-StartPortForwardingSession", "AWS-StartPortForwardingSessionToRemoteHost", "AWS-StartPortForwardingSessionToSocket":
		return KindPortForwarding
	case "", "SSM-SessionManagerRunShell", "AWS-StartInteractiveShell":
		return KindShell
	case "AWS-StartInteractiveCommand":
		return KindInteractiveCommand
	case "AWS-StartNonInteractiveCommand":
		return KindCommand
	}
	return KindOther
}

// ListSessions pages through DescribeSessions for q, newest first.
func ListSessions(ctx context.Context, api SessionsAPI, q SessionQuery) ([]Session, error) {
	in := &ssm.DescribeSessionsInput{State: q.State, MaxResults: aws.Int32(describeSessionsPage)}
	add := func(k ssmtypes.SessionFilterKey, v string) {
		in.Filters = append(in.Filters, ssmtypes.SessionFilter{Key: k, Value: aws.String(v)})
	}
	if q.Target != "" {
		add(ssmtypes.SessionFilterKeyTargetId, q.Target)
	}
	if q.Owner != "" {
		add(ssmtypes.SessionFilterKeyOwner, q.Owner)
	}
	if q.SessionID != "" {
		add(ssmtypes.SessionFilterKeySessionId, q.SessionID)
	}
	if !q.Since.IsZero() {
		add(ssmtypes.SessionFilterKeyInvokedAfter, q.Since.UTC().Format(time.RFC3339))
	}
	var out []Session
	p := ssm.NewDescribeSessionsPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, callErr("ssm:DescribeSessions", err)
		}
		for _, s := range page.Sessions {
			out = append(out, Session{
				ID: aws.ToString(s.SessionId), State: q.State, Owner: aws.ToString(s.Owner), Target: aws.ToString(s.Target),
				Document: aws.ToString(s.DocumentName), Kind: KindOf(aws.ToString(s.DocumentName)),
				Start: aws.ToTime(s.StartDate), End: aws.ToTime(s.EndDate), Status: string(s.Status), Reason: aws.ToString(s.Reason),
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	return out, nil
}

// TerminateSession ends a session (ssm:TerminateSession).
func TerminateSession(ctx context.Context, api SessionsAPI, id string) error {
	_, err := api.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: aws.String(id)})
	return callErr("ssm:TerminateSession", err)
}

// InstanceNames returns the Name tag of each EC2 instance among ids that
// has one, described FilterValuesMax at a time (hybrid mi- nodes are not
// EC2 instances and are left out); the instances are remembered like any
// other description.
func (e *AWSEnv) InstanceNames(ctx context.Context, ids []string) (map[string]string, error) {
	names := map[string]string{}
	var ec2IDs []string
	seen := map[string]bool{}
	for _, id := range ids {
		if strings.HasPrefix(id, "i-") && !seen[id] {
			seen[id] = true
			ec2IDs = append(ec2IDs, id)
		}
	}
	sort.Strings(ec2IDs)
	for _, chunk := range chunks(ec2IDs, FilterValuesMax) {
		insts, err := e.describeInstances(ctx, e.ec2, []ec2types.Filter{{Name: aws.String("instance-id"), Values: chunk}})
		if err != nil {
			return names, err
		}
		for _, inst := range insts {
			if n := TagValue(inst.Tags, "Name"); n != "" {
				names[aws.ToString(inst.InstanceId)] = n
			}
		}
	}
	return names, nil
}
