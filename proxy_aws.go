package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

func loadClients(ctx context.Context, profile, region string) (*awsapi.Clients, error) {
	cl, err := awsapi.Load(ctx, awsapi.Options{Profile: profile, Region: region})
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
		return usageErr("give an instance id (i-..., mi-...), a Name tag or an IP address", "invalid target %q: only letters, digits and . _ : - are allowed", t)
	}
	return nil
}

// resolveTarget turns a Name tag or an IP address into an instance id;
// ids pass through untouched (hybrid mi- nodes are not in EC2 at all).
func resolveTarget(ctx context.Context, ec2c ec2.DescribeInstancesAPIClient, target string) (string, error) {
	if err := validateTarget(target); err != nil {
		return "", err
	}
	if instanceIDRe.MatchString(target) {
		return target, nil
	}
	filter := "tag:Name"
	if ip := net.ParseIP(target); ip != nil {
		filter = "private-ip-address"
	}
	ids, err := findInstances(ctx, ec2c, filter, target)
	if err == nil && len(ids) == 0 && filter == "private-ip-address" {
		ids, err = findInstances(ctx, ec2c, "ip-address", target)
	}
	if err != nil {
		return "", &exitError{code: exitProblems, err: fmt.Errorf("resolve target %q: describe instances: %w", target, err), hint: "give the instance id instead"}
	}
	switch len(ids) {
	case 0:
		return "", &exitError{code: exitProblems, err: fmt.Errorf("resolve target %q: no running instance has that Name tag or IP address", target),
			hint: "list instances: aws ec2 describe-instances --filters Name=instance-state-name,Values=running"}
	case 1:
		// The id comes back from the API and becomes ssh's host name, which
		// ssh substitutes into ProxyCommand (%h) and runs with sh -c: never
		// trust it further than the id format.
		if !instanceIDRe.MatchString(ids[0]) {
			return "", &exitError{code: exitProblems, err: fmt.Errorf("resolve target %q: DescribeInstances returned a malformed instance id %q", target, ids[0]),
				hint: "this endpoint's answer is not a real instance id: check AWS_ENDPOINT_URL / the profile's endpoint"}
		}
		return ids[0], nil
	}
	return "", &exitError{code: exitUsage, err: fmt.Errorf("resolve target %q: %d running instances match (%s)", target, len(ids), strings.Join(ids, ", ")), hint: "give one instance id instead"}
}

func findInstances(ctx context.Context, ec2c ec2.DescribeInstancesAPIClient, filter, value string) ([]string, error) {
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String(filter), Values: []string{value}},
		{Name: aws.String("instance-state-name"), Values: []string{"running"}},
	}}
	var ids []string
	p := ec2.NewDescribeInstancesPaginator(ec2c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				ids = append(ids, aws.ToString(i.InstanceId))
			}
		}
	}
	sort.Strings(ids)
	return ids, nil
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
