package main

import (
	"errors"
	"fmt"

	"github.com/ssmdoctor/ssmdoctor/checks/checkrun"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// targetHint follows every malformed-target error, whichever command.
const targetHint = "a target is an instance id (i-0123456789abcdef0, mi-…), a Name tag, an IPv4 or IPv6 address or a DNS name"

// targetsError says why check's or fix's targets did not resolve. An
// instance that does not exist or a name that matches several is the
// user's problem (exit 1; ambiguity exit 2); failing to ask AWS at all is
// ours (exit 3). cmd ("check", "fix") starts the messages. Any other
// error passes through.
func targetsError(cmd string, err error) error {
	var te *checkrun.TargetsError
	if !errors.As(err, &te) {
		return err
	}
	err = te.Err
	var malformed *awsfacts.MalformedTargetError
	var notFound *awsfacts.TargetNotFoundError
	var ambiguous *awsfacts.AmbiguousTargetError
	switch {
	case errors.Is(err, checkrun.ErrNoMatch):
		return &exitError{code: exitProblems, err: errors.New(cmd + ": no instance matches the selection"),
			hint: "--all and --filter select pending, running, stopping and stopped instances in the region"}
	case errors.As(err, &malformed):
		return usageErr(targetHint, "%s: %v", cmd, err)
	case errors.As(err, &notFound):
		hint := "check the id or name and the account; without --region every enabled region of the account is searched"
		if len(notFound.Searched) == 0 {
			hint = "check the id or name, the account and --region (leave --region out to search every region)"
		}
		return &exitError{code: exitProblems, err: fmt.Errorf("%s: %w", cmd, err), hint: hint}
	case errors.As(err, &ambiguous):
		// The user's words name several instances: a usage error, as in
		// ssh, scp and proxy.
		return &exitError{code: exitUsage, err: visibleErr{fmt.Errorf("%s: %w", cmd, err)}, hint: "name the instance by its id (and --region)"}
	}
	if na := noAnswer(cmd+": ", err); na != nil {
		return na
	}
	return internalErr("run 'ssmdoctor check' without a target to diagnose credentials and region", visibleErr{fmt.Errorf("%s: %w", cmd, err)})
}
