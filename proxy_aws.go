package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

func loadClients(ctx context.Context, profile, region string) (*awsapi.Clients, error) {
	cl, err := awsapi.Load(ctx, awsapi.Options{Profile: profile, Region: region})
	var noProfile config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &noProfile):
		// In plain words, with the profiles there are, not the SDK's chain.
		files, profiles := sharedConfigProfiles()
		hint := "run: aws configure --profile " + noProfile.Profile
		if len(profiles) > 0 {
			hint += ", or pick one of: " + strings.Join(profiles, ", ")
		}
		return nil, internalErr(report.Visible(hint), fmt.Errorf("AWS profile %s is not in %s", report.Visible(noProfile.Profile), strings.Join(files, " or ")))
	case err != nil:
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
		// The candidates carry Name tags: whatever AWS holds, escaped.
		return &exitError{code: exitUsage, err: fmt.Errorf("%q matches %d instances: %s", target, len(ambiguous.Candidates), report.Visible(strings.Join(ambiguous.Candidates, "; "))),
			hint: "give one instance id instead"}
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
	if instanceIDRe.MatchString(target) {
		return &exitError{code: exitProblems, err: visibleErr{err},
			hint: "check the instance id " + target + ", --region and the account your profile reaches; run: ssmdoctor check " + target}
	}
	return &exitError{code: exitProblems, err: visibleErr{err}, hint: "give the instance id instead, or run: ssmdoctor check " + target}
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
