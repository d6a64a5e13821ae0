package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

func loadClients(ctx context.Context, o awsapi.Options) (*awsapi.Clients, error) {
	cl, err := awsapi.Load(ctx, o)
	if err != nil {
		return nil, internalErr("check your AWS configuration: run: ssmdoctor check", err)
	}
	return cl, nil
}

var (
	instanceIDRe = regexp.MustCompile(`^(i-[0-9a-f]{8}|i-[0-9a-f]{17}|mi-[0-9a-f]{17})$`)
	// A target reaches ssh's ProxyCommand (run by /bin/sh) through %h,
	// so only characters that no shell treats specially are accepted.
	safeTargetRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$`)
)

func validateTarget(t string) error {
	if !safeTargetRe.MatchString(t) {
		return usageErr("give an instance id (i-..., mi-...), a Name tag, an IP address or a DNS name", "invalid target %q: only letters, digits and . _ : - are allowed", t)
	}
	return nil
}

// resolveTarget turns TARGET into an instance id the way check does: an
// id, a Name tag, a private or public IPv4 or IPv6 address, or a private
// or public DNS name.
func resolveTarget(ctx context.Context, env *checks.AWSEnv, target string) (string, error) {
	if err := validateTarget(target); err != nil {
		return "", err
	}
	t, err := checks.ResolveTarget(ctx, env, target)
	if err != nil {
		return "", targetError(target, err)
	}
	// The id becomes ssh's host name, which ssh substitutes into
	// ProxyCommand (%h) and runs with sh -c: never trust it further than
	// the id format, whoever checked it before.
	if !instanceIDRe.MatchString(t.InstanceID) {
		return "", targetError(target, &checks.MalformedAnswerError{Input: target, Call: "ec2:DescribeInstances", Value: t.InstanceID})
	}
	return t.InstanceID, nil
}

// targetError says why TARGET names no single instance, in the words of
// a command that connects: unknown (1, with the region that has it),
// ambiguous (2, with the candidates), or a failed lookup (1).
func targetError(target string, err error) error {
	var malformed *checks.MalformedTargetError
	var notFound *checks.TargetNotFoundError
	var ambiguous *checks.AmbiguousTargetError
	var badAnswer *checks.MalformedAnswerError
	switch {
	case errors.As(err, &malformed):
		return validateTarget(target)
	case errors.As(err, &notFound):
		hint := "check the id, name or address, the account and --region; ssmdoctor check --all lists the region's instances"
		if len(notFound.FoundIn) > 0 {
			hint = fmt.Sprintf("found in %s: run again with --region %s", strings.Join(notFound.FoundIn, ", "), notFound.FoundIn[0])
		}
		return &exitError{code: exitProblems, err: fmt.Errorf("no instance matches %q in %s", target, notFound.Region), hint: hint}
	case errors.As(err, &ambiguous):
		return &exitError{code: exitUsage, err: fmt.Errorf("%q matches %d instances: %s", target, len(ambiguous.Candidates), strings.Join(ambiguous.Candidates, "; ")),
			hint: "give one instance id instead"}
	case noAnswer("", err) != nil:
		return noAnswer("", err)
	case errors.As(err, &badAnswer):
		return &exitError{code: exitProblems, err: badAnswer,
			hint: "this endpoint's answer is not a real instance id: check AWS_ENDPOINT_URL / the profile's endpoint"}
	}
	return &exitError{code: exitProblems, err: err, hint: "give the instance id instead, or run: ssmdoctor check " + target}
}

// openError explains a session that would not open. An id is not looked
// up beforehand (ssh hands the proxy ids it has resolved), so when AWS
// says only "not connected", the lookup check makes tells whether the
// instance exists at all, or exists in another region.
func openError(ctx context.Context, env *checks.AWSEnv, target, id string, err error) error {
	var ae smithy.APIError
	if id == target && errors.As(err, &ae) && (ae.ErrorCode() == "TargetNotConnected" || ae.ErrorCode() == "InvalidInstanceId") {
		var notFound *checks.TargetNotFoundError
		if _, rerr := checks.ResolveTarget(ctx, env, id); errors.As(rerr, &notFound) {
			return targetError(target, rerr)
		}
	}
	return sessionError(id, err)
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
			return &exitError{code: exitProblems, err: fmt.Errorf("not allowed to start a session on %s (%s): %s", target, ae.ErrorCode(), ae.ErrorMessage()), hint: hint}
		}
		return &exitError{code: exitProblems, err: fmt.Errorf("session on %s failed (%s): %s", target, ae.ErrorCode(), ae.ErrorMessage()), hint: hint}
	case errors.As(err, &ce):
		return &exitError{code: exitProblems, err: fmt.Errorf("session %s on %s was closed: %s", ce.SessionID, target, ce.Output), hint: hint}
	case errors.Is(err, context.Canceled):
		return &exitError{code: exitProblems, err: fmt.Errorf("session on %s interrupted", target)}
	}
	return &exitError{code: exitProblems, err: err, hint: hint}
}
