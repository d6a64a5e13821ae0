package main

// What ssh, scp and proxy share to connect: the AWS clients with a missing
// profile in plain words, the target resolved (or refused) and the
// session's failures in the user's words, each with its exit code.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

func loadClients(ctx context.Context, d *deps, o awsapi.Options) (*awsapi.Clients, error) {
	cl, err := d.loadAWS(ctx, o)
	missing, noProfile := awsapi.MissingProfile(err)
	switch {
	case noProfile:
		// In plain words, with the profiles there are, not the SDK's chain.
		files, profiles := awsapi.SharedConfigProfiles()
		hint := "run: aws configure --profile " + missing
		if len(profiles) > 0 {
			hint += ", or pick one of: " + strings.Join(profiles, ", ")
		}
		return nil, internalErr(report.Visible(hint), fmt.Errorf("AWS profile %s is not in %s", report.Visible(missing), strings.Join(files, " or ")))
	case err != nil:
		return nil, internalErr("check your AWS configuration: run: ssmdoctor check", err)
	}
	return cl, nil
}

// validateTarget is awsfacts.ValidateTarget as a usage error. A target
// reaches ssh's ProxyCommand (run by /bin/sh) through %h, so only what no
// shell treats specially is accepted.
func validateTarget(t string) error {
	if err := awsfacts.ValidateTarget(t); err != nil {
		return usageErr(targetHint, "%v", err)
	}
	return nil
}

// resolveTarget turns TARGET into an instance the way check does: an id,
// a Name tag, a private or public IPv4 or IPv6 address, or a private or
// public DNS name; in another region of the account when env searches
// them (no --region).
func resolveTarget(ctx context.Context, env *awsfacts.AWSEnv, target string) (*awsfacts.Target, error) {
	if err := validateTarget(target); err != nil {
		return nil, err
	}
	t, err := awsfacts.ResolveTarget(ctx, env, target)
	if err != nil {
		return nil, targetError(target, err)
	}
	// The id becomes ssh's host name, which ssh substitutes into
	// ProxyCommand (%h) and runs with sh -c: never trust it further than
	// the id format, whoever checked it before.
	if !awsfacts.IsInstanceID(t.InstanceID) {
		return nil, targetError(target, &awsfacts.MalformedAnswerError{Input: target, Call: "ec2:DescribeInstances", Value: t.InstanceID})
	}
	return t, nil
}

// targetClients resolves TARGET (in another region of the account when
// there is no --region) and returns the clients and AWS view of the
// region it lives in: forward, shell and sessions share it.
func targetClients(ctx context.Context, d *deps, g globals, cl *awsapi.Clients, target string) (*awsapi.Clients, *awsfacts.AWSEnv, *awsfacts.Target, error) {
	env, _ := proxyEnv(cl, g, cl.Region, d.getenv)
	t, err := resolveTarget(ctx, env, target)
	if err != nil {
		return nil, nil, nil, err
	}
	if t.Region != cl.Region {
		cl = cl.ForRegion(t.Region)
		env = awsfacts.NewAWSEnv(cl)
	}
	return cl, env, t, nil
}

// streamEndpointFlag is --stream-endpoint (or SSMDOCTOR_STREAM_ENDPOINT),
// checked before any AWS call: a malformed one is a usage error, not a
// session started and then abandoned.
func streamEndpointFlag(c *cli.Context, cmd string) (string, error) {
	e := c.String("stream-endpoint")
	if e != "" && !validStreamEndpoint(e) {
		return "", usageErr("an https:// or wss:// URL, such as wss://ssmmessages.eu-west-1.amazonaws.com (--stream-endpoint, or SSMDOCTOR_STREAM_ENDPOINT when the flag is not given)",
			"%s: malformed --stream-endpoint %s", cmd, quoteShort(e))
	}
	return e, nil
}

// targetError says why TARGET names no single instance, in the words of
// a command that connects: unknown (1), ambiguous (2, with the
// candidates), or a failed lookup (1).
func targetError(target string, err error) error {
	var malformed *awsfacts.MalformedTargetError
	var notFound *awsfacts.TargetNotFoundError
	var ambiguous *awsfacts.AmbiguousTargetError
	var badAnswer *awsfacts.MalformedAnswerError
	switch {
	case errors.As(err, &malformed):
		return validateTarget(target)
	case errors.As(err, &notFound):
		hint := "check the id, name or address and the account; ssmdoctor check --all lists the region's instances"
		if len(notFound.Searched) == 0 {
			hint = "check the id, name or address, the account and --region (leave --region out to search every region)"
		}
		return &exitError{code: exitProblems, err: notFound, hint: hint}
	case errors.As(err, &ambiguous):
		// The candidates carry Name tags: whatever AWS holds, escaped.
		return &exitError{code: exitUsage, err: fmt.Errorf("%s matches %d instances: %s", awsfacts.QuoteInput(target), len(ambiguous.Candidates), report.Visible(strings.Join(ambiguous.Candidates, "; "))),
			hint: "give one instance id instead (and --region when it is in another region)"}
	case noAnswer("", err) != nil:
		return noAnswer("", err)
	case errors.As(err, &badAnswer):
		return &exitError{code: exitProblems, err: badAnswer,
			hint: "this endpoint's answer is not a real instance id: check AWS_ENDPOINT_URL / the profile's endpoint"}
	}
	// The lookup itself failed (credentials, permissions, the endpoint):
	// an id cannot be replaced by a better one, a name can.
	var invalidToken *ssocreds.InvalidTokenError
	if errors.As(err, &invalidToken) || strings.Contains(err.Error(), "get credentials: ") {
		return &exitError{code: exitProblems, err: visibleErr{err},
			hint: "your AWS credentials did not resolve (an SSO login may be missing or expired): run: ssmdoctor check " + target + " for why and the command that fixes it"}
	}
	if awsfacts.IsInstanceID(target) {
		return &exitError{code: exitProblems, err: visibleErr{err},
			hint: "check the instance id " + target + ", --region and the account your profile reaches; run: ssmdoctor check " + target}
	}
	return &exitError{code: exitProblems, err: visibleErr{err}, hint: "give the instance id instead, or run: ssmdoctor check " + target}
}

// openError explains a session that would not open. An id is not looked
// up beforehand (ssh hands the proxy ids it has resolved), so when AWS
// says only "not connected", the lookup check makes tells whether the
// instance exists at all, or exists in another region.
func openError(ctx context.Context, env *awsfacts.AWSEnv, target, id string, err error) error {
	if id == target && notHere(err) {
		var notFound *awsfacts.TargetNotFoundError
		if _, rerr := awsfacts.ResolveTarget(ctx, env, id); errors.As(rerr, &notFound) {
			return targetError(target, rerr)
		}
	}
	return sessionError(id, err)
}

// notHere reports a StartSession refusal that may mean "no such instance
// in this region": the answer for an instance of another region.
func notHere(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "TargetNotConnected" || ae.ErrorCode() == "InvalidInstanceId")
}

// sessionError turns a tunnel failure into what the user reads: what went
// wrong in AWS's own words and the command that finds out why.
func sessionError(target string, err error) error {
	hint := "run: ssmdoctor check " + target
	if na := noAnswer("session on "+target+": ", err); na != nil {
		return na
	}
	var ae smithy.APIError
	var ce *tunnel.ClosedError
	switch {
	case errors.As(err, &ae):
		switch ae.ErrorCode() {
		case "TargetNotConnected":
			return &exitError{code: exitProblems, err: fmt.Errorf("%s is not connected (TargetNotConnected)", target), hint: hint}
		case "AccessDeniedException", "AccessDenied":
			return &exitError{code: exitProblems, err: visibleErr{fmt.Errorf("not allowed to start a session on %s (%s): %s", target, ae.ErrorCode(), ae.ErrorMessage())}, hint: hint}
		}
		return &exitError{code: exitProblems, err: visibleErr{fmt.Errorf("session on %s failed (%s): %s", target, ae.ErrorCode(), ae.ErrorMessage())}, hint: hint}
	case errors.As(err, &ce):
		return &exitError{code: exitProblems, err: visibleErr{fmt.Errorf("session %s on %s was closed: %s", ce.SessionID, target, ce.Output)}, hint: hint}
	case errors.Is(err, context.Canceled):
		return &exitError{code: exitProblems, err: fmt.Errorf("session on %s interrupted", target)}
	}
	return &exitError{code: exitProblems, err: visibleErr{err}, hint: hint}
}

// visibleErr prints an error that carries text from AWS (messages, Name
// tags, an agent's output) with its control characters escaped, so that it
// cannot rewrite the terminal, and still unwraps to the original.
type visibleErr struct{ err error }

func (e visibleErr) Error() string { return report.Visible(e.err.Error()) }
func (e visibleErr) Unwrap() error { return e.err }
